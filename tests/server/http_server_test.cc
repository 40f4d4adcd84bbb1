// HttpServer over real sockets on 127.0.0.1, driven with raw bytes so that
// malformed and hostile requests can be sent exactly.
#include "server/http_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/console_routes.h"
#include "server/problem.h"
#include "tests/support/raw_http_connection.h"

namespace duet::server {
namespace {

// Raw sockets with a short receive timeout: these servers answer at once.
class RawClient : public duet::testing::RawHttpConnection {
 public:
  explicit RawClient(uint16_t port) : RawHttpConnection(port, 10) {}
};

unsigned StatusOf(const std::string& response) {
  if (response.size() < 12) return 0;
  return static_cast<unsigned>(std::stoul(response.substr(9, 3)));
}

std::string Get(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add({.method = "GET", .pattern = "/echo/{word}", .handle = [](const HttpRequest& r) {
                   return HttpResponse::Json(200, "\"" + std::string(r.PathParam("word")) + "\"");
                 }});
    router_.Add({.method = "POST",
                 .pattern = "/slow",
                 .execution = Execution::kWorker,
                 .handle = [this](const HttpRequest& r) {
                   slow_started_.set_value();
                   std::this_thread::sleep_for(std::chrono::milliseconds(300));
                   return HttpResponse::Json(200, r.body);
                 }});
    router_.Add({.method = "GET",
                 .pattern = "/stream",
                 .execution = Execution::kStream,
                 .stream = [](const HttpRequest& r, StreamWriter& writer) {
                   if (r.query.contains("refuse")) {
                     return ProblemResponse(Status::InvalidArgument("refuse", "asked to"));
                   }
                   for (int i = 0; i < 3; ++i) writer.Write("data: " + std::to_string(i) + "\n\n");
                   while (!writer.stopping() && writer.Write(": ping\n\n")) {
                     std::this_thread::sleep_for(std::chrono::milliseconds(20));
                   }
                   return HttpResponse{};
                 }});
  }
  void Start(HttpLimits limits = {}, HttpObserver* observer = nullptr) {
    HttpServerOptions options;
    options.limits = limits;
    options.worker_threads = 4;
    auto server = HttpServer::Start(&router_, &authority_, observer, options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  Router router_;
  TokenAuthority authority_;
  std::promise<void> slow_started_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesRouteWithDecodedCaptureAndKeepsAlive) {
  Start();
  RawClient client(server_->port());
  ASSERT_TRUE(client.connected());
  client.Send(Get("/echo/a%20b"));
  std::string first = client.ReadResponse();
  EXPECT_EQ(StatusOf(first), 200u);
  EXPECT_NE(first.find("\"a b\""), std::string::npos);
  client.Send(Get("/echo/again"));  // same connection
  EXPECT_NE(client.ReadResponse().find("\"again\""), std::string::npos);
}

TEST_F(HttpServerTest, UnknownPathIs404AndWrongMethodIs405WithAllow) {
  Start();
  RawClient client(server_->port());
  std::string missing = (client.Send(Get("/nope")), client.ReadResponse());
  EXPECT_EQ(StatusOf(missing), 404u);
  EXPECT_NE(missing.find("application/problem+json"), std::string::npos);
  client.Send("DELETE /echo/x HTTP/1.1\r\nHost: localhost\r\n\r\n");
  std::string wrong = client.ReadResponse();
  EXPECT_EQ(StatusOf(wrong), 405u);
  EXPECT_NE(wrong.find("Allow: GET"), std::string::npos);
}

TEST_F(HttpServerTest, OversizedBodyIs413WithoutReadingIt) {
  HttpLimits limits;
  limits.max_body_bytes = 16;
  Start(limits);
  RawClient client(server_->port());
  client.Send("POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n");
  std::string response = client.ReadToClose();
  EXPECT_EQ(StatusOf(response), 413u);
  EXPECT_NE(response.find("payload_too_large"), std::string::npos);
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  HttpLimits limits;
  limits.max_header_bytes = 256;
  Start(limits);
  RawClient client(server_->port());
  client.Send("GET /echo/x HTTP/1.1\r\nHost: localhost\r\nX-Big: " + std::string(1000, 'a') +
              "\r\n\r\n");
  EXPECT_EQ(StatusOf(client.ReadToClose()), 431u);
}

TEST_F(HttpServerTest, MalformedRequestIs400AndClosed) {
  Start();
  RawClient client(server_->port());
  client.Send("THIS IS NOT HTTP\r\n\r\n");
  std::string response = client.ReadToClose();
  EXPECT_EQ(StatusOf(response), 400u);
  EXPECT_NE(response.find("malformed_request"), std::string::npos);
}

TEST_F(HttpServerTest, BadQueryEncodingIs400) {
  Start();
  RawClient client(server_->port());
  client.Send(Get("/echo/x?a=%zz"));
  EXPECT_EQ(StatusOf(client.ReadResponse()), 400u);
}

// The web console's paths as a hostile client sends them, on one kept-alive
// connection: a way out of /ui/ is refused with a problem document (400 for
// a name that decodes to a dot segment or a slash, 404 for a NUL escape or a
// raw dot segment, which no route matches) and the connection stays usable.
TEST_F(HttpServerTest, ConsolePathsLeavingTheConsoleAreRefused) {
  AddConsoleRoutes(&router_);
  Start();
  RawClient client(server_->port());
  const std::pair<std::string_view, unsigned> cases[] = {{"/ui/%2e%2e", 400},
                                                         {"/ui/..%2f..%2fetc%2fpasswd", 400},
                                                         {"/ui/%2E%2E%2Fmetrics", 400},
                                                         {"/ui/..%5c..%5cboot.ini", 400},
                                                         {"/ui/%00", 404},
                                                         {"/ui/index.html%00.js", 404},
                                                         {"/ui/../echo/x", 404},
                                                         {"/ui/./app.js", 404}};
  for (const auto& [target, status] : cases) {
    client.Send(Get(target));
    const std::string response = client.ReadResponse();
    EXPECT_EQ(StatusOf(response), status) << target;
    EXPECT_NE(response.find("application/problem+json"), std::string::npos) << target;
    EXPECT_EQ(response.find("<html"), std::string::npos) << target;
  }
  client.Send(Get("/ui/"));
  const std::string index = client.ReadResponse();
  EXPECT_EQ(StatusOf(index), 200u);
  EXPECT_NE(index.find("Content-Security-Policy: default-src 'self'"), std::string::npos);
}

TEST_F(HttpServerTest, RequestNotCompleteInTimeIsClosed) {
  HttpLimits limits;
  limits.request_timeout = std::chrono::milliseconds(200);
  Start(limits);
  RawClient client(server_->port());
  client.Send("GET /echo/x HTTP/1.1\r\nHost: localhost\r\n");  // never finishes its headers
  EXPECT_EQ(client.ReadToClose(), "");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(HttpServerTest, IdleConnectionIsClosed) {
  HttpLimits limits;
  limits.idle_timeout = std::chrono::milliseconds(100);
  Start(limits);
  RawClient client(server_->port());
  EXPECT_EQ(client.ReadToClose(), "");  // closed without a response
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(HttpServerTest, ConnectionsBeyondTheLimitGet503) {
  HttpLimits limits;
  limits.max_connections = 1;
  Start(limits);
  RawClient first(server_->port());
  first.Send(Get("/echo/one"));
  ASSERT_EQ(StatusOf(first.ReadResponse()), 200u);  // the first one is in
  RawClient second(server_->port());
  EXPECT_EQ(StatusOf(second.ReadToClose()), 503u);
}

TEST_F(HttpServerTest, StopLetsRequestInFlightFinish) {
  Start();
  RawClient client(server_->port());
  client.Send(
      "POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      "Content-Length: 2\r\n\r\nok");
  slow_started_.get_future().wait();
  server_->Stop(std::chrono::milliseconds(5000));
  std::string response = client.ReadResponse();
  EXPECT_EQ(StatusOf(response), 200u);
  EXPECT_NE(response.find("Connection: close"), std::string::npos);
  RawClient late(server_->port());
  EXPECT_FALSE(late.connected());
}

TEST_F(HttpServerTest, StreamRouteWritesUntilTheServerStops) {
  Start();
  RawClient client(server_->port());
  client.Send(Get("/stream"));
  ASSERT_TRUE(client.ReadUntil("data: 2\n\n"));
  server_->Stop(std::chrono::milliseconds(5000));
  client.ReadToClose();  // the stream ends; the socket closes
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(HttpServerTest, StreamRouteCanRefuseWithAnOrdinaryResponse) {
  Start();
  RawClient client(server_->port());
  client.Send(Get("/stream?refuse=1"));
  EXPECT_EQ(StatusOf(client.ReadResponse()), 400u);
  client.Send(Get("/echo/after"));  // the connection is still usable
  EXPECT_EQ(StatusOf(client.ReadResponse()), 200u);
}

TEST_F(HttpServerTest, HeadSendsTheGetHeadersAndNoBodyOnAKeptAliveConnection) {
  Start();
  RawClient client(server_->port());
  client.Send("HEAD /echo/word HTTP/1.1\r\nHost: localhost\r\n\r\n");
  const std::string head = client.ReadHead();
  EXPECT_EQ(StatusOf(head), 200u);
  EXPECT_NE(head.find("Content-Length: 6\r\n"), std::string::npos) << head;  // "\"word\""
  EXPECT_NE(head.find("\r\nDate: "), std::string::npos) << head;
  client.Send(Get("/echo/next"));  // no body came between: the next answer parses
  const std::string next = client.ReadResponse();
  EXPECT_EQ(StatusOf(next), 200u) << next;
  EXPECT_NE(next.find("\"next\""), std::string::npos);
}

TEST_F(HttpServerTest, ExpectContinueGets100BeforeTheBodyOrTheRefusalWithoutReadingIt) {
  Start();
  RawClient client(server_->port());
  client.Send(
      "POST /slow HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  EXPECT_EQ(client.ReadHead(), "HTTP/1.1 100 Continue\r\n\r\n");
  client.Send("true");
  const std::string answer = client.ReadResponse();
  EXPECT_EQ(StatusOf(answer), 200u);
  EXPECT_TRUE(answer.ends_with("true")) << answer;

  RawClient refused(server_->port());
  refused.Send(
      "POST /echo/x HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  const std::string final_answer = refused.ReadToClose();
  EXPECT_EQ(StatusOf(final_answer), 405u) << final_answer;
  EXPECT_EQ(final_answer.find("100 Continue"), std::string::npos);
  EXPECT_NE(final_answer.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(refused.closed_by_peer());
}

// Records what the server reports to its metrics.
class RecordingObserver : public HttpObserver {
 public:
  void OnResponse(std::string_view route, std::string_view method, unsigned status,
                  std::chrono::nanoseconds) override {
    std::lock_guard lock(mu_);
    seen_.push_back(std::string(route) + " " + std::string(method) + " " + std::to_string(status));
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mu_);
    return seen_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> seen_;
};

TEST_F(HttpServerTest, ARequestTooLargeToReadIsReportedWithItsMethod) {
  HttpLimits limits;
  limits.max_body_bytes = 16;
  RecordingObserver observer;
  Start(limits, &observer);
  RawClient client(server_->port());
  client.Send("PUT /slow HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n");
  const std::string answer = client.ReadToClose();
  EXPECT_EQ(answer.substr(0, 31), "HTTP/1.1 413 Content Too Large\r") << answer;
  server_->Stop(std::chrono::milliseconds(1000));
  EXPECT_EQ(observer.seen(), std::vector<std::string>{"unmatched PUT 413"});
}

TEST(HttpServerStartTest, BadHostIsInvalidArgument) {
  Router router;
  HttpServerOptions options;
  options.host = "not-an-ip";
  auto server = HttpServer::Start(&router, nullptr, nullptr, options);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.status().code(), StatusCode::kInvalidArgument);
}

TEST(RouterTest, MatchesCapturesAndRejectsEmptySegments) {
  Router router;
  router.Add({.method = "POST", .pattern = "/projections/{name}/rebuild"});
  RouteMatch match = router.Find("POST", "/projections/ledger-accounts/rebuild");
  ASSERT_NE(match.route, nullptr);
  EXPECT_EQ(match.params["name"], "ledger-accounts");
  EXPECT_EQ(router.Find("POST", "/projections//rebuild").status, 404u);
  EXPECT_EQ(router.Find("GET", "/projections/x/rebuild").status, 405u);
}

TEST(QueryStringTest, DecodesPairsAndRefusesBadEscapes) {
  std::map<std::string, std::string, std::less<>> query;
  ASSERT_TRUE(ParseQueryString("a=1&b=x+y&c=%41%42&flag", &query));
  EXPECT_EQ(query["a"], "1");
  EXPECT_EQ(query["b"], "x y");
  EXPECT_EQ(query["c"], "AB");
  EXPECT_EQ(query["flag"], "");
  EXPECT_FALSE(ParseQueryString("a=%4", &query));
  EXPECT_FALSE(ParseQueryString("a=%00", &query));
}

TEST(ProblemTest, MapsEveryStatusAndCarriesConflictAndPositionDetails) {
  HttpResponse conflict =
      ProblemResponse(Status::WrongExpectedVersion("account-1", "exactly 3", std::nullopt));
  EXPECT_EQ(conflict.status, 409u);
  EXPECT_EQ(conflict.content_type, "application/problem+json");
  EXPECT_NE(conflict.body.find("\"actual_version\":null"), std::string::npos);
  HttpResponse not_yet = ProblemResponse(Status::NotYet("ledger-accounts", 41));
  EXPECT_EQ(not_yet.status, 503u);
  EXPECT_NE(not_yet.body.find("\"position\":41"), std::string::npos);
  EXPECT_EQ(HttpStatusOf(Status::DomainRuleViolated("no-overdraft", "m")), 422u);
  EXPECT_EQ(HttpStatusOf(Status::StorageFull("m")), 507u);
  EXPECT_EQ(HttpStatusOf(Status::Unauthorized("m")), 401u);
}

}  // namespace
}  // namespace duet::server
