// Acceptance: `duet serve` with TLS (--tls-cert/--tls-key) on a throwaway CA
// made by the openssl command: curl verifies it with the CA and refuses it
// without; plain HTTP to the port is closed; commands and the live feed
// work over TLS; SIGHUP loads a new certificate for new connections while an
// established one goes on, and a bad file keeps the old one; a query node
// follows a TLS command node with --follow-ca, and with the wrong CA does
// not connect and says why on /ready.
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <signal.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "follow/http_client.h"
#include "tests/integration/server_test_support.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tls_test_support.h"

namespace duet::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using std::chrono::seconds;

constexpr seconds kTimeout{60};

// One TLS connection held open across requests (keep-alive), to see that a
// certificate reload leaves it alone. Blocking; the test's ctest timeout
// bounds a hang.
class KeptAliveTlsConnection {
 public:
  KeptAliveTlsConnection(uint16_t port, const std::filesystem::path& ca)
      : context_(ssl::context::tls_client), stream_(io_, context_) {
    context_.load_verify_file(ca.string());
    context_.set_verify_mode(ssl::verify_peer);
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream_.native_handle()), "127.0.0.1");
    beast::get_lowest_layer(stream_).connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    stream_.handshake(ssl::stream_base::client);
  }

  // The status of GET `target` on this same connection (0 if it failed).
  unsigned Get(const std::string& target) {
    http::request<http::empty_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(true);
    beast::error_code ec;
    http::write(stream_, request, ec);
    if (ec) return 0;
    http::response<http::string_body> response;
    http::read(stream_, buffer_, response, ec);
    return ec ? 0 : response.result_int();
  }

  // The common name of the certificate the server presented.
  std::string PeerName() { return CommonNameOf(stream_.native_handle()); }

  static std::string CommonNameOf(SSL* ssl) {
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (cert == nullptr) return "";
    char name[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof(name));
    X509_free(cert);
    return name;
  }

 private:
  asio::io_context io_;
  ssl::context context_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
};

class ServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<CertificateFiles> ca = pki_.MakeCa("duet-test-ca");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *ca;
    Result<CertificateFiles> first = pki_.MakeServerCert("duet-first", ca_);
    ASSERT_TRUE(first.ok()) << first.status();
    // The server reads these two paths at start and on every SIGHUP.
    cert_ = dir_ / "server.pem";
    key_ = dir_ / "server.key";
    std::filesystem::copy_file(first->cert, cert_);
    std::filesystem::copy_file(first->key, key_);
    server_ = StartDuet(dir_ / "data", {"--tls-cert", cert_.string(), "--tls-key", key_.string()});
    ASSERT_NE(server_, nullptr);
  }

  std::string Url() const { return "https://127.0.0.1:" + std::to_string(server_->port()); }

  std::unique_ptr<follow::HttpClient> HttpsClient() {
    Result<std::shared_ptr<const follow::TlsTrust>> trust =
        follow::TlsTrust::Load(ca_.cert.string());
    EXPECT_TRUE(trust.ok()) << trust.status();
    follow::HttpUrl url{"127.0.0.1", server_->port(), "", true};
    return follow::HttpClient::Create(url, kTimeout, trust.ok() ? *trust : nullptr);
  }

  // curl GET `path`: the exit code and output.
  ProgramRun Curl(const std::string& path, const std::vector<std::string>& options) {
    std::vector<std::string> argv{"curl", "-sS", "--max-time", "60"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(Url() + path);
    Result<ProgramRun> run = RunProgram(argv, dir_.path());
    EXPECT_TRUE(run.ok()) << run.status();
    return run.ok() ? *run : ProgramRun{};
  }

  TempDir dir_;
  TestPki pki_{dir_.path()};
  CertificateFiles ca_;
  std::filesystem::path cert_;
  std::filesystem::path key_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerTlsTest, BannerNamesAnHttpsUrl) {
  EXPECT_NE(server_->log().find("https://127.0.0.1:" + std::to_string(server_->port())),
            std::string::npos)
      << server_->log();
}

TEST_F(ServerTlsTest, CurlWithTheCaGetsHealth) {
  ProgramRun run = Curl("/health", {"--cacert", ca_.cert.string()});
  EXPECT_EQ(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("\"status\":\"ok\""), std::string::npos) << run.output;
}

TEST_F(ServerTlsTest, CurlWithoutTheCaFailsVerification) {
  // No --cacert: the system trust store, which does not hold the test CA.
  ProgramRun run = Curl("/health", {});
  EXPECT_EQ(run.exit_code, 60) << run.output;  // CURLE_PEER_FAILED_VERIFICATION
}

TEST_F(ServerTlsTest, PlainHttpToTheTlsPortIsClosedAndTheServerGoesOn) {
  auto plain = follow::HttpClient::Create({"127.0.0.1", server_->port(), ""}, kTimeout);
  Result<follow::HttpClientResponse> refused = plain->Request("GET", "/health");
  EXPECT_FALSE(refused.ok()) << refused->status;
  auto client = HttpsClient();
  Result<follow::HttpClientResponse> health = client->Request("GET", "/health");
  ASSERT_TRUE(health.ok()) << health.status();
  EXPECT_EQ(health->status, 200u);
}

TEST_F(ServerTlsTest, CommandOverTlsAppendsAndTheFeedDeliversIt) {
  auto client = HttpsClient();
  Result<follow::HttpClientResponse> appended =
      client->Request("POST", "/commands/OpenAccount", R"({"account":"tls","owner":"T"})",
                      {{"Content-Type", "application/json"}});
  ASSERT_TRUE(appended.ok()) << appended.status();
  ASSERT_EQ(appended->status, 200u) << appended->body;
  std::string feed;
  const Status streamed =
      client->Stream("/events/live?from=1", {}, kTimeout, [&feed](std::string_view chunk) {
        feed += chunk;
        return feed.find("account-tls") == std::string::npos;
      });
  ASSERT_TRUE(streamed.ok()) << streamed;
  EXPECT_NE(feed.find("AccountOpened"), std::string::npos) << feed;
}

TEST_F(ServerTlsTest, SighupServesTheNewCertificateToNewConnectionsOnly) {
  KeptAliveTlsConnection established(server_->port(), ca_.cert);
  ASSERT_EQ(established.Get("/health"), 200u);
  EXPECT_EQ(established.PeerName(), "duet-first");

  Result<CertificateFiles> second = pki_.MakeServerCert("duet-second", ca_);
  ASSERT_TRUE(second.ok()) << second.status();
  std::filesystem::copy_file(second->cert, cert_,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(second->key, key_, std::filesystem::copy_options::overwrite_existing);
  ASSERT_EQ(kill(server_->pid(), SIGHUP), 0);
  ASSERT_TRUE(Eventually([&] {
    return server_->log().find("TLS certificate reloaded") != std::string::npos;
  })) << server_->log();

  KeptAliveTlsConnection fresh(server_->port(), ca_.cert);
  EXPECT_EQ(fresh.PeerName(), "duet-second");
  EXPECT_EQ(fresh.Get("/health"), 200u);
  // The connection made before the reload goes on, with its certificate.
  EXPECT_EQ(established.Get("/health"), 200u);
  EXPECT_EQ(established.PeerName(), "duet-first");
}

TEST_F(ServerTlsTest, SighupWithABadKeyKeepsTheOldCertificate) {
  WriteFile(key_, "not a key\n");
  ASSERT_EQ(kill(server_->pid(), SIGHUP), 0);
  ASSERT_TRUE(Eventually([&] { return server_->log().find("not reloaded") != std::string::npos; }))
      << server_->log();
  EXPECT_NE(server_->log().find("tls_key"), std::string::npos) << server_->log();
  KeptAliveTlsConnection fresh(server_->port(), ca_.cert);
  EXPECT_EQ(fresh.PeerName(), "duet-first");
  EXPECT_EQ(fresh.Get("/health"), 200u);
}

TEST_F(ServerTlsTest, QueryNodeFollowsOverTlsWithTheCa) {
  auto client = HttpsClient();
  Result<follow::HttpClientResponse> appended =
      client->Request("POST", "/commands/OpenAccount", R"({"account":"far","owner":"F"})",
                      {{"Content-Type", "application/json"}});
  ASSERT_TRUE(appended.ok()) << appended.status();
  ASSERT_EQ(appended->status, 200u) << appended->body;

  auto query_node = StartDuet(
      dir_ / "query", {"--role", "query", "--follow", Url(), "--follow-ca", ca_.cert.string()});
  ASSERT_NE(query_node, nullptr);
  Api api(query_node->port());
  Reply balance = api.Query("balance", "account=far", 1);
  ASSERT_EQ(balance.status, 200u) << balance.Describe();
  EXPECT_EQ(balance["data"].as_object().at("owner"), "F") << balance.Describe();
}

TEST_F(ServerTlsTest, QueryNodeWithTheWrongCaDoesNotConnectAndSaysWhy) {
  Result<CertificateFiles> other_ca = pki_.MakeCa("another-ca");
  ASSERT_TRUE(other_ca.ok()) << other_ca.status();
  auto query_node = StartDuet(dir_ / "query", {"--role", "query", "--follow", Url(), "--follow-ca",
                                               other_ca->cert.string()});
  ASSERT_NE(query_node, nullptr);
  Api api(query_node->port());
  Reply ready;
  ASSERT_TRUE(Eventually([&] {
    ready = api.Get("/ready");
    return ready.body.find("certificate") != std::string::npos;
  })) << ready.Describe();
  EXPECT_EQ(ready.status, 503u) << ready.Describe();
}

}  // namespace
}  // namespace duet::testing
