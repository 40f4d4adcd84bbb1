// HttpServer with TLS, in process: the certificate and key are checked at
// start and on reload (a failed reload keeps serving the old certificate),
// a streaming response is written over TLS, and a stopped server ends an
// open TLS connection. Certificates are made by the openssl command at run time.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "follow/http_client.h"
#include "server/http_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tls_test_support.h"

namespace duet::server {
namespace {

using duet::testing::CertificateFiles;
using duet::testing::TempDir;
using duet::testing::TestPki;
using std::chrono::seconds;

class HttpServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<CertificateFiles> ca = pki_.MakeCa("http-server-test-ca");
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = *ca;
    Result<CertificateFiles> server = pki_.MakeServerCert("http-server-test", ca_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_files_ = *server;
    router_.Add({.method = "GET", .pattern = "/hello", .handle = [](const HttpRequest&) {
                   return HttpResponse::Json(200, "\"hello\"");
                 }});
    router_.Add({.method = "GET",
                 .pattern = "/stream",
                 .execution = Execution::kStream,
                 .stream = [](const HttpRequest&, StreamWriter& writer) {
                   for (int i = 0; i < 3; ++i) writer.Write("data: " + std::to_string(i) + "\n\n");
                   return HttpResponse{};
                 }});
  }

  Result<std::unique_ptr<HttpServer>> Start(const std::string& cert, const std::string& key) {
    HttpServerOptions options;
    options.worker_threads = 2;
    options.tls_cert_file = cert;
    options.tls_key_file = key;
    return HttpServer::Start(&router_, &authority_, nullptr, options);
  }

  std::unique_ptr<follow::HttpClient> Client(uint16_t port) {
    Result<std::shared_ptr<const follow::TlsTrust>> trust =
        follow::TlsTrust::Load(ca_.cert.string());
    EXPECT_TRUE(trust.ok()) << trust.status();
    return follow::HttpClient::Create({"127.0.0.1", port, "", true}, seconds(60),
                                      trust.ok() ? *trust : nullptr);
  }

  TempDir dir_;
  TestPki pki_{dir_.path()};
  CertificateFiles ca_;
  CertificateFiles server_files_;
  Router router_;
  TokenAuthority authority_;
};

TEST_F(HttpServerTlsTest, StartRefusesFilesThatDoNotLoad) {
  Result<std::unique_ptr<HttpServer>> server =
      Start((dir_ / "missing.pem").string(), server_files_.key.string());
  EXPECT_TRUE(server.status().IsInvalidArgument()) << server.status();
  EXPECT_EQ(server.status().subject(), "tls_cert");
  EXPECT_NE(server.status().message().find("No such file"), std::string::npos) << server.status();

  std::ofstream(dir_ / "garbage.key") << "not a key\n";
  server = Start(server_files_.cert.string(), (dir_ / "garbage.key").string());
  EXPECT_EQ(server.status().subject(), "tls_key") << server.status();

  // The CA's key is a fine key, but not the certificate's.
  server = Start(server_files_.cert.string(), ca_.key.string());
  EXPECT_EQ(server.status().subject(), "tls_key") << server.status();
  EXPECT_NE(server.status().message().find("does not match"), std::string::npos) << server.status();
}

TEST_F(HttpServerTlsTest, ServesOverTlsAndAFailedReloadKeepsServing) {
  Result<std::unique_ptr<HttpServer>> server =
      Start(server_files_.cert.string(), server_files_.key.string());
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_TRUE((*server)->tls());
  auto response = Client((*server)->port())->Request("GET", "/hello");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->body, "\"hello\"");

  EXPECT_TRUE((*server)->ReloadTls().ok());
  std::ofstream(server_files_.key, std::ios::trunc) << "not a key\n";
  const Status reload = (*server)->ReloadTls();
  EXPECT_EQ(reload.subject(), "tls_key") << reload;
  response = Client((*server)->port())->Request("GET", "/hello");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200u);
}

TEST_F(HttpServerTlsTest, StreamsOverTls) {
  Result<std::unique_ptr<HttpServer>> server =
      Start(server_files_.cert.string(), server_files_.key.string());
  ASSERT_TRUE(server.ok()) << server.status();
  std::string body;
  const Status streamed =
      Client((*server)->port())->Stream("/stream", {}, seconds(60), [&body](std::string_view s) {
        body += s;
        return true;
      });
  ASSERT_TRUE(streamed.ok()) << streamed;
  EXPECT_EQ(body, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
}

TEST_F(HttpServerTlsTest, StoppedServerEndsAnOpenTlsConnection) {
  Result<std::unique_ptr<HttpServer>> server =
      Start(server_files_.cert.string(), server_files_.key.string());
  ASSERT_TRUE(server.ok()) << server.status();
  auto client = Client((*server)->port());
  ASSERT_TRUE(client->Request("GET", "/hello").ok());  // kept alive
  (*server)->Stop(seconds(10));
  server->reset();  // the idle connection ends with the server
  EXPECT_FALSE(client->Request("GET", "/hello").ok());
}

TEST(HttpServerPlainTest, ReloadTlsWithoutTlsIsAFailedPrecondition) {
  Router router;
  TokenAuthority authority;
  auto server = HttpServer::Start(&router, &authority, nullptr, HttpServerOptions{});
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_FALSE((*server)->tls());
  EXPECT_EQ((*server)->ReloadTls().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace duet::server
