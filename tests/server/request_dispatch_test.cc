#include "server/request_dispatch.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <ctime>

#include "server/http_headers.h"
#include "tests/support/gunzip.h"

namespace duet::server {
namespace {

namespace json = boost::json;
using duet::testing::Gunzip;

constexpr std::string_view kToken = "dispatch-test-token-0123456789";

// A router with an open echo route, a scoped one and a stream, behind one token.
class RequestDispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add(
        {.method = "GET", .pattern = "/echo/{word}", .handle = [](const HttpRequest& request) {
           json::object body{{"word", request.PathParam("word")},
                             {"q", request.query.contains("q") ? request.query.at("q") : ""},
                             {"body", request.body}};
           return HttpResponse::Json(200, json::serialize(body));
         }});
    router_.Add({.method = "POST",
                 .pattern = "/secret",
                 .scope = Scope::kCommand,
                 .execution = Execution::kWorker,
                 .handle = [](const HttpRequest& request) {
                   return HttpResponse::Json(
                       200, "{\"got\":" + std::to_string(request.body.size()) + "}");
                 }});
    router_.Add({.method = "GET",
                 .pattern = "/live",
                 .execution = Execution::kStream,
                 .stream = [](const HttpRequest&, StreamWriter& writer) {
                   while (writer.Write("data: tick\n\n")) {
                   }
                   return HttpResponse{};
                 }});
    router_.Add(
        {.method = "POST", .pattern = "/open", .handle = [this](const HttpRequest& request) {
           ++open_calls_;
           return HttpResponse::Json(200, "{\"got\":" + std::to_string(request.body.size()) + "}");
         }});
    router_.Add({.method = "GET", .pattern = "/big", .handle = [](const HttpRequest&) {
                   HttpResponse response = HttpResponse::Json(200, BigBody());
                   response.headers.emplace_back("ETag", "W/\"big-7\"");
                   return response;
                 }});
    Result<TokenAuthority> authority =
        TokenAuthority::Create({{"writer", std::string(kToken), {Scope::kCommand}}});
    ASSERT_TRUE(authority.ok()) << authority.status().ToString();
    authority_ = std::move(*authority);
    HttpLimits limits;
    limits.max_body_bytes = 16;
    limits.max_header_bytes = 256;
    dispatcher_ = std::make_unique<RequestDispatcher>(&router_, &authority_, limits);
  }

  static std::string BigBody() { return "[" + std::string(3000, '7') + "]"; }

  // A dispatcher like the test's, with `policy`.
  void UsePolicy(RequestPolicy policy) {
    HttpLimits limits;
    limits.max_body_bytes = 16;
    limits.max_header_bytes = 256;
    dispatcher_ = std::make_unique<RequestDispatcher>(&router_, &authority_, limits, policy);
  }

  HttpResponse Answer(std::string_view bytes) {
    std::optional<HttpResponse> response = dispatcher_->Handle(bytes);
    EXPECT_TRUE(response.has_value()) << bytes;
    if (response) return *response;
    HttpResponse none;
    none.status = 0;
    return none;
  }
  static std::string CodeOf(const HttpResponse& response) {
    return std::string(json::parse(response.body).at("code").as_string());
  }

  Router router_;
  TokenAuthority authority_;
  std::unique_ptr<RequestDispatcher> dispatcher_;
  int open_calls_ = 0;
};

// POST /open with `headers` ("Name: value\r\n" lines) and `body`.
std::string PostOpen(std::string_view headers, std::string_view body) {
  return "POST /open HTTP/1.1\r\nHost: t\r\n" + std::string(headers) +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + std::string(body);
}

TEST_F(RequestDispatcherTest, RoutesDecodedPathParamsQueryAndBody) {
  HttpResponse response =
      Answer("GET /echo/a%20b?q=x+y HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, R"({"word":"a b","q":"x y","body":"hi"})");
}

TEST_F(RequestDispatcherTest, WorkerRoutesRunOnTheCallersThreadWithTheirToken) {
  HttpResponse response =
      Answer("POST /secret HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + std::string(kToken) +
             "\r\nContent-Type: application/json\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, R"({"got":3})");
}

TEST_F(RequestDispatcherTest, AScopedRouteWithoutATokenIs401) {
  HttpResponse response = Answer("POST /secret HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(response.status, 401u);
  EXPECT_EQ(CodeOf(response), "unauthorized");
}

TEST_F(RequestDispatcherTest, UnknownPathIs404AndKnownPathWithOtherMethodIs405) {
  EXPECT_EQ(Answer("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n").status, 404u);
  HttpResponse response = Answer("DELETE /secret HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(response.status, 405u);
  EXPECT_EQ(response.Header("allow"), "POST, OPTIONS");
}

TEST_F(RequestDispatcherTest, BadPercentEncodingInTheQueryIs400) {
  HttpResponse response = Answer("GET /echo/x?q=%ZZ HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(CodeOf(response), "invalid_argument");
}

TEST_F(RequestDispatcherTest, LimitsGive413And431) {
  HttpResponse big_body = Answer("GET /echo/x HTTP/1.1\r\nHost: t\r\nContent-Length: 17\r\n\r\n" +
                                 std::string(17, 'b'));
  EXPECT_EQ(big_body.status, 413u);
  EXPECT_EQ(CodeOf(big_body), "payload_too_large");
  HttpResponse big_head =
      Answer("GET /echo/x HTTP/1.1\r\nHost: t\r\nX: " + std::string(300, 'h') + "\r\n\r\n");
  EXPECT_EQ(big_head.status, 431u);
  EXPECT_EQ(CodeOf(big_head), "headers_too_large");
}

TEST_F(RequestDispatcherTest, GarbageAndCutOffRequestsAre400) {
  EXPECT_EQ(CodeOf(Answer("\x16\x03\x01 not http\r\n\r\n")), "malformed_request");
  EXPECT_EQ(CodeOf(Answer("GET /echo/x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nab")),
            "malformed_request");
  EXPECT_EQ(CodeOf(Answer("GET /echo/x HTT")), "malformed_request");
}

TEST_F(RequestDispatcherTest, NoBytesGetNoAnswer) {
  EXPECT_FALSE(dispatcher_->Handle("").has_value());
}

TEST_F(RequestDispatcherTest, AStreamIsAnsweredWithItsFirstChunk) {
  HttpResponse response = Answer("GET /live HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.content_type, "text/event-stream");
  EXPECT_EQ(response.body, "data: tick\n\n");
}

TEST_F(RequestDispatcherTest, AReadFailureOfAClosedConnectionHasNoAnswer) {
  EXPECT_FALSE(dispatcher_->ReadFailure(boost::beast::http::error::end_of_stream).has_value());
  EXPECT_FALSE(dispatcher_->ReadFailure(boost::beast::error::timeout).has_value());
  EXPECT_EQ(dispatcher_->ReadFailure(boost::beast::http::error::bad_target)->status, 400u);
}

TEST_F(RequestDispatcherTest, AnHttp11RequestWithoutHostIs400ButHttp10MayOmitIt) {
  HttpResponse missing = Answer("GET /echo/x HTTP/1.1\r\n\r\n");
  EXPECT_EQ(missing.status, 400u);
  EXPECT_EQ(CodeOf(missing), "missing_host");
  EXPECT_EQ(Answer("GET /echo/x HTTP/1.0\r\n\r\n").status, 200u);
}

TEST_F(RequestDispatcherTest, AStateChangingBodyMustBeJson) {
  HttpResponse plain = Answer(PostOpen("Content-Type: text/plain\r\n", "{}"));
  EXPECT_EQ(plain.status, 415u);
  EXPECT_EQ(CodeOf(plain), "unsupported_media_type");
  EXPECT_EQ(CodeOf(Answer(PostOpen("", "{}"))), "unsupported_media_type");  // no type at all
  EXPECT_EQ(CodeOf(Answer("POST /open HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")),
            "unsupported_media_type");
  EXPECT_EQ(open_calls_, 0);  // refused before the handler
  EXPECT_EQ(Answer(PostOpen("Content-Type: Application/JSON; charset=utf-8\r\n", "{}")).status,
            200u);
  EXPECT_EQ(Answer(PostOpen("Content-Type: application/merge-patch+json\r\n", "{}")).status, 200u);
  EXPECT_EQ(Answer(PostOpen("", "")).status, 200u);  // no body: no type needed
  EXPECT_EQ(open_calls_, 3);
}

TEST_F(RequestDispatcherTest, AForeignOriginMayNotChangeState) {
  HttpResponse foreign =
      Answer(PostOpen("Origin: https://evil.example\r\nContent-Type: application/json\r\n", "{}"));
  EXPECT_EQ(foreign.status, 403u);
  EXPECT_EQ(CodeOf(foreign), "origin_not_allowed");
  EXPECT_EQ(CodeOf(Answer(PostOpen("Origin: null\r\nContent-Type: application/json\r\n", "{}"))),
            "origin_not_allowed");
  EXPECT_EQ(open_calls_, 0);
  // The server's own origin (scheme://Host) is not cross-origin.
  EXPECT_EQ(Answer(PostOpen("Origin: http://t\r\nContent-Type: application/json\r\n", "{}")).status,
            200u);
  // Reading is not refused; without CORS headers the browser hides the answer.
  HttpResponse read =
      Answer("GET /echo/x HTTP/1.1\r\nHost: t\r\nOrigin: https://evil.example\r\n\r\n");
  EXPECT_EQ(read.status, 200u);
  EXPECT_EQ(read.Header("access-control-allow-origin"), "");
}

TEST_F(RequestDispatcherTest, AnAllowedOriginGetsCorsHeadersAndMayChangeState) {
  UsePolicy({.cors_origins = {"https://app.example"}});
  HttpResponse posted =
      Answer(PostOpen("Origin: https://app.example\r\nContent-Type: application/json\r\n", "{}"));
  EXPECT_EQ(posted.status, 200u);
  EXPECT_EQ(posted.Header("access-control-allow-origin"), "https://app.example");
  EXPECT_NE(posted.Header("access-control-expose-headers").find("ETag"), std::string_view::npos);
  EXPECT_EQ(posted.Header("vary"), "Origin");
  HttpResponse other = Answer(
      PostOpen("Origin: https://app.example.evil\r\nContent-Type: application/json\r\n", "{}"));
  EXPECT_EQ(other.status, 403u);
  EXPECT_EQ(other.Header("access-control-allow-origin"), "");
  EXPECT_EQ(open_calls_, 1);
}

TEST_F(RequestDispatcherTest, OptionsListsTheMethodsAndAnswersPreflightsOfAllowedOrigins) {
  UsePolicy({.cors_origins = {"https://app.example"}});
  HttpResponse plain = Answer("OPTIONS /echo/x HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(plain.status, 204u);
  EXPECT_EQ(plain.Header("allow"), "GET, HEAD, OPTIONS");
  EXPECT_EQ(plain.body, "");
  const std::string preflight =
      "OPTIONS /open HTTP/1.1\r\nHost: t\r\nAccess-Control-Request-Method: POST\r\n"
      "Access-Control-Request-Headers: content-type, authorization\r\nOrigin: ";
  HttpResponse allowed = Answer(preflight + "https://app.example\r\n\r\n");
  EXPECT_EQ(allowed.status, 204u);
  EXPECT_EQ(allowed.Header("access-control-allow-origin"), "https://app.example");
  EXPECT_EQ(allowed.Header("access-control-allow-methods"), "POST, OPTIONS");
  EXPECT_NE(allowed.Header("access-control-allow-headers").find("content-type"),
            std::string_view::npos);
  EXPECT_NE(allowed.Header("access-control-allow-headers").find("idempotency-key"),
            std::string_view::npos);
  EXPECT_EQ(allowed.Header("access-control-max-age"), "600");
  EXPECT_EQ(allowed.Header("vary"), "Origin");
  HttpResponse refused = Answer(preflight + "https://evil.example\r\n\r\n");
  EXPECT_EQ(refused.status, 204u);
  EXPECT_EQ(refused.Header("access-control-allow-origin"), "");
  EXPECT_EQ(refused.Header("access-control-allow-methods"), "");
  EXPECT_EQ(Answer("OPTIONS /nowhere HTTP/1.1\r\nHost: t\r\n\r\n").status, 404u);
  HttpResponse server = Answer("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(server.status, 204u);
  EXPECT_EQ(server.Header("allow"), "GET, HEAD, POST, OPTIONS");
  EXPECT_EQ(open_calls_, 0);
}

TEST_F(RequestDispatcherTest, ALoopbackBoundServerRefusesAForeignHost) {
  UsePolicy({.cors_origins = {}, .bound_to_loopback = true});
  HttpResponse rebound = Answer(
      "POST /open HTTP/1.1\r\nHost: attacker.example:8080\r\n"
      "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
  EXPECT_EQ(rebound.status, 421u);
  EXPECT_EQ(CodeOf(rebound), "host_not_allowed");
  EXPECT_EQ(open_calls_, 0);
  for (const char* host : {"localhost", "localhost:8080", "127.0.0.1:1", "127.8.9.10", "[::1]:80",
                           "app.localhost", "LOCALHOST."}) {
    EXPECT_EQ(Answer("GET /echo/x HTTP/1.1\r\nHost: " + std::string(host) + "\r\n\r\n").status,
              200u)
        << host;
  }
  for (const char* host : {"t", "127.0.0.1.evil.example", "10.0.0.1", "localhost.evil.example"}) {
    EXPECT_EQ(Answer("GET /echo/x HTTP/1.1\r\nHost: " + std::string(host) + "\r\n\r\n").status,
              421u)
        << host;
  }
  UsePolicy({});  // not bound to loopback: any Host
  EXPECT_EQ(Answer("GET /echo/x HTTP/1.1\r\nHost: attacker.example\r\n\r\n").status, 200u);
}

TEST_F(RequestDispatcherTest, HeadAnswersTheGetHeadersWithoutTheBody) {
  HttpResponse get = Answer("GET /echo/x HTTP/1.1\r\nHost: t\r\n\r\n");
  HttpResponse head = Answer("HEAD /echo/x HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(head.status, 200u);
  EXPECT_TRUE(head.head);
  EXPECT_EQ(head.body, "");
  ASSERT_TRUE(head.head_length.has_value());
  EXPECT_EQ(*head.head_length, get.body.size());
  EXPECT_EQ(head.content_type, get.content_type);
  HttpResponse stream = Answer("HEAD /live HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(stream.status, 200u);
  EXPECT_EQ(stream.content_type, "text/event-stream");
  EXPECT_TRUE(stream.head);
  EXPECT_EQ(stream.body, "");  // the stream never started
  EXPECT_EQ(Answer("HEAD /open HTTP/1.1\r\nHost: t\r\n\r\n").status, 405u);
}

TEST_F(RequestDispatcherTest, EveryAnswerHasAnImfFixdate) {
  for (const std::string& bytes :
       {std::string("GET /echo/x HTTP/1.1\r\nHost: t\r\n\r\n"),
        std::string("GET /nowhere HTTP/1.1\r\nHost: t\r\n\r\n"), std::string("garbage\r\n\r\n")}) {
    HttpResponse response = Answer(bytes);
    // An IMF-fixdate is exactly what HttpDate writes for the time it names.
    const std::string date(response.Header("date"));
    std::tm parts{};
    const char* end = strptime(date.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &parts);
    ASSERT_NE(end, nullptr) << bytes << " -> " << date;
    EXPECT_EQ(*end, '\0') << date;
    EXPECT_EQ(HttpDate(timegm(&parts)), date) << bytes;
  }
  EXPECT_EQ(HttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
}

TEST_F(RequestDispatcherTest, LongAnswersAreGzippedWhenTheClientAcceptsIt) {
  const std::string get = "GET /big HTTP/1.1\r\nHost: t\r\n";
  HttpResponse zipped = Answer(get + "Accept-Encoding: br, gzip;q=0.5\r\n\r\n");
  EXPECT_EQ(zipped.Header("content-encoding"), "gzip");
  EXPECT_EQ(zipped.Header("vary"), "Accept-Encoding");
  EXPECT_LT(zipped.body.size(), BigBody().size());
  EXPECT_EQ(Gunzip(zipped.body), BigBody());
  for (const char* refusal : {"gzip;q=0", "identity", "*;q=0", "br"}) {
    HttpResponse plain = Answer(get + "Accept-Encoding: " + refusal + "\r\n\r\n");
    EXPECT_EQ(plain.Header("content-encoding"), "") << refusal;
    EXPECT_EQ(plain.body, BigBody()) << refusal;
  }
  EXPECT_EQ(Answer(get + "\r\n").body, BigBody());
  // Short answers are not worth it.
  EXPECT_EQ(Answer("GET /echo/x HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n")
                .Header("content-encoding"),
            "");
  // HEAD: the headers of the compressed GET.
  HttpResponse head = Answer("HEAD /big HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n");
  EXPECT_EQ(head.Header("content-encoding"), "gzip");
  EXPECT_EQ(head.head_length, zipped.body.size());
}

TEST_F(RequestDispatcherTest, AMatchingIfNoneMatchIs304WithoutBody) {
  const std::string get = "GET /big HTTP/1.1\r\nHost: t\r\n";
  for (const char* tag : {"W/\"big-7\"", "\"big-7\"", "\"other\", W/\"big-7\"", "*"}) {
    HttpResponse same = Answer(get + "If-None-Match: " + tag + "\r\n\r\n");
    EXPECT_EQ(same.status, 304u) << tag;
    EXPECT_EQ(same.body, "") << tag;
    EXPECT_EQ(same.Header("etag"), "W/\"big-7\"") << tag;
  }
  HttpResponse changed = Answer(get + "If-None-Match: W/\"big-6\"\r\n\r\n");
  EXPECT_EQ(changed.status, 200u);
  EXPECT_EQ(changed.body, BigBody());
}

TEST_F(RequestDispatcherTest, ARequestExpectingContinueIsRefusedFromItsHead) {
  // No body follows: answered from the head alone, as a session answers a
  // client that waits for 100 Continue (otherwise: a cut-off body, 400).
  HttpResponse refused = Answer(
      "POST /open HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Type: text/plain\r\n"
      "Content-Length: 5\r\n\r\n");
  EXPECT_EQ(refused.status, 415u);
  HttpResponse unauthorized = Answer(
      "POST /secret HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
      "Content-Type: application/json\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(unauthorized.status, 401u);
  EXPECT_EQ(Answer("POST /open HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                   "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
                .status,
            200u);
  EXPECT_EQ(open_calls_, 1);
}

TEST(HttpHeadersTest, AcceptEncodingQValues) {
  EXPECT_TRUE(AcceptsGzip("gzip"));
  EXPECT_TRUE(AcceptsGzip("deflate, GZIP"));
  EXPECT_TRUE(AcceptsGzip("x-gzip;q=0.1"));
  EXPECT_TRUE(AcceptsGzip("*"));
  EXPECT_FALSE(AcceptsGzip(""));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0"));
  EXPECT_FALSE(AcceptsGzip("gzip;q=0.000, *"));  // an explicit refusal beats the wildcard
  EXPECT_FALSE(AcceptsGzip("gzip;q=nonsense"));
}

TEST(HttpHeadersTest, OriginsMustBeExactSchemeHostPort) {
  EXPECT_TRUE(ValidateOrigin("https://app.example").ok());
  EXPECT_TRUE(ValidateOrigin("http://localhost:3000").ok());
  for (const char* bad : {"app.example", "https://app.example/", "*", "https://*.example",
                          "ftp://a", "https://", "https://App.example"}) {
    EXPECT_EQ(ValidateOrigin(bad).code(), StatusCode::kInvalidArgument) << bad;
  }
}

}  // namespace
}  // namespace duet::server
