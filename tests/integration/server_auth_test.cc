// Acceptance: bearer tokens with scopes (from --config) guard every route
// group: no token 401 (WWW-Authenticate: Bearer), a token without the
// route's scope 403, the right scope passes; /health, /ready and
// /openapi.json stay open; no token ever reaches the server's output.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include "tests/integration/server_test_support.h"
#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {

constexpr char kCommandToken[] = "cmd-token-0123456789abcdef";
constexpr char kQueryToken[] = "query-token-0123456789abcdef";
constexpr char kAdminToken[] = "admin-token-0123456789abcdef";

struct Route {
  const char* method;
  const char* target;
  const char* body;
  const char* right_token;
  const char* wrong_token;
  unsigned ok_status;
};

// One route of each group, with a token that has its scope and one that has not.
const std::vector<Route>& Routes() {
  static const std::vector<Route> routes = {
      {"POST", "/commands/OpenAccount", R"({"account":"z","owner":"Z"})", kCommandToken,
       kQueryToken, 200},
      {"POST", "/streams/auth-1", R"([{"type":"T","data":{}}])", kCommandToken, kAdminToken, 200},
      {"GET", "/queries/accounts?limit=5", "", kQueryToken, kCommandToken, 200},
      {"GET", "/streams/auth-1", "", kQueryToken, kAdminToken, 200},
      {"GET", "/events?from=1&limit=10", "", kQueryToken, kCommandToken, 200},
      {"GET", "/projections", "", kAdminToken, kQueryToken, 200},
      {"POST", "/projections/ledger-accounts/verify", "", kAdminToken, kQueryToken, 200},
      {"GET", "/projections/ledger-accounts/parked", "", kAdminToken, kQueryToken, 200},
      {"POST", "/projections/ledger-accounts/parked/retry", "", kAdminToken, kCommandToken, 200},
      {"POST", "/projections/ledger-accounts/rebuild", "", kAdminToken, kCommandToken, 202},
      {"GET", "/metrics", "", kAdminToken, kQueryToken, 200},
  };
  return routes;
}

class ServerAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string config;
    for (auto [name, token, scope] :
         {std::tuple{"writer", kCommandToken, "command"},
          std::tuple{"reader", kQueryToken, "query"}, std::tuple{"ops", kAdminToken, "admin"}}) {
      config += std::string("[[auth.tokens]]\nname = \"") + name + "\"\ntoken = \"" + token +
                "\"\nscopes = [\"" + scope + "\"]\n\n";
    }
    WriteFile(dir_ / "duet.toml", config);
    server_ = StartDuet(dir_ / "data", {"--config", (dir_ / "duet.toml").string()});
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) std::cerr << "--- server log ---\n" << server_->log();
  }
  Reply Call(const Route& route, const char* token) {
    Api api(server_->port(), token == nullptr ? "" : token);
    return api.Send(route.method, route.target, route.body, {});
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerAuthTest, NoTokenIs401OnEveryGuardedRoute) {
  for (const Route& route : Routes()) {
    SCOPED_TRACE(std::string(route.method) + " " + route.target);
    Reply reply = Call(route, nullptr);
    ExpectProblem(reply, 401, "unauthorized");
    EXPECT_NE(reply.Header("www-authenticate").find("Bearer"), std::string_view::npos);
  }
  Api api(server_->port());
  ExpectProblem(api.Get("/events/live?from=1"), 401, "unauthorized");
}

TEST_F(ServerAuthTest, UnknownOrMalformedTokenIs401) {
  Api unknown(server_->port(), "not-a-configured-token-at-all");
  ExpectProblem(unknown.Get("/events"), 401, "unauthorized");
  Api raw(server_->port());
  for (std::string header :
       {std::string("Basic ") + kQueryToken, std::string("Bearer"),
        std::string("Bearer  ") + kQueryToken + "x", std::string(kQueryToken)}) {
    ExpectProblem(raw.Get("/events", {{"Authorization", header}}), 401, "unauthorized");
  }
}

TEST_F(ServerAuthTest, WrongScopeIs403) {
  for (const Route& route : Routes()) {
    SCOPED_TRACE(std::string(route.method) + " " + route.target);
    ExpectProblem(Call(route, route.wrong_token), 403, "forbidden");
  }
  Api command_only(server_->port(), kCommandToken);
  ExpectProblem(command_only.Get("/events/live?from=1"), 403, "forbidden");
}

TEST_F(ServerAuthTest, RightScopePasses) {
  for (const Route& route : Routes()) {
    SCOPED_TRACE(std::string(route.method) + " " + route.target);
    Reply reply = Call(route, route.right_token);
    EXPECT_EQ(reply.status, route.ok_status) << reply.Describe();
  }
  auto client =
      follow::HttpClient::Create({"127.0.0.1", server_->port(), ""}, std::chrono::seconds(60));
  std::string received;
  Status feed = client->Stream("/events/live?from=1",
                               {{"Authorization", std::string("Bearer ") + kQueryToken}},
                               std::chrono::seconds(60), [&](std::string_view chunk) {
                                 received.append(chunk);
                                 return received.find("\n\n") == std::string::npos;
                               });
  EXPECT_TRUE(feed.ok()) << feed;
  EXPECT_FALSE(received.empty());
}

TEST_F(ServerAuthTest, OpenRoutesNeedNoToken) {
  Api api(server_->port());
  EXPECT_EQ(api.Get("/health").status, 200u);
  EXPECT_EQ(api.Get("/openapi.json").status, 200u);
  const unsigned ready = api.Get("/ready").status;
  EXPECT_TRUE(ready == 200 || ready == 503) << ready;
}

TEST_F(ServerAuthTest, TokensNeverReachTheOutput) {
  for (const Route& route : Routes()) {
    (void)Call(route, route.wrong_token);
    (void)Call(route, route.right_token);
  }
  ASSERT_TRUE(server_->Terminate().ok());
  const std::string log = server_->log();
  for (const char* token : {kCommandToken, kQueryToken, kAdminToken}) {
    EXPECT_EQ(log.find(token), std::string::npos) << token;
  }
}

}  // namespace
}  // namespace duet::testing
