// Acceptance: browser safety and HTTP conformance of `duet serve` over real
// sockets (docs/http-api.md, "Browser safety" and "HTTP conformance").
// Requests are raw bytes, so that headers a browser or an attacker would
// send (Origin, Host, Expect, ...) are sent exactly; refused requests are
// checked to append nothing by reading the log's head afterwards.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

#include "tests/integration/server_test_support.h"
#include "tests/support/gunzip.h"
#include "tests/support/raw_http_connection.h"
#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {

using RawConnection = RawHttpConnection;

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// One parsed response from a raw connection.
struct RawResponse {
  unsigned status = 0;
  std::string head;  // status line and headers, as sent
  std::string body;

  // The value of header `name` (lower case), or "" when absent.
  std::string Header(std::string_view name) const {
    const std::string lower = Lower(head);
    const std::string key = "\r\n" + std::string(name) + ": ";
    const size_t at = lower.find(key);
    if (at == std::string::npos) return "";
    const size_t start = at + key.size();
    return head.substr(start, head.find("\r\n", start) - start);
  }
  bool Has(std::string_view name) const {
    return Lower(head).find("\r\n" + std::string(name) + ":") != std::string::npos;
  }
};

// Reads one response; `head_only`: the request was HEAD (no body follows
// whatever Content-Length says).
RawResponse Read(RawConnection& connection, bool head_only = false) {
  RawResponse response;
  response.head = connection.ReadHead();
  if (response.head.size() < 12) return response;
  response.status = static_cast<unsigned>(std::stoul(response.head.substr(9, 3)));
  const std::string length = response.Header("content-length");
  if (!head_only && !length.empty()) response.body = connection.ReadBytes(std::stoul(length));
  return response;
}

constexpr std::string_view kAllowedOrigin = "https://app.example";
constexpr std::string_view kDeposit = R"({"account":"alice","currency":"EUR","amount":5})";

class ServerHttpConformanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartDuet(dir_ / "data", {"--cors-origins", std::string(kAllowedOrigin)});
    ASSERT_NE(server_, nullptr);
    api_ = std::make_unique<Api>(server_->port());
    ASSERT_EQ(api_->Command("OpenAccount", {{"account", "alice"}, {"owner", "Alice"}}).status,
              200u);
    head_ = api_->Head();
  }
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) std::cerr << "--- server log ---\n" << server_->log();
  }
  std::string Host() const { return "127.0.0.1:" + std::to_string(server_->port()); }
  // A request with Host set to this server unless `headers` names another.
  std::string Request(std::string_view method, std::string_view target, std::string_view headers,
                      std::string_view body = {}) const {
    std::string bytes = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
    if (Lower(std::string(headers)).find("host:") == std::string::npos) {
      bytes += "Host: " + Host() + "\r\n";
    }
    bytes += std::string(headers);
    if (!body.empty() || method == "POST") {
      bytes += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    return bytes + "\r\n" + std::string(body);
  }
  RawResponse Exchange(std::string_view bytes, bool head_only = false) {
    RawConnection connection(server_->port());
    EXPECT_TRUE(connection.connected());
    connection.Send(bytes);
    return Read(connection, head_only);
  }
  void ExpectNothingAppended() {
    Api fresh(server_->port());
    EXPECT_EQ(fresh.Head(), head_);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Api> api_;
  uint64_t head_ = 0;
};

TEST_F(ServerHttpConformanceTest, ACrossSitePlainTextPostIsRefusedAndNothingIsAppended) {
  // What an HTML form on another site makes the browser send.
  RawResponse cross_site =
      Exchange(Request("POST", "/commands/Deposit",
                       "Origin: https://evil.example\r\nContent-Type: text/plain\r\n", kDeposit));
  EXPECT_EQ(cross_site.status, 403u) << cross_site.head << cross_site.body;
  EXPECT_NE(cross_site.body.find("\"origin_not_allowed\""), std::string::npos);
  // The same without Origin (a page the browser does not label): still not JSON.
  RawResponse plain =
      Exchange(Request("POST", "/commands/Deposit", "Content-Type: text/plain\r\n", kDeposit));
  EXPECT_EQ(plain.status, 415u) << plain.body;
  EXPECT_NE(plain.body.find("\"unsupported_media_type\""), std::string::npos);
  EXPECT_NE(plain.body.find("\"Unsupported Media Type\""), std::string::npos);
  // JSON from a foreign origin (after a preflight the browser would not pass).
  RawResponse json = Exchange(
      Request("POST", "/commands/Deposit",
              "Origin: https://evil.example\r\nContent-Type: application/json\r\n", kDeposit));
  EXPECT_EQ(json.status, 403u);
  ExpectNothingAppended();
  // The server's own origin and the allowed one may.
  RawResponse own = Exchange(
      Request("POST", "/commands/Deposit",
              "Origin: http://" + Host() + "\r\nContent-Type: application/json; charset=utf-8\r\n",
              kDeposit));
  EXPECT_EQ(own.status, 200u) << own.body;
  EXPECT_EQ(own.Header("access-control-allow-origin"), "");
  RawResponse allowed = Exchange(
      Request("POST", "/commands/Deposit",
              "Origin: " + std::string(kAllowedOrigin) + "\r\nContent-Type: application/json\r\n",
              kDeposit));
  EXPECT_EQ(allowed.status, 200u) << allowed.body;
  EXPECT_EQ(allowed.Header("access-control-allow-origin"), kAllowedOrigin);
  EXPECT_EQ(allowed.Header("vary"), "Origin");
}

TEST_F(ServerHttpConformanceTest, ARebindingHostIsRefusedAndNothingIsAppended) {
  const std::string port = std::to_string(server_->port());
  RawResponse rebound = Exchange(Request(
      "POST", "/commands/Deposit",
      "Host: attacker.example:" + port + "\r\nContent-Type: application/json\r\n", kDeposit));
  EXPECT_EQ(rebound.status, 421u) << rebound.body;
  EXPECT_NE(rebound.head.find("421 Misdirected Request"), std::string::npos) << rebound.head;
  EXPECT_NE(rebound.body.find("\"host_not_allowed\""), std::string::npos);
  EXPECT_EQ(Exchange(Request("GET", "/events", "Host: attacker.example\r\n")).status, 421u);
  ExpectNothingAppended();
  EXPECT_EQ(Exchange(Request("GET", "/health", "Host: localhost:" + port + "\r\n")).status, 200u);
}

TEST_F(ServerHttpConformanceTest, PreflightsAreAnsweredForTheAllowedOriginOnly) {
  const std::string preflight =
      "Access-Control-Request-Method: POST\r\n"
      "Access-Control-Request-Headers: content-type, idempotency-key\r\nOrigin: ";
  RawResponse allowed = Exchange(
      Request("OPTIONS", "/commands/Deposit", preflight + std::string(kAllowedOrigin) + "\r\n"));
  EXPECT_EQ(allowed.status, 204u) << allowed.head;
  EXPECT_EQ(allowed.Header("access-control-allow-origin"), kAllowedOrigin);
  EXPECT_EQ(allowed.Header("vary"), "Origin");
  EXPECT_EQ(allowed.Header("access-control-allow-methods"), "POST, OPTIONS");
  const std::string allow_headers = allowed.Header("access-control-allow-headers");
  for (const char* header :
       {"authorization", "content-type", "idempotency-key", "expected-version", "last-event-id"}) {
    EXPECT_NE(allow_headers.find(header), std::string::npos) << header;
  }
  EXPECT_FALSE(allowed.Header("access-control-max-age").empty());
  RawResponse other =
      Exchange(Request("OPTIONS", "/commands/Deposit", preflight + "https://evil.example\r\n"));
  EXPECT_EQ(other.status, 204u);
  EXPECT_FALSE(other.Has("access-control-allow-origin")) << other.head;
  EXPECT_FALSE(other.Has("access-control-allow-methods")) << other.head;
  // The live feed carries the CORS headers too, from its first bytes.
  RawConnection feed(server_->port());
  feed.Send(Request("GET", "/events/live", "Origin: " + std::string(kAllowedOrigin) + "\r\n"));
  const RawResponse stream{200, feed.ReadHead(), ""};
  EXPECT_NE(stream.head.find("text/event-stream"), std::string::npos) << stream.head;
  EXPECT_EQ(stream.Header("access-control-allow-origin"), kAllowedOrigin);
  EXPECT_FALSE(stream.Header("date").empty());
}

TEST_F(ServerHttpConformanceTest, HeadAndOptionsWorkOnEveryGetRoute) {
  const std::vector<std::string> targets = {
      "/health", "/events", "/streams/account-alice",
      "/queries/balance?account=alice&min_position=" + std::to_string(head_), "/openapi.json"};
  for (const std::string& target : targets) {
    RawConnection connection(server_->port());
    connection.Send(Request("GET", target, ""));
    const RawResponse get = Read(connection);
    connection.Send(Request("HEAD", target, ""));
    const RawResponse head = Read(connection, /*head_only=*/true);
    // The next answer on the same connection parses: HEAD sent no body.
    connection.Send(Request("GET", "/health", ""));
    EXPECT_EQ(Read(connection).status, 200u) << target;
    EXPECT_EQ(get.status, 200u) << target << get.body;
    EXPECT_EQ(head.status, get.status) << target;
    EXPECT_EQ(head.Header("content-length"), std::to_string(get.body.size())) << target;
    EXPECT_EQ(head.Header("content-type"), get.Header("content-type")) << target;
    EXPECT_EQ(head.Header("etag"), get.Header("etag")) << target;
    RawResponse options = Exchange(Request("OPTIONS", target, ""));
    EXPECT_EQ(options.status, 204u) << target;
    EXPECT_NE(options.Header("allow").find("GET, HEAD"), std::string::npos) << options.head;
  }
  // The feed: its headers, and no stream is started.
  RawConnection feed(server_->port());
  feed.Send(Request("HEAD", "/events/live", ""));
  const RawResponse head = Read(feed, /*head_only=*/true);
  EXPECT_EQ(head.status, 200u);
  EXPECT_EQ(head.Header("content-type"), "text/event-stream");
  feed.Send(Request("GET", "/health", ""));
  EXPECT_EQ(Read(feed).status, 200u);  // the connection was not taken over by a stream
  EXPECT_EQ(Exchange(Request("OPTIONS", "/commands/Deposit", "")).Header("allow"), "POST, OPTIONS");
  EXPECT_EQ(Exchange(Request("OPTIONS", "/nowhere", "")).status, 404u);
}

TEST_F(ServerHttpConformanceTest, EveryAnswerHasADateAndHttp11NeedsAHost) {
  for (const std::string& bytes :
       {Request("GET", "/health", ""), Request("GET", "/nowhere", ""),
        std::string("GET /health HTTP/1.1\r\n\r\n"), std::string("BAD\r\n\r\n")}) {
    RawResponse response = Exchange(bytes);
    EXPECT_NE(response.status, 0u) << bytes;
    EXPECT_TRUE(response.Header("date").ends_with(" GMT")) << response.head;
  }
  RawResponse no_host = Exchange("GET /health HTTP/1.1\r\n\r\n");
  EXPECT_EQ(no_host.status, 400u);
  EXPECT_NE(no_host.body.find("\"missing_host\""), std::string::npos);
  EXPECT_EQ(Exchange("GET /health HTTP/1.0\r\n\r\n").status, 200u);
}

TEST_F(ServerHttpConformanceTest, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  const std::string body =
      R"([{"type":"Noted","data":{"text":")" + std::string(2000, 'x') + "\"}}]";
  RawConnection connection(server_->port());
  connection.Send("POST /streams/notes-1 HTTP/1.1\r\nHost: " + Host() +
                  "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\n"
                  "Content-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n");
  // The body is sent only once the interim answer has come.
  ASSERT_TRUE(connection.ReadUntil("HTTP/1.1 100 Continue\r\n\r\n"));
  const std::string interim = connection.ReadHead();
  EXPECT_EQ(interim, "HTTP/1.1 100 Continue\r\n\r\n");
  connection.Send(body);
  RawResponse appended = Read(connection);
  EXPECT_EQ(appended.status, 200u) << appended.body;
  head_ = api_->Head();

  // A request the server will not take: the final answer instead, body unread.
  for (const auto& [headers, status] : std::vector<std::pair<std::string, unsigned>>{
           {"Content-Type: text/plain\r\nContent-Length: 2000\r\n", 415u},
           {"Content-Type: application/json\r\nContent-Length: 99999999\r\n", 413u},
           {"Origin: https://evil.example\r\nContent-Type: application/json\r\n"
            "Content-Length: 2000\r\n",
            403u}}) {
    RawConnection refused(server_->port());
    refused.Send("POST /streams/notes-1 HTTP/1.1\r\nHost: " + Host() +
                 "\r\nExpect: 100-continue\r\n" + headers + "\r\n");
    const std::string answer = refused.ReadToClose();  // the server closes
    EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 " + std::to_string(status)) << answer;
    EXPECT_EQ(answer.find("100 Continue"), std::string::npos) << answer;
    EXPECT_NE(Lower(answer).find("connection: close"), std::string::npos) << answer;
  }
  ExpectNothingAppended();
}

TEST_F(ServerHttpConformanceTest, CurlPostsALargeBodyThroughOneHundredContinue) {
  if (std::system("command -v curl >/dev/null 2>&1") != 0) GTEST_SKIP() << "curl is missing";
  const std::filesystem::path body_file = dir_ / "body.json";
  WriteFile(body_file, R"([{"type":"Noted","data":{"text":")" + std::string(2048, 'y') + "\"}}]");
  // Debian 12's curl (7.88) sends Expect on its own only for uploads of
  // unknown or large size; asked explicitly, it waits up to 1 s for the 100.
  const std::string command =
      "curl -sS -v -o /dev/null -w '%{http_code}' -X POST "
      "-H 'Content-Type: application/json' "
      "-H 'Expect: 100-continue' --data-binary @" +
      body_file.string() + " http://" + Host() + "/streams/notes-2 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char chunk[4096];
  while (size_t n = fread(chunk, 1, sizeof(chunk), pipe)) output.append(chunk, n);
  ASSERT_EQ(pclose(pipe), 0) << output;
  // curl asked, and the server answered with the interim 100 before the body.
  EXPECT_NE(output.find("> Expect: 100-continue"), std::string::npos) << output;
  EXPECT_NE(output.find("< HTTP/1.1 100 Continue"), std::string::npos) << output;
  EXPECT_TRUE(output.ends_with("200")) << output;
  EXPECT_EQ(api_->Head(), head_ + 1);
}

TEST_F(ServerHttpConformanceTest, LongAnswersAreGzippedWhenAccepted) {
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(
        api_->Command("Deposit", {{"account", "alice"}, {"currency", "EUR"}, {"amount", 1}}).status,
        200u);
  }
  const RawResponse plain = Exchange(Request("GET", "/events?limit=100", ""));
  ASSERT_EQ(plain.status, 200u);
  ASSERT_GT(plain.body.size(), 1024u);
  const RawResponse zipped =
      Exchange(Request("GET", "/events?limit=100", "Accept-Encoding: gzip, deflate\r\n"));
  EXPECT_EQ(zipped.Header("content-encoding"), "gzip");
  EXPECT_NE(zipped.Header("vary").find("Accept-Encoding"), std::string::npos);
  EXPECT_LT(zipped.body.size(), plain.body.size());
  EXPECT_EQ(Gunzip(zipped.body), plain.body);
  const RawResponse refused =
      Exchange(Request("GET", "/events?limit=100", "Accept-Encoding: gzip;q=0\r\n"));
  EXPECT_FALSE(refused.Has("content-encoding"));
  EXPECT_EQ(refused.body, plain.body);
}

TEST_F(ServerHttpConformanceTest, QueryAnswersHaveAnEtagAndIfNoneMatchGives304) {
  const std::string target = "/queries/balance?account=alice&min_position=" + std::to_string(head_);
  const RawResponse first = Exchange(Request("GET", target, ""));
  ASSERT_EQ(first.status, 200u) << first.body;
  const std::string etag = first.Header("etag");
  ASSERT_TRUE(etag.starts_with("W/\"")) << first.head;
  const RawResponse same = Exchange(Request("GET", target, "If-None-Match: " + etag + "\r\n"));
  EXPECT_EQ(same.status, 304u);
  EXPECT_EQ(same.body, "");
  EXPECT_EQ(same.Header("etag"), etag);
  EXPECT_FALSE(same.Has("content-length") && same.Header("content-length") != "0");
  // Another query string is another answer.
  const Reply opened = api_->Command("OpenAccount", {{"account", "bob"}, {"owner", "Bob"}});
  ASSERT_EQ(opened.status, 200u);
  ASSERT_EQ(api_->Query("balance", "account=bob", opened["position"].to_number<uint64_t>()).status,
            200u);
  const RawResponse bob = Exchange(Request("GET", "/queries/balance?account=bob", ""));
  ASSERT_EQ(bob.status, 200u) << bob.body;
  EXPECT_NE(bob.Header("etag"), etag);
  const Reply deposit =
      api_->Command("Deposit", {{"account", "alice"}, {"currency", "EUR"}, {"amount", 7}});
  ASSERT_EQ(deposit.status, 200u);
  const uint64_t position = deposit["position"].to_number<uint64_t>();
  const RawResponse changed = Exchange(
      Request("GET", "/queries/balance?account=alice&min_position=" + std::to_string(position),
              "If-None-Match: " + etag + "\r\n"));
  EXPECT_EQ(changed.status, 200u);
  EXPECT_NE(changed.Header("etag"), etag);
}

TEST_F(ServerHttpConformanceTest, ATooLargeBodyIsCountedWithItsMethod) {
  RawConnection connection(server_->port());
  connection.Send("POST /commands/Deposit HTTP/1.1\r\nHost: " + Host() +
                  "\r\nContent-Type: application/json\r\nContent-Length: 99999999\r\n\r\n");
  const std::string answer = connection.ReadToClose();
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 413 Content Too Large\r\n")) << answer;
  const Reply metrics = api_->Get("/metrics");
  ASSERT_EQ(metrics.status, 200u);
  bool counted = false;
  std::istringstream lines(metrics.body);
  for (std::string line; std::getline(lines, line);) {
    counted = counted || (line.starts_with("duet_http_requests_total{") &&
                          line.find("method=\"POST\"") != std::string::npos &&
                          line.find("status=\"413\"") != std::string::npos);
  }
  EXPECT_TRUE(counted) << metrics.body;
}

}  // namespace
}  // namespace duet::testing
