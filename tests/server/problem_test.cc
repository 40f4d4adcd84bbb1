#include "server/problem.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "util/utf8.h"

namespace duet::server {
namespace {

namespace json = boost::json;

json::object ParseStrictly(const std::string& body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);  // rejects ill-formed UTF-8
  EXPECT_FALSE(ec) << ec.message() << " in " << body;
  return ec ? json::object() : value.as_object();
}

// The two "not valid in this state" codes: a conflict with work in progress
// is the caller's to retry (409), a failed precondition is a fault (500).
TEST(ProblemTest, ConflictIs409AndFailedPreconditionIs500) {
  const Status conflict = Status::Conflict("a rebuild of counts is running");
  EXPECT_EQ(HttpStatusOf(conflict), 409u);
  const HttpResponse response = ProblemResponse(conflict);
  EXPECT_EQ(response.status, 409u);
  const json::object body = ParseStrictly(response.body);
  EXPECT_EQ(body.at("code"), "conflict");
  EXPECT_EQ(body.at("title"), "Conflict");
  EXPECT_EQ(body.at("detail"), "a rebuild of counts is running");
  EXPECT_EQ(HttpStatusOf(Status::FailedPrecondition("Apply threw")), 500u);
}

// RFC 9110's reason phrases, not RFC 7231's ("Payload Too Large",
// "Unprocessable Entity"), as status line and as problem title.
TEST(ProblemTest, TitlesAndReasonPhrasesAreRfc9110s) {
  EXPECT_EQ(ReasonPhrase(413), "Content Too Large");
  EXPECT_EQ(ReasonPhrase(422), "Unprocessable Content");
  EXPECT_EQ(ReasonPhrase(421), "Misdirected Request");
  EXPECT_EQ(ReasonPhrase(415), "Unsupported Media Type");
  EXPECT_EQ(ReasonPhrase(304), "Not Modified");
  EXPECT_EQ(ReasonPhrase(299), "");
  for (unsigned status : {413u, 415u, 421u, 422u}) {
    const json::object body = ParseStrictly(ProtocolProblem(status, "x", "d").body);
    EXPECT_EQ(std::string_view(body.at("title").as_string()), ReasonPhrase(status)) << status;
  }
  EXPECT_EQ(ParseStrictly(ProblemResponse(Status::DomainRuleViolated("r", "m")).body).at("title"),
            "Unprocessable Content");
}

TEST(ProblemTest, RebuildRunningIs409NamingTheProjection) {
  const HttpResponse response = ProblemResponse(Status::RebuildRunning("counts"));
  EXPECT_EQ(response.status, 409u);
  const json::object body = ParseStrictly(response.body);
  EXPECT_EQ(body.at("code"), "rebuild_running");
  EXPECT_EQ(body.at("type"), "https://duet.dev/problems/rebuild_running");
  EXPECT_EQ(body.at("subject"), "counts");
}

TEST(ProblemTest, IdempotencyKeyReusedIs422AboutTheCommandId) {
  const HttpResponse response =
      ProblemResponse(Status::IdempotencyKeyReused("already used with another body"));
  EXPECT_EQ(response.status, 422u);
  const json::object body = ParseStrictly(response.body);
  EXPECT_EQ(body.at("code"), "idempotency_key_reused");
  EXPECT_EQ(body.at("title"), "Unprocessable Content");
  EXPECT_EQ(body.at("subject"), "command_id");
}

// Found by fuzz_http (tests/fuzz/regressions/fuzz_http/path_not_utf8): a 404
// quoting a path that is not UTF-8 was not JSON.
TEST(ProblemTest, QuotedBytesThatAreNotUtf8StillMakeValidJson) {
  HttpResponse response = ProblemResponse(Status::NotFound("route\xff", "no route /\xc3\x28/\xff"));
  json::object body = ParseStrictly(response.body);
  EXPECT_EQ(body["detail"].as_string(), "no route /\xEF\xBF\xBD(/\xEF\xBF\xBD");
  EXPECT_EQ(body["subject"].as_string(), "route\xEF\xBF\xBD");
  EXPECT_EQ(body["code"].as_string(), "not_found");
}

TEST(ProblemTest, ProtocolProblemDetailIsRepairedToo) {
  HttpResponse response = ProtocolProblem(405, "method_not_allowed", "\x80 is not allowed here");
  json::object body = ParseStrictly(response.body);
  EXPECT_EQ(body["detail"].as_string(), "\xEF\xBF\xBD is not allowed here");
}

TEST(ProblemTest, ValidUtf8IsQuotedUnchanged) {
  HttpResponse response =
      ProblemResponse(Status::InvalidArgument("owner", "caf\xC3\xA9 \xF0\x9F\x98\x80"));
  json::object body = ParseStrictly(response.body);
  EXPECT_EQ(body["detail"].as_string(), "caf\xC3\xA9 \xF0\x9F\x98\x80");
  EXPECT_EQ(response.status, 400u);
}

TEST(Utf8Test, ValidTextIsValid) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("ascii"));
  EXPECT_TRUE(
      IsValidUtf8("\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xF0\x90\x80\x80\xF4\x8F\xBF\xBF"));
}

TEST(Utf8Test, IllFormedTextIsInvalid) {
  for (std::string_view bad :
       {"\x80", "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF0\x80\x80\xAF",
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF", "\xE2\x82", "a\xC3"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << json::serialize(json::string(std::string(bad)));
  }
}

// Unicode's recommended practice: one U+FFFD per maximal ill-formed subpart.
TEST(Utf8Test, EachMaximalIllFormedSubpartBecomesOneReplacement) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(ReplaceInvalidUtf8("a\xE2\x82"
                               "b"),
            "a" + r + "b");                                  // truncated 3-byte
  EXPECT_EQ(ReplaceInvalidUtf8("\xF0\x9F\x98"), r);          // truncated 4-byte
  EXPECT_EQ(ReplaceInvalidUtf8("\xC0\xAF"), r + r);          // C0 is never valid
  EXPECT_EQ(ReplaceInvalidUtf8("\xED\xA0\x80"), r + r + r);  // a surrogate
  EXPECT_EQ(ReplaceInvalidUtf8("\x80\x80"), r + r);          // lone continuations
  EXPECT_EQ(ReplaceInvalidUtf8("ok \xC3\xA9"), "ok \xC3\xA9");
  EXPECT_TRUE(IsValidUtf8(ReplaceInvalidUtf8("\xFF\xF4\x90\xE0\x80\xC3")));
}

}  // namespace
}  // namespace duet::server
