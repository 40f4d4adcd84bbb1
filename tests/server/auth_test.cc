#include "server/auth.h"

#include <gtest/gtest.h>

namespace duet::server {
namespace {

constexpr char kAdminToken[] = "admin-secret-0123456789";
constexpr char kReaderToken[] = "reader-secret-0123456789";

TokenAuthority MakeAuthority() {
  auto authority = TokenAuthority::Create({
      {"ops", kAdminToken, {Scope::kCommand, Scope::kQuery, Scope::kAdmin}},
      {"dashboard", kReaderToken, {Scope::kQuery}},
  });
  EXPECT_TRUE(authority.ok()) << authority.status();
  return authority.ok() ? std::move(authority).value() : TokenAuthority();
}

std::string Bearer(std::string_view token) { return "Bearer " + std::string(token); }

TEST(AuthTest, DisabledAuthorityAllowsEverything) {
  TokenAuthority authority;
  EXPECT_FALSE(authority.enabled());
  EXPECT_TRUE(authority.Authorize("", Scope::kAdmin).ok());
  EXPECT_TRUE(authority.Authorize("Basic x", Scope::kCommand).ok());
  auto created = TokenAuthority::Create({});
  ASSERT_TRUE(created.ok());
  EXPECT_FALSE(created->enabled());
}

TEST(AuthTest, KnownTokenWithScopeIsAuthorized) {
  const TokenAuthority authority = MakeAuthority();
  EXPECT_TRUE(authority.enabled());
  EXPECT_TRUE(authority.Authorize(Bearer(kAdminToken), Scope::kAdmin).ok());
  EXPECT_TRUE(authority.Authorize(Bearer(kReaderToken), Scope::kQuery).ok());
  EXPECT_TRUE(authority.Authorize(std::string("bearer ") + kReaderToken, Scope::kQuery).ok());
  EXPECT_TRUE(authority.Authorize(std::string("Bearer   ") + kReaderToken, Scope::kQuery).ok());
}

TEST(AuthTest, WrongScopeIsForbiddenAndNamesTokenNotSecret) {
  const Status s = MakeAuthority().Authorize(Bearer(kReaderToken), Scope::kAdmin);
  EXPECT_EQ(s.code(), StatusCode::kForbidden);
  EXPECT_EQ(s.subject(), "scope");
  EXPECT_EQ(s.message(), "token 'dashboard' lacks scope 'admin'");
  EXPECT_EQ(s.ToString().find(kReaderToken), std::string::npos);
}

TEST(AuthTest, UnknownTokenIsUnauthorized) {
  const TokenAuthority authority = MakeAuthority();
  for (const std::string& token :
       {std::string("nobody-knows-this-token"), std::string(kAdminToken) + "x",
        std::string(kAdminToken).substr(0, 20), std::string(256, 'a')}) {
    const Status s = authority.Authorize(Bearer(token), Scope::kQuery);
    EXPECT_EQ(s.code(), StatusCode::kUnauthorized) << token;
    EXPECT_EQ(s.subject(), "authorization");
    EXPECT_EQ(s.message(), "unknown token");
    EXPECT_EQ(s.ToString().find(token), std::string::npos);
  }
}

TEST(AuthTest, BadHeaderShapesAreUnauthorized) {
  const TokenAuthority authority = MakeAuthority();
  for (const std::string& header : {
           std::string(""),
           std::string("Basic x"),
           std::string("Basic ") + kAdminToken,
           std::string("Bearer"),
           std::string("Bearer "),
           std::string("Bearer    "),
           std::string("Bearer") + kAdminToken,
           std::string(" Bearer ") + kAdminToken,
           std::string("Bearer ") + kAdminToken + " ",
           std::string("Bearer ") + kAdminToken + " extra",
           std::string("Bearer\t") + kAdminToken,
           std::string("Bearer ") + std::string(257, 'a'),
           std::string(kAdminToken),
       }) {
    const Status s = authority.Authorize(header, Scope::kQuery);
    EXPECT_EQ(s.code(), StatusCode::kUnauthorized) << "[" << header << "]";
    EXPECT_EQ(s.message(), "missing or malformed bearer token") << "[" << header << "]";
  }
}

TEST(AuthTest, CreateRejectsBadTokensWithoutRevealingThem) {
  const std::string secret = "a-perfectly-fine-secret";
  struct Case {
    std::vector<ApiToken> tokens;
    std::string subject;
  };
  const std::vector<Case> cases = {
      {{{"", secret, {Scope::kQuery}}}, "auth.tokens[0].name"},
      {{{"a", "short", {Scope::kQuery}}}, "auth.tokens[0].token"},
      {{{"a", std::string(257, 'x'), {Scope::kQuery}}}, "auth.tokens[0].token"},
      {{{"a", "has a space in it!!", {Scope::kQuery}}}, "auth.tokens[0].token"},
      {{{"a", "non-ascii-\xc3\xa9-characters", {Scope::kQuery}}}, "auth.tokens[0].token"},
      {{{"a", secret, {}}}, "auth.tokens[0].scopes"},
      {{{"a", secret, {static_cast<Scope>(7)}}}, "auth.tokens[0].scopes"},
      {{{"a", secret, {Scope::kQuery}}, {"a", secret + "2", {Scope::kQuery}}},
       "auth.tokens[1].name"},
      {{{"a", secret, {Scope::kQuery}}, {"b", secret, {Scope::kQuery}}}, "auth.tokens[1].token"},
  };
  for (const Case& c : cases) {
    auto created = TokenAuthority::Create(c.tokens);
    ASSERT_FALSE(created.ok()) << c.subject;
    EXPECT_EQ(created.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(created.status().subject(), c.subject);
    EXPECT_EQ(created.status().ToString().find(secret), std::string::npos);
  }
}

TEST(AuthTest, AcceptsTokensAtTheLengthLimits) {
  auto created = TokenAuthority::Create({{"min", std::string(16, 'm'), {Scope::kQuery}},
                                         {"max", std::string(256, 'M'), {Scope::kQuery}}});
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(created->Authorize(Bearer(std::string(16, 'm')), Scope::kQuery).ok());
  EXPECT_TRUE(created->Authorize(Bearer(std::string(256, 'M')), Scope::kQuery).ok());
  EXPECT_FALSE(created->Authorize(Bearer(std::string(17, 'm')), Scope::kQuery).ok());
}

TEST(AuthTest, ScopeNamesRoundTrip) {
  for (Scope scope : {Scope::kCommand, Scope::kQuery, Scope::kAdmin}) {
    auto parsed = ParseScope(ScopeName(scope));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, scope);
  }
  EXPECT_EQ(ParseScope("Admin").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseScope("").status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace duet::server
