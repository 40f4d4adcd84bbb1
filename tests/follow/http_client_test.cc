#include "follow/http_client.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <thread>

#include "tests/follow/test_feed_server.h"
#include "tests/support/temp_dir.h"

namespace duet::follow {
namespace {

using namespace std::chrono_literals;
using testing::TestFeedServer;

HttpUrl UrlOf(const TestFeedServer& server) { return {"127.0.0.1", server.port(), ""}; }

// A port nothing listens on: bound, then released.
uint16_t FreePort() {
  TestFeedServer probe;
  const uint16_t port = probe.port();
  probe.Stop();
  return port;
}

TEST(ParseHttpUrlTest, ParsesHostPortAndBasePath) {
  Result<HttpUrl> url = ParseHttpUrl("http://127.0.0.1:8080/base/");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->base_path, "/base");
  url = ParseHttpUrl("HTTP://localhost");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->base_path, "");
  url = ParseHttpUrl("http://[::1]:9000");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->port, 9000);
  EXPECT_FALSE(url->tls);
}

TEST(ParseHttpUrlTest, ParsesHttpsWithItsDefaultPort) {
  Result<HttpUrl> url = ParseHttpUrl("https://cmd.internal/base");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->host, "cmd.internal");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->base_path, "/base");
  url = ParseHttpUrl("HTTPS://127.0.0.1:8443");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_TRUE(url->tls);
  EXPECT_EQ(url->port, 8443);
}

TEST(TlsTrustTest, AMissingOrMalformedCaFileIsInvalid) {
  duet::testing::TempDir dir;
  std::ofstream(dir / "not-a-ca.pem") << "not a certificate\n";
  for (const std::string& file :
       {(dir / "missing.pem").string(), (dir / "not-a-ca.pem").string()}) {
    Result<std::shared_ptr<const TlsTrust>> trust = TlsTrust::Load(file);
    EXPECT_TRUE(trust.status().IsInvalidArgument()) << file;
    EXPECT_EQ(trust.status().subject(), "ca_file") << file;
  }
}

TEST(HttpClientTest, HttpsToAPlainServerFailsTheHandshake) {
  TestFeedServer server;
  HttpUrl url = UrlOf(server);
  url.tls = true;
  Result<std::shared_ptr<const TlsTrust>> trust = TlsTrust::Load("");
  ASSERT_TRUE(trust.ok()) << trust.status();
  // The plain server answers the TLS hello with an HTTP error or not at all
  // (it waits for a request line): an I/O error or the timeout, never a reply.
  auto response = HttpClient::Create(url, 2s, *trust)->Request("GET", "/echo");
  EXPECT_TRUE(response.status().IsIOError() || response.status().IsTimeout()) << response.status();
  EXPECT_NE(response.status().message().find("TLS handshake"), std::string::npos)
      << response.status();
}

TEST(ParseHttpUrlTest, RefusesMalformedUrls) {
  for (const char* bad :
       {"https://", "ftp://x", "127.0.0.1:8080", "http://", "http://:80", "http://h:", "http://h:0",
        "http://h:65536", "http://h:8x", "http://h/a?b=1", "http://[::1", "http://[::1]x"}) {
    Result<HttpUrl> url = ParseHttpUrl(bad);
    EXPECT_TRUE(url.status().IsInvalidArgument()) << bad;
    EXPECT_EQ(url.status().subject(), "url") << bad;
  }
}

TEST(HttpClientTest, SendsMethodBodyAndHeaders) {
  TestFeedServer server;
  auto client = HttpClient::Connect(UrlOf(server), 5s);
  ASSERT_TRUE(client.ok()) << client.status();
  auto response = (*client)->Request("POST", "/echo?x=1", "hello", {{"X-Test", "yes"}});
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->Header("content-type"), "application/json");
  EXPECT_EQ(response->Header("x-missing"), "");
  boost::json::value body = boost::json::parse(response->body);
  EXPECT_EQ(body.at("method").as_string(), "POST");
  EXPECT_EQ(body.at("target").as_string(), "/echo?x=1");
  EXPECT_EQ(body.at("body").as_string(), "hello");
  EXPECT_EQ(body.at("x_test").as_string(), "yes");
}

TEST(HttpClientTest, PrefixesBasePath) {
  TestFeedServer server;
  HttpUrl url = UrlOf(server);
  url.base_path = "/nope";
  auto response = HttpClient::Create(url, 5s)->Request("GET", "/echo");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 404u);
}

TEST(HttpClientTest, KeepsTheConnectionAlive) {
  TestFeedServer server;
  auto client = HttpClient::Create(UrlOf(server), 5s);
  for (int i = 0; i < 5; ++i) {
    auto response = client->Request("GET", "/echo");
    ASSERT_TRUE(response.ok()) << response.status();
  }
  EXPECT_EQ(server.connections(), 1);
}

TEST(HttpClientTest, ReconnectsWhenTheServerClosedTheConnection) {
  TestFeedServer server;
  auto client = HttpClient::Create(UrlOf(server), 5s);
  ASSERT_TRUE(client->Request("GET", "/echo").ok());
  server.DropConnections();  // closes the idle kept-alive connection
  auto response = client->Request("GET", "/echo");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpClientTest, HonoursConnectionClose) {
  TestFeedServer server;
  auto client = HttpClient::Create(UrlOf(server), 5s);
  auto response = client->Request("GET", "/close");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "\"bye\"");
  ASSERT_TRUE(client->Request("GET", "/echo").ok());
  EXPECT_EQ(server.connections(), 2);
}

TEST(HttpClientTest, RefusedConnectionIsIOError) {
  const HttpUrl url{"127.0.0.1", FreePort(), ""};
  auto client = HttpClient::Connect(url, 5s);
  EXPECT_TRUE(client.status().IsIOError()) << client.status();
  auto response = HttpClient::Create(url, 5s)->Request("GET", "/");
  EXPECT_TRUE(response.status().IsIOError()) << response.status();
}

TEST(HttpClientTest, UnknownMethodIsInvalidArgument) {
  TestFeedServer server;
  auto response = HttpClient::Create(UrlOf(server), 5s)->Request("FROB", "/echo");
  EXPECT_TRUE(response.status().IsInvalidArgument());
  EXPECT_EQ(response.status().subject(), "method");
}

TEST(HttpClientTest, SilentServerIsTimeout) {
  TestFeedServer server;
  auto response = HttpClient::Create(UrlOf(server), 200ms)->Request("GET", "/hang");
  EXPECT_TRUE(response.status().IsTimeout()) << response.status();
}

TEST(HttpClientTest, StreamsChunksUntilTheCallbackStops) {
  TestFeedServer server;
  server.Append("s-1", "Happened", R"({"n":1})");
  auto client = HttpClient::Create(UrlOf(server), 5s);
  std::string received;
  Status s = client->Stream("/events/live?from=1", {}, 5s, [&](std::string_view chunk) {
    received.append(chunk);
    return received.find("\"n\":1") == std::string::npos;
  });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_NE(received.find("event: head\ndata: {\"head\":1}"), std::string::npos);
  EXPECT_NE(received.find("id: 1\nevent: event\n"), std::string::npos);
  EXPECT_TRUE(client->Request("GET", "/echo").ok());  // usable again afterwards
}

TEST(HttpClientTest, StreamIdleTimeoutIsTimeout) {
  TestFeedServer server;
  auto client = HttpClient::Create(UrlOf(server), 5s);
  // The feed sends `event: head` at once, then nothing for 1 s.
  Status s = client->Stream("/events/live", {}, 100ms, [](std::string_view) { return true; });
  EXPECT_TRUE(s.IsTimeout()) << s;
}

TEST(HttpClientTest, StreamOfAnErrorStatusIsIOError) {
  TestFeedServer server;
  Status s =
      HttpClient::Create(UrlOf(server), 5s)->Stream("/missing", {}, 5s, [](std::string_view) {
        return true;
      });
  EXPECT_TRUE(s.IsIOError()) << s;
  EXPECT_NE(s.message().find("404"), std::string::npos) << s;
}

TEST(HttpClientTest, StreamBrokenByTheServerIsIOError) {
  TestFeedServer server;
  auto client = HttpClient::Create(UrlOf(server), 5s);
  Status s = client->Stream("/events/live", {}, 5s, [&](std::string_view) {
    server.DropConnections();
    return true;
  });
  EXPECT_TRUE(s.IsIOError()) << s;
}

TEST(HttpClientTest, AbortStopsAStreamFromAnotherThread) {
  TestFeedServer server;
  auto client = HttpClient::Create(UrlOf(server), 5s);
  std::atomic<bool> started{false};
  Status s;
  std::thread reader([&] {
    s = client->Stream("/events/live", {}, 60s, [&](std::string_view) {
      started = true;
      return true;
    });
  });
  while (!started) std::this_thread::sleep_for(1ms);
  client->Abort();
  reader.join();
  EXPECT_TRUE(s.IsIOError()) << s;
  EXPECT_NE(s.message().find("aborted"), std::string::npos) << s;
  EXPECT_TRUE(client->Request("GET", "/echo").status().IsIOError());
}

}  // namespace
}  // namespace duet::follow
