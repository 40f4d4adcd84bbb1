#include "server/server_config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "tests/support/temp_dir.h"

namespace duet::server {
namespace {

constexpr char kGoodFile[] = R"(
[server]
host = "0.0.0.0"
port = 9090
role = "command"
data = "/var/lib/duet"
io_threads = 4
worker_threads = 16
durability = "interval:5"

[limits]
max_body_bytes = 2048
max_header_bytes = 4096
request_timeout_ms = 500
idle_timeout_ms = 1000
max_connections = 10
max_query_wait_ms = 0
shutdown_grace_ms = 250

[[auth.tokens]]
name = "ops"
token = "ops-secret-0123456789"
scopes = ["command", "query", "admin"]

[[auth.tokens]]
name = "dashboard"
token = "dash-secret-0123456789"
scopes = ["query"]
)";

Status ParseError(std::string_view toml) { return ParseServerConfig(toml, "duet.toml").status(); }

TEST(ServerConfigTest, DefaultsAreTheDocumentedOnes) {
  const ServerConfig c;
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 8080);
  EXPECT_EQ(c.role, ServerRole::kAll);
  EXPECT_EQ(c.data, "data");
  EXPECT_EQ(c.io_threads, 2u);
  EXPECT_EQ(c.worker_threads, 64u);
  EXPECT_EQ(c.durability.mode, Durability::Mode::kSync);
  EXPECT_EQ(c.limits.max_body_bytes, 1u << 20);
  EXPECT_EQ(c.limits.max_header_bytes, 8u << 10);
  EXPECT_EQ(c.limits.request_timeout.count(), 10000);
  EXPECT_EQ(c.limits.idle_timeout.count(), 60000);
  EXPECT_EQ(c.limits.max_connections, 1024u);
  EXPECT_EQ(c.limits.max_query_wait.count(), 30000);
  EXPECT_EQ(c.limits.shutdown_grace.count(), 10000);
  EXPECT_TRUE(c.tokens.empty());
  EXPECT_TRUE(ValidateServerConfig(c).ok());
}

TEST(ServerConfigTest, SettingsTableDescribesEverySettingOnce) {
  std::map<std::string_view, std::string> defaults;
  for (const SettingInfo& s : ServerSettings()) {
    EXPECT_TRUE(defaults.emplace(s.name, s.default_value).second) << s.name;
    EXPECT_EQ(
        s.env, "DUET_" + [&] {
          std::string upper(s.name);
          for (char& ch : upper) ch = static_cast<char>(std::toupper(ch));
          return upper;
        }());
    EXPECT_FALSE(s.help.empty());
  }
  EXPECT_EQ(defaults.size(), 20u);
  EXPECT_EQ(defaults["cors_origins"], "");  // no CORS by default
  EXPECT_EQ(defaults["store"], "");         // the embedded store
  EXPECT_EQ(defaults["port"], "8080");
  EXPECT_EQ(defaults["durability"], "sync");
  EXPECT_EQ(defaults["max_body_bytes"], "1048576");
  EXPECT_EQ(defaults["idle_timeout_ms"], "60000");
  const std::string help = ServerSettingsHelp();
  EXPECT_NE(help.find("--max-body-bytes N"), std::string::npos) << help;
  EXPECT_NE(help.find("(env DUET_PORT, file server.port; default 8080)"), std::string::npos);
}

TEST(ServerConfigTest, ParsesAGoodFile) {
  auto parsed = ParseServerConfig(kGoodFile, "duet.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const ServerConfig& c = *parsed;
  EXPECT_EQ(c.host, "0.0.0.0");
  EXPECT_EQ(c.port, 9090);
  EXPECT_EQ(c.role, ServerRole::kCommand);
  EXPECT_EQ(c.data, "/var/lib/duet");
  EXPECT_EQ(c.io_threads, 4u);
  EXPECT_EQ(c.worker_threads, 16u);
  EXPECT_EQ(c.durability.ToString(), "interval:5");
  EXPECT_EQ(c.limits.max_body_bytes, 2048u);
  EXPECT_EQ(c.limits.max_header_bytes, 4096u);
  EXPECT_EQ(c.limits.request_timeout.count(), 500);
  EXPECT_EQ(c.limits.idle_timeout.count(), 1000);
  EXPECT_EQ(c.limits.max_connections, 10u);
  EXPECT_EQ(c.limits.max_query_wait.count(), 0);
  EXPECT_EQ(c.limits.shutdown_grace.count(), 250);
  ASSERT_EQ(c.tokens.size(), 2u);
  EXPECT_EQ(c.tokens[0].name, "ops");
  EXPECT_EQ(c.tokens[0].token, "ops-secret-0123456789");
  EXPECT_EQ(c.tokens[0].scopes,
            (std::vector<Scope>{Scope::kCommand, Scope::kQuery, Scope::kAdmin}));
  EXPECT_EQ(c.tokens[1].scopes, std::vector<Scope>{Scope::kQuery});
  EXPECT_TRUE(ValidateServerConfig(c).ok());
}

TEST(ServerConfigTest, EmptyFileGivesDefaults) {
  auto parsed = ParseServerConfig("", "duet.toml");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->port, 8080);
}

TEST(ServerConfigTest, UnknownKeyNamesPathAndLine) {
  const Status s = ParseError("[limits]\nmax_body_bytes = 10\nmax_bodybytes = 10\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.subject(), "limits.max_bodybytes");
  EXPECT_EQ(s.message(), "duet.toml:3: unknown key");
  EXPECT_EQ(ParseError("[sever]\nport = 1\n").subject(), "sever");
  EXPECT_EQ(ParseError("port = 1\n").subject(), "port");
  EXPECT_EQ(ParseError("[[auth.tokens]]\nname=\"a\"\nsecret=\"x\"\n").subject(),
            "auth.tokens[0].secret");
  EXPECT_EQ(ParseError("[auth]\nusers = 1\n").subject(), "auth.users");
}

TEST(ServerConfigTest, WrongTypeNamesPathAndLine) {
  Status s = ParseError("[limits]\n\nmax_body_bytes = \"1MiB\"\n");
  EXPECT_EQ(s.subject(), "limits.max_body_bytes");
  EXPECT_EQ(s.message(), "duet.toml:3: must be an integer");
  s = ParseError("[server]\nhost = 127\n");
  EXPECT_EQ(s.subject(), "server.host");
  EXPECT_EQ(s.message(), "duet.toml:2: must be a string");
  EXPECT_EQ(ParseError("server = 1\n").subject(), "server");
  EXPECT_EQ(ParseError("[server]\nport = 1.5\n").subject(), "server.port");
}

TEST(ServerConfigTest, BadValuesNamePath) {
  Status s = ParseError("[server]\nrole = \"writer\"\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.subject(), "server.role");
  EXPECT_EQ(s.message(), "duet.toml:2: must be all, command or query");
  s = ParseError("[server]\nport = 70000\n");
  EXPECT_EQ(s.subject(), "server.port");
  EXPECT_EQ(s.message(), "duet.toml:2: must be an integer from 0 to 65535");
  EXPECT_EQ(ParseError("[server]\nio_threads = -1\n").subject(), "server.io_threads");
  EXPECT_EQ(ParseError("[server]\ndurability = \"fast\"\n").subject(), "server.durability");
  EXPECT_EQ(ParseError("[limits]\nmax_header_bytes = 10\n").subject(), "limits.max_header_bytes");
}

TEST(ServerConfigTest, SyntaxErrorNamesFileLineAndColumn) {
  const Status s = ParseError("[server]\nport = = 1\n");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.subject(), "config");
  EXPECT_TRUE(s.message().starts_with("duet.toml:2:")) << s.message();
}

TEST(ServerConfigTest, BadTokensFailAtLoadWithoutTheSecret) {
  Status s = ParseError("[[auth.tokens]]\nname = \"a\"\ntoken = \"short\"\nscopes = [\"query\"]\n");
  EXPECT_EQ(s.subject(), "auth.tokens[0].token");
  EXPECT_EQ(s.ToString().find("short"), std::string::npos) << s;
  s = ParseError(
      "[[auth.tokens]]\nname = \"a\"\ntoken = \"long-enough-secret-1\"\n"
      "scopes = [\"root\"]\n");
  EXPECT_EQ(s.subject(), "auth.tokens[0].scopes");
  EXPECT_EQ(s.message(), "duet.toml:4: must hold command, query or admin");
  s = ParseError("[[auth.tokens]]\nname = \"a\"\nscopes = [\"query\"]\n");
  EXPECT_EQ(s.subject(), "auth.tokens[0].token");
  EXPECT_EQ(s.message(), "duet.toml:1: is missing");
  s = ParseError("[[auth.tokens]]\nname = \"a\"\ntoken = 12345\nscopes = [\"query\"]\n");
  EXPECT_EQ(s.subject(), "auth.tokens[0].token");
  EXPECT_EQ(s.message(), "duet.toml:3: must be a string");
}

TEST(ServerConfigTest, LoadsFromAFile) {
  duet::testing::TempDir dir;
  const auto path = dir.path() / "duet.toml";
  std::ofstream(path) << kGoodFile;
  auto loaded = LoadServerConfigFile(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->port, 9090);
  EXPECT_EQ(LoadServerConfigFile(dir.path() / "missing.toml").status().code(),
            StatusCode::kNotFound);
  std::ofstream(dir.path() / "bad.toml") << "[server]\nport = \"x\"\n";
  const Status s = LoadServerConfigFile(dir.path() / "bad.toml").status();
  EXPECT_EQ(s.subject(), "server.port");
  EXPECT_NE(s.message().find("bad.toml:2:"), std::string::npos) << s;
}

TEST(ServerConfigTest, EnvOverlaysOnlyWhatIsSet) {
  const std::map<std::string, std::string> env = {
      {"DUET_PORT", "0"},
      {"DUET_ROLE", "query"},
      {"DUET_FOLLOW", "http://127.0.0.1:8080"},
      {"DUET_MAX_BODY_BYTES", "4096"},
      {"DUET_IDLE_TIMEOUT_MS", "5"},
      {"DUET_DURABILITY", "none"},
      {"DUET_TOKENS", "ignored-secret-0123456789"},
  };
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  ServerConfig c;
  c.host = "from-file";
  ASSERT_TRUE(ApplyServerEnv(&c, getenv).ok());
  EXPECT_EQ(c.host, "from-file");
  EXPECT_EQ(c.port, 0);
  EXPECT_EQ(c.role, ServerRole::kQuery);
  EXPECT_EQ(c.follow, "http://127.0.0.1:8080");
  EXPECT_EQ(c.limits.max_body_bytes, 4096u);
  EXPECT_EQ(c.limits.idle_timeout.count(), 5);
  EXPECT_EQ(c.durability.mode, Durability::Mode::kNone);
  EXPECT_TRUE(c.tokens.empty());
  EXPECT_TRUE(ValidateServerConfig(c).ok());
}

TEST(ServerConfigTest, BadEnvNamesTheVariable) {
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"DUET_PORT", "80x"},
                                                        {"DUET_PORT", ""},
                                                        {"DUET_WORKER_THREADS", "0"},
                                                        {"DUET_ROLE", "primary"},
                                                        {"DUET_DURABILITY", "interval:0"},
                                                        {"DUET_HOST", ""}}) {
    ServerConfig c;
    const Status s = ApplyServerEnv(
        &c, [&](const char* n) -> const char* { return n == name ? value.c_str() : nullptr; });
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name << "=" << value;
    EXPECT_EQ(s.subject(), name);
  }
}

TEST(ServerConfigTest, ApplySettingAsAFlagWould) {
  ServerConfig c;
  ASSERT_TRUE(ApplyServerSetting(&c, "port", "1234", "--port").ok());
  EXPECT_EQ(c.port, 1234);
  const Status s = ApplyServerSetting(&c, "port", "-1", "--port");
  EXPECT_EQ(s.subject(), "--port");
  EXPECT_EQ(ApplyServerSetting(&c, "colour", "red", "--colour").code(), StatusCode::kNotFound);
}

TEST(ServerConfigTest, ValidationChecksRoleAndFollow) {
  ServerConfig c;
  c.role = ServerRole::kQuery;
  EXPECT_EQ(ValidateServerConfig(c).subject(), "follow");
  for (const char* bad : {"127.0.0.1:8080", "ftp://h:1", "https://h", "http://h", "http://h:0",
                          "http://h:99999", "http://:80", "http://a/b:80", "http://h:8o"}) {
    c.follow = bad;
    EXPECT_EQ(ValidateServerConfig(c).subject(), "follow") << bad;
  }
  for (const char* good :
       {"http://127.0.0.1:8080", "http://cmd.internal:80/", "https://cmd.internal:8443"}) {
    c.follow = good;
    EXPECT_TRUE(ValidateServerConfig(c).ok()) << good;
  }
  c.role = ServerRole::kAll;
  EXPECT_EQ(ValidateServerConfig(c).subject(), "follow");
  c.role = ServerRole::kCommand;
  EXPECT_EQ(ValidateServerConfig(c).subject(), "follow");
}

TEST(ServerConfigTest, TlsSettingsFromFileEnvAndFlags) {
  auto parsed = ParseServerConfig(
      "[server]\ntls_cert = \"/etc/duet/cert.pem\"\ntls_key = \"/etc/duet/key.pem\"\n"
      "follow_ca = \"/etc/duet/ca.pem\"\n",
      "duet.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->tls_cert, "/etc/duet/cert.pem");
  EXPECT_EQ(parsed->tls_key, "/etc/duet/key.pem");
  EXPECT_EQ(parsed->follow_ca, "/etc/duet/ca.pem");
  ServerConfig c = *parsed;
  const std::map<std::string, std::string> env{{"DUET_TLS_CERT", "/env/cert.pem"}};
  ASSERT_TRUE(ApplyServerEnv(&c, [&](const char* name) -> const char* {
                auto it = env.find(name);
                return it == env.end() ? nullptr : it->second.c_str();
              }).ok());
  EXPECT_EQ(c.tls_cert, "/env/cert.pem");
  ASSERT_TRUE(ApplyServerSetting(&c, "follow_ca", "/flag/ca.pem", "--follow-ca").ok());
  EXPECT_EQ(c.follow_ca, "/flag/ca.pem");
}

TEST(ServerConfigTest, TlsCertAndKeyGoTogetherAndMustBeFiles) {
  duet::testing::TempDir dir;
  const std::string cert = (dir / "cert.pem").string();
  const std::string key = (dir / "key.pem").string();
  std::ofstream(cert) << "certificate";
  std::ofstream(key) << "key";
  ServerConfig c;
  c.tls_cert = cert;
  Status status = ValidateServerConfig(c);
  EXPECT_TRUE(status.IsInvalidArgument()) << status;
  EXPECT_EQ(status.subject(), "tls_key");
  c.tls_cert.clear();
  c.tls_key = key;
  EXPECT_EQ(ValidateServerConfig(c).subject(), "tls_cert");
  c.tls_cert = (dir / "missing.pem").string();
  status = ValidateServerConfig(c);
  EXPECT_EQ(status.subject(), "tls_cert");
  EXPECT_NE(status.message().find("missing.pem"), std::string::npos) << status;
  c.tls_cert = cert;
  c.tls_key = dir.path().string();  // a folder, not a file
  EXPECT_EQ(ValidateServerConfig(c).subject(), "tls_key");
  c.tls_key = key;
  EXPECT_TRUE(ValidateServerConfig(c).ok());
}

TEST(ServerConfigTest, FollowCaOnlyWithAnHttpsFollowAndMustBeAFile) {
  duet::testing::TempDir dir;
  const std::string ca = (dir / "ca.pem").string();
  std::ofstream(ca) << "ca";
  ServerConfig c;
  c.role = ServerRole::kQuery;
  c.follow = "http://127.0.0.1:8080";
  c.follow_ca = ca;
  Status status = ValidateServerConfig(c);
  EXPECT_TRUE(status.IsInvalidArgument()) << status;
  EXPECT_EQ(status.subject(), "follow_ca");
  c.follow = "https://127.0.0.1:8443";
  EXPECT_TRUE(ValidateServerConfig(c).ok());
  c.follow_ca = (dir / "missing.pem").string();
  EXPECT_EQ(ValidateServerConfig(c).subject(), "follow_ca");
  c.follow_ca.clear();  // the system's trust store
  EXPECT_TRUE(ValidateServerConfig(c).ok());
}

TEST(ServerConfigTest, CorsOriginsAreAListOrACommaSeparatedString) {
  auto listed = ParseServerConfig(
      "[server]\ncors_origins = [\"https://app.example\", \"http://localhost:3000\"]\n",
      "duet.toml");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->cors_origins,
            (std::vector<std::string>{"https://app.example", "http://localhost:3000"}));
  auto text = ParseServerConfig(
      "[server]\ncors_origins = \"https://app.example, http://localhost:3000\"\n", "duet.toml");
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->cors_origins, listed->cors_origins);
  ServerConfig c;
  ASSERT_TRUE(ApplyServerSetting(&c, "cors_origins", "https://a.example", "--cors-origins").ok());
  EXPECT_EQ(c.cors_origins, std::vector<std::string>{"https://a.example"});
  ASSERT_TRUE(ApplyServerSetting(&c, "cors_origins", "", "--cors-origins").ok());
  EXPECT_TRUE(c.cors_origins.empty());
  for (const char* bad : {"*", "app.example", "https://app.example/path"}) {
    const Status status = ApplyServerSetting(&c, "cors_origins", bad, "--cors-origins");
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(status.subject(), "--cors-origins") << bad;
  }
  const Status wrong_type = ParseError("[server]\ncors_origins = [1]\n");
  EXPECT_EQ(wrong_type.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wrong_type.subject(), "server.cors_origins");
}

TEST(ServerConfigTest, StoreUrlFromFileAndItsValidation) {
  auto parsed = ParseServerConfig(
      "[server]\nrole = \"query\"\n[store]\nurl = \"postgresql://duet@127.0.0.1:5432/duet\"\n",
      "duet.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->store, "postgresql://duet@127.0.0.1:5432/duet");
  EXPECT_TRUE(ValidateServerConfig(*parsed).ok());  // a query node reading PostgreSQL
  EXPECT_EQ(ParseError("[store]\nurl = 5\n").subject(), "store.url");
  EXPECT_EQ(ParseError("[store]\nhost = \"h\"\n").subject(), "store.host");

  ServerConfig c;
  c.store = "mysql://duet@127.0.0.1/duet";
  EXPECT_EQ(ValidateServerConfig(c).subject(), "store");
  c.store = "postgres://duet@127.0.0.1/duet";
  EXPECT_TRUE(ValidateServerConfig(c).ok());
  c.role = ServerRole::kQuery;
  c.follow = "http://127.0.0.1:8080";
  EXPECT_EQ(ValidateServerConfig(c).subject(), "follow");  // one or the other
}

TEST(ServerConfigTest, RedactStoreUrlHidesOnlyThePassword) {
  EXPECT_EQ(RedactStoreUrl("postgresql://duet:s3cret@db:5432/duet"),
            "postgresql://duet:***@db:5432/duet");
  EXPECT_EQ(RedactStoreUrl("postgresql://duet@db:5432/duet"), "postgresql://duet@db:5432/duet");
  EXPECT_EQ(RedactStoreUrl("postgresql://db:5432/a@b"), "postgresql://db:5432/a@b");
}

TEST(ServerConfigTest, ValidationChecksRangesAndTokens) {
  ServerConfig c;
  c.worker_threads = 0;
  EXPECT_EQ(ValidateServerConfig(c).subject(), "worker_threads");
  c = ServerConfig();
  c.limits.request_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(ValidateServerConfig(c).subject(), "request_timeout_ms");
  c = ServerConfig();
  c.tokens = {{"a", "same-secret-0123456789", {Scope::kQuery}},
              {"b", "same-secret-0123456789", {Scope::kAdmin}}};
  EXPECT_EQ(ValidateServerConfig(c).subject(), "auth.tokens[1].token");
}

}  // namespace
}  // namespace duet::server
