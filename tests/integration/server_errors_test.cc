// Acceptance: bad requests get the right status and problem+json, and
// nothing is appended (the log's head is unchanged after each).
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "tests/integration/server_test_support.h"
#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {
namespace json = boost::json;

constexpr size_t kMaxBody = 4096;

class ServerErrorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(dir_ / "duet.toml", "[limits]\nmax_body_bytes = " + std::to_string(kMaxBody) + "\n");
    server_ = StartDuet(dir_ / "data", {"--config", (dir_ / "duet.toml").string()});
    ASSERT_NE(server_, nullptr);
    api_ = std::make_unique<Api>(server_->port());
    ASSERT_EQ(api_->Command("OpenAccount", {{"account", "alice"}, {"owner", "Alice"}}).status,
              200u);
    ASSERT_EQ(api_->Post("/streams/inbox-1", R"([{"type":"T","data":{}}])").status, 200u);
    head_ = api_->Head();
  }
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) std::cerr << "--- server log ---\n" << server_->log();
  }
  // Nothing was appended by the refused request.
  void ExpectHeadUnchanged() {
    Api fresh(server_->port());  // the refused request may have closed the connection
    EXPECT_EQ(fresh.Head(), head_);
  }
  Reply Deposit(const std::string& body) { return api_->Post("/commands/Deposit", body); }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Api> api_;
  uint64_t head_ = 0;
};

TEST_F(ServerErrorsTest, MalformedJsonIs400) {
  ExpectProblem(Deposit(R"({"account":"alice","currency":"USD","amount":)"), 400,
                "invalid_argument");
  ExpectProblem(Deposit("[1,2,3]"), 400, "invalid_argument");
  ExpectProblem(Deposit(""), 400, "invalid_argument");
  ExpectProblem(api_->Post("/streams/inbox-1", R"([{"type":"T","data":)"), 400, "invalid_argument");
  ExpectHeadUnchanged();
}

TEST_F(ServerErrorsTest, UnknownCommandTypeIs404) {
  ExpectProblem(api_->Post("/commands/Teleport", R"({"account":"alice"})"), 404, "not_found");
  ExpectHeadUnchanged();
}

TEST_F(ServerErrorsTest, MissingMistypedAndUnknownFieldsName400Subjects) {
  ExpectProblem(Deposit(R"({"account":"alice","currency":"USD"})"), 400, "invalid_argument",
                "amount");
  ExpectProblem(Deposit(R"({"account":"alice","currency":"USD","amount":"ten"})"), 400,
                "invalid_argument", "amount");
  ExpectProblem(Deposit(R"({"account":"alice","currency":"USD","amount":5,"colour":"red"})"), 400,
                "invalid_argument", "colour");
  ExpectProblem(Deposit(R"({"account":"alice","currency":"usd","amount":5})"), 400,
                "invalid_argument", "currency");
  ExpectProblem(Deposit(R"({"account":"alice","currency":"USD","amount":0})"), 400,
                "invalid_argument", "amount");
  json::object bad_item{{"sku", "x"}, {"name", "X"}, {"qty", 0}, {"price", 1}, {"currency", "EUR"}};
  json::object good_item{
      {"sku", "y"}, {"name", "Y"}, {"qty", 1}, {"price", 1}, {"currency", "EUR"}};
  ExpectProblem(api_->Command("PlaceOrder", {{"order", "o-1"},
                                             {"customer", "C"},
                                             {"items", json::array{good_item, bad_item}}}),
                400, "invalid_argument", "items[1].qty");
  ExpectHeadUnchanged();
}

TEST_F(ServerErrorsTest, DomainRulesAre422WithTheRule) {
  ExpectProblem(Deposit(R"({"account":"nobody","currency":"USD","amount":5})"), 422,
                "domain_rule_violated", "account-not-found");
  ExpectProblem(
      api_->Command("Withdraw", {{"account", "alice"}, {"currency", "USD"}, {"amount", 5}}), 422,
      "domain_rule_violated", "no-overdraft");
  ExpectProblem(api_->Command("OpenAccount", {{"account", "alice"}, {"owner", "Again"}}), 422,
                "domain_rule_violated", "account-already-open");
  ExpectHeadUnchanged();
}

TEST_F(ServerErrorsTest, OversizedBodyIs413) {
  const std::string big = R"({"account":"alice","currency":"USD","amount":5,"pad":")" +
                          std::string(2 * kMaxBody, 'x') + R"("})";
  Reply reply = Deposit(big);
  // The server may close the connection after refusing; a reply must have come first.
  ExpectProblem(reply, 413, "payload_too_large");
  std::string events = "[";
  for (size_t i = 0; events.size() < 2 * kMaxBody; ++i) {
    events += (i == 0 ? "" : ",") + std::string(R"({"type":"T","data":{"n":1}})");
  }
  events += "]";
  Api other(server_->port());
  ExpectProblem(other.Post("/streams/inbox-1", events), 413, "payload_too_large");
  ExpectHeadUnchanged();
}

TEST_F(ServerErrorsTest, InvalidStreamNameIs400) {
  for (const char* stream : {"bad!name", "sp%20ace", "a$b"}) {
    ExpectProblem(api_->Post("/streams/" + std::string(stream), R"([{"type":"T","data":{}}])"), 400,
                  "invalid_argument", "stream");
  }
  ExpectProblem(api_->Post("/streams/" + std::string(300, 's'), R"([{"type":"T","data":{}}])"), 400,
                "invalid_argument", "stream");
  ExpectProblem(api_->Post("/streams/inbox-2", R"([{"type":"has space","data":{}}])"), 400,
                "invalid_argument", "type");
  ExpectHeadUnchanged();
}

TEST_F(ServerErrorsTest, WrongExpectedVersionIs409WithTheActualVersion) {
  const std::string batch = R"([{"type":"T","data":{}}])";
  Reply exists = api_->Post("/streams/inbox-1", batch, {{"Expected-Version", "no_stream"}});
  ExpectProblem(exists, 409, "wrong_expected_version", "inbox-1");
  EXPECT_EQ(exists["actual_version"], 0) << exists.Describe();
  Reply stale = api_->Post("/streams/inbox-1", batch, {{"Expected-Version", "5"}});
  ExpectProblem(stale, 409, "wrong_expected_version", "inbox-1");
  EXPECT_EQ(stale["actual_version"], 0);
  Reply missing = api_->Post("/streams/inbox-9", batch, {{"Expected-Version", "stream_exists"}});
  ExpectProblem(missing, 409, "wrong_expected_version", "inbox-9");
  EXPECT_TRUE(missing.json.as_object().contains("actual_version")) << missing.Describe();
  EXPECT_TRUE(missing["actual_version"].is_null());
  ExpectProblem(api_->Post("/streams/inbox-1", batch, {{"Expected-Version", "banana"}}), 400,
                "invalid_argument");
  ExpectHeadUnchanged();
}

TEST_F(ServerErrorsTest, BadQueriesAndReadParameters) {
  ExpectProblem(api_->Get("/queries/balance"), 400, "invalid_argument", "account");
  ExpectProblem(api_->Get("/queries/balance?account=alice&currency=USD"), 400, "invalid_argument",
                "currency");
  ExpectProblem(api_->Get("/queries/volume?currency=USD&bucket=week"), 400, "invalid_argument",
                "bucket");
  ExpectProblem(api_->Get("/queries/no-such-query"), 404, "not_found");
  ExpectProblem(api_->Get("/queries/balance?account=alice&min_position=abc"), 400,
                "invalid_argument", "min_position");
  ExpectProblem(api_->Get("/events?limit=0"), 400, "invalid_argument", "limit");
  ExpectProblem(api_->Get("/events?from=x"), 400, "invalid_argument", "from");
  ExpectProblem(api_->Get("/streams/inbox-1?direction=sideways"), 400, "invalid_argument",
                "direction");
  Reply wrong_method = api_->Get("/commands/Deposit");
  ExpectProblem(wrong_method, 405, "method_not_allowed");
  EXPECT_NE(wrong_method.Header("allow").find("POST"), std::string_view::npos);
  ExpectHeadUnchanged();
}

}  // namespace
}  // namespace duet::testing
