#include "duet/read_store.h"

#include <gtest/gtest.h>

namespace duet {
namespace {

TEST(ReadStoreNamesTest, KindNames) {
  EXPECT_EQ(ReadStoreKindName(ReadStoreKind::kDocument), "document");
  EXPECT_EQ(ReadStoreKindName(ReadStoreKind::kSearch), "search");
  EXPECT_EQ(ReadStoreKindName(ReadStoreKind::kAnalytics), "analytics");
}

TEST(ReadStoreNamesTest, TimeBucketsRoundTrip) {
  for (TimeBucket b : {TimeBucket::kMinute, TimeBucket::kHour, TimeBucket::kDay}) {
    auto parsed = ParseTimeBucket(TimeBucketName(b));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, b);
  }
}

TEST(ReadStoreNamesTest, UnknownBucketNamesTheField) {
  for (std::string_view bad : {"", "week", "Day", "hours"}) {
    auto parsed = ParseTimeBucket(bad, "group");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_TRUE(parsed.status().IsInvalidArgument());
    EXPECT_EQ(parsed.status().subject(), "group");
  }
  EXPECT_EQ(ParseTimeBucket("x").status().subject(), "bucket");
}

}  // namespace
}  // namespace duet
