#include "server/request_dispatch.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace duet::server {
namespace {

namespace json = boost::json;

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
    Result<TokenAuthority> authority =
        TokenAuthority::Create({{"writer", std::string(kToken), {Scope::kCommand}}});
    ASSERT_TRUE(authority.ok()) << authority.status().ToString();
    authority_ = std::move(*authority);
    HttpLimits limits;
    limits.max_body_bytes = 16;
    limits.max_header_bytes = 256;
    dispatcher_ = std::make_unique<RequestDispatcher>(&router_, &authority_, limits);
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
};

TEST_F(RequestDispatcherTest, RoutesDecodedPathParamsQueryAndBody) {
  HttpResponse response = Answer("GET /echo/a%20b?q=x+y HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, R"({"word":"a b","q":"x y","body":"hi"})");
}

TEST_F(RequestDispatcherTest, WorkerRoutesRunOnTheCallersThreadWithTheirToken) {
  HttpResponse response = Answer("POST /secret HTTP/1.1\r\nAuthorization: Bearer " +
                                 std::string(kToken) + "\r\nContent-Length: 3\r\n\r\nabc");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, R"({"got":3})");
}

TEST_F(RequestDispatcherTest, AScopedRouteWithoutATokenIs401) {
  HttpResponse response = Answer("POST /secret HTTP/1.1\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(response.status, 401u);
  EXPECT_EQ(CodeOf(response), "unauthorized");
}

TEST_F(RequestDispatcherTest, UnknownPathIs404AndKnownPathWithOtherMethodIs405) {
  EXPECT_EQ(Answer("GET /nowhere HTTP/1.1\r\n\r\n").status, 404u);
  HttpResponse response = Answer("DELETE /secret HTTP/1.1\r\n\r\n");
  EXPECT_EQ(response.status, 405u);
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0], (std::pair<std::string, std::string>{"Allow", "POST"}));
}

TEST_F(RequestDispatcherTest, BadPercentEncodingInTheQueryIs400) {
  HttpResponse response = Answer("GET /echo/x?q=%ZZ HTTP/1.1\r\n\r\n");
  EXPECT_EQ(response.status, 400u);
  EXPECT_EQ(CodeOf(response), "invalid_argument");
}

TEST_F(RequestDispatcherTest, LimitsGive413And431) {
  HttpResponse big_body =
      Answer("GET /echo/x HTTP/1.1\r\nContent-Length: 17\r\n\r\n" + std::string(17, 'b'));
  EXPECT_EQ(big_body.status, 413u);
  EXPECT_EQ(CodeOf(big_body), "payload_too_large");
  HttpResponse big_head =
      Answer("GET /echo/x HTTP/1.1\r\nX: " + std::string(300, 'h') + "\r\n\r\n");
  EXPECT_EQ(big_head.status, 431u);
  EXPECT_EQ(CodeOf(big_head), "headers_too_large");
}

TEST_F(RequestDispatcherTest, GarbageAndCutOffRequestsAre400) {
  EXPECT_EQ(CodeOf(Answer("\x16\x03\x01 not http\r\n\r\n")), "malformed_request");
  EXPECT_EQ(CodeOf(Answer("GET /echo/x HTTP/1.1\r\nContent-Length: 5\r\n\r\nab")),
            "malformed_request");
  EXPECT_EQ(CodeOf(Answer("GET /echo/x HTT")), "malformed_request");
}

TEST_F(RequestDispatcherTest, NoBytesGetNoAnswer) {
  EXPECT_FALSE(dispatcher_->Handle("").has_value());
}

TEST_F(RequestDispatcherTest, AStreamIsAnsweredWithItsFirstChunk) {
  HttpResponse response = Answer("GET /live HTTP/1.1\r\n\r\n");
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.content_type, "text/event-stream");
  EXPECT_EQ(response.body, "data: tick\n\n");
}

TEST_F(RequestDispatcherTest, AReadFailureOfAClosedConnectionHasNoAnswer) {
  EXPECT_FALSE(dispatcher_->ReadFailure(boost::beast::http::error::end_of_stream).has_value());
  EXPECT_FALSE(dispatcher_->ReadFailure(boost::beast::error::timeout).has_value());
  EXPECT_EQ(dispatcher_->ReadFailure(boost::beast::http::error::bad_target)->status, 400u);
}

}  // namespace
}  // namespace duet::server
