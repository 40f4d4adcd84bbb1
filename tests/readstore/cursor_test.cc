#include "readstore/cursor.h"

#include <gtest/gtest.h>

namespace duet::readstore {
namespace {

TEST(CursorTest, RoundTripsArbitraryBytes) {
  const std::string sort_key("0005\0\xff", 6);
  const std::string key = "account-\x01-é";
  for (bool descending : {false, true}) {
    auto decoded = DecodeCursor(EncodeCursor(sort_key, key, descending), descending);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->sort_key, sort_key);
    EXPECT_EQ(decoded->key, key);
  }
}

TEST(CursorTest, TokensAreUrlSafe) {
  const std::string token = EncodeCursor(std::string(40, '\xff'), "k?/+=", false);
  EXPECT_EQ(
      token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
      std::string::npos);
}

TEST(CursorTest, RejectsACursorOfTheOtherDirection) {
  auto decoded = DecodeCursor(EncodeCursor("s", "k", false), true);
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(decoded.status().IsInvalidArgument());
  EXPECT_EQ(decoded.status().subject(), "cursor");
}

TEST(CursorTest, RejectsGarbageTruncationAndEdits) {
  const std::string token = EncodeCursor("sort", "key", false);
  std::string edited = token;
  edited[3] = edited[3] == 'A' ? 'B' : 'A';
  for (const std::string& bad :
       {std::string("x"), std::string("not a cursor!"), token.substr(0, token.size() - 1),
        token.substr(0, token.size() - 2), edited, token + "AAAA", std::string("AAAAAAAAAAAA")}) {
    auto decoded = DecodeCursor(bad, false);
    ASSERT_FALSE(decoded.ok()) << bad;
    EXPECT_EQ(decoded.status().subject(), "cursor") << bad;
  }
}

TEST(CursorTest, PageLimitBounds) {
  EXPECT_EQ(CheckPageLimit(0).subject(), "limit");
  EXPECT_EQ(CheckPageLimit(1001).subject(), "limit");
  EXPECT_TRUE(CheckPageLimit(1).ok());
  EXPECT_TRUE(CheckPageLimit(1000).ok());
}

}  // namespace
}  // namespace duet::readstore
