// ValidateProjectionInfo, state names, generation names and CURRENT, digests.
#include <gtest/gtest.h>

#include <fstream>

#include "duet/projection.h"
#include "duet/projection_engine.h"
#include "projection/entry_digest.h"
#include "projection/generation.h"
#include "projection/rate_meter.h"
#include "tests/projection/test_projections.h"
#include "tests/support/temp_dir.h"
#include "util/file_util.h"

namespace duet {
namespace {

using projection::GenerationName;

TEST(ValidateProjectionInfoTest, AcceptsWellFormedInfo) {
  EXPECT_TRUE(ValidateProjectionInfo(testing::Info("orders-by-customer-2")).ok());
  EXPECT_TRUE(ValidateProjectionInfo(testing::Info(std::string(64, 'a'))).ok());
  EXPECT_TRUE(ValidateProjectionInfo(
                  testing::Info("x", 7, FailurePolicy::kPark, {"OrderPlaced", "OrderShipped"}))
                  .ok());
}

TEST(ValidateProjectionInfoTest, RejectsBadNames) {
  for (const std::string& name :
       {std::string(), std::string(65, 'a'), std::string("Orders"), std::string("a_b"),
        std::string("a b"), std::string("a/b"), std::string("..")}) {
    Status status = ValidateProjectionInfo(testing::Info(name));
    EXPECT_TRUE(status.IsInvalidArgument()) << name;
    EXPECT_EQ(status.subject(), "name") << name;
  }
}

TEST(ValidateProjectionInfoTest, RejectsVersionZero) {
  Status status = ValidateProjectionInfo(testing::Info("p", 0));
  EXPECT_TRUE(status.IsInvalidArgument());
  EXPECT_EQ(status.subject(), "version");
}

TEST(ValidateProjectionInfoTest, RejectsBadAndDuplicateEventTypes) {
  for (const auto& types : std::vector<std::vector<std::string>>{
           {""}, {"has space"}, {std::string(256, 'T')}, {"A", "B", "A"}}) {
    Status status = ValidateProjectionInfo(testing::Info("p", 1, FailurePolicy::kStop, types));
    EXPECT_TRUE(status.IsInvalidArgument());
    EXPECT_EQ(status.subject(), "event_types");
  }
}

TEST(ProjectionStateNameTest, NamesEveryState) {
  EXPECT_EQ(ProjectionStateName(ProjectionState::kCatchingUp), "catching-up");
  EXPECT_EQ(ProjectionStateName(ProjectionState::kLive), "live");
  EXPECT_EQ(ProjectionStateName(ProjectionState::kRebuilding), "rebuilding");
  EXPECT_EQ(ProjectionStateName(ProjectionState::kStopped), "stopped");
  EXPECT_EQ(ProjectionStateName(ProjectionState::kFailed), "failed");
}

TEST(GenerationNameTest, FormatsAndParses) {
  EXPECT_EQ((GenerationName{3, 12}).ToString(), "v3-g12");
  auto parsed = projection::ParseGenerationName("v3-g12");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, (GenerationName{3, 12}));
  for (const char* bad : {"", "v3", "v3-g", "v-g1", "v0-g1", "v1-g0", "v01-g1", "v1-g1x", "x1-g1",
                          "v1-x1", "v1-g-1", "v99999999999-g1", "verify-tmp"}) {
    EXPECT_FALSE(projection::ParseGenerationName(bad).has_value()) << bad;
  }
}

TEST(CurrentFileTest, WritesReadsAndRejectsGarbage) {
  testing::TempDir dir;
  auto none = projection::ReadCurrent(dir.path());
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE(projection::WriteCurrent(dir.path(), {2, 5}).ok());
  auto text = ReadWholeFile(dir / "CURRENT");
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text, "v2-g5\n");
  auto current = projection::ReadCurrent(dir.path());
  ASSERT_TRUE(current.ok());
  EXPECT_EQ(**current, (GenerationName{2, 5}));
  for (const char* garbage : {"v2-g5", "v2-g5\nv3-g6\n", "hello\n", "\n"}) {
    std::ofstream(dir / "CURRENT", std::ios::trunc) << garbage;
    EXPECT_TRUE(projection::ReadCurrent(dir.path()).status().IsCorruption()) << garbage;
  }
}

TEST(CurrentFileTest, RemovesEveryGenerationButTheKeptOne) {
  testing::TempDir dir;
  for (const char* folder : {"v1-g1", "v1-g2", "v2-g3", "verify-tmp", "notes"}) {
    std::filesystem::create_directories(dir / folder);
  }
  auto last = projection::LastGenerationNumber(dir.path());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 3u);
  ASSERT_TRUE(projection::RemoveOtherGenerations(dir.path(), GenerationName{1, 2}).ok());
  EXPECT_FALSE(std::filesystem::exists(dir / "v1-g1"));
  EXPECT_TRUE(std::filesystem::exists(dir / "v1-g2"));
  EXPECT_FALSE(std::filesystem::exists(dir / "v2-g3"));
  EXPECT_FALSE(std::filesystem::exists(dir / "verify-tmp"));
  EXPECT_TRUE(std::filesystem::exists(dir / "notes"));  // not ours: left alone
}

TEST(EntryDigestTest, DigestsAreLengthPrefixedAndDiffsMergeKeys) {
  projection::EntryListing a;
  projection::EntryListing b;
  a.entries = {{"a", 1}, {"b", 2}, {"d", 4}};
  b.entries = {{"a", 1}, {"b", 3}, {"c", 3}};
  EXPECT_EQ(projection::DifferingKeys(a, b, 100), (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(projection::DifferingKeys(a, b, 2), (std::vector<std::string>{"b", "c"}));
  EXPECT_TRUE(projection::DifferingKeys(a, a, 100).empty());
  // The same bytes split differently between key and content digest apart.
  auto one = NewMemoryDocumentStore();
  auto two = NewMemoryDocumentStore();
  auto txn1 = one->Begin();
  auto txn2 = two->Begin();
  ASSERT_TRUE(static_cast<DocumentTxn&>(**txn1).Put("ab", {{"x", 1}}).ok());
  ASSERT_TRUE(static_cast<DocumentTxn&>(**txn2).Put("a", {{"x", 1}}).ok());
  ASSERT_TRUE(one->Commit(std::move(*txn1), GlobalPosition(1)).ok());
  ASSERT_TRUE(two->Commit(std::move(*txn2), GlobalPosition(1)).ok());
  auto l1 = projection::ListEntries(*one);
  auto l2 = projection::ListEntries(*two);
  ASSERT_TRUE(l1.ok() && l2.ok());
  EXPECT_NE(l1->digest, l2->digest);
  EXPECT_EQ(projection::HexDigest(0xabcull), "0000000000000abc");
  EXPECT_EQ(projection::HexDigest(l1->digest).size(), 16u);
}

TEST(RateMeterTest, CountsRecentEventsAndResets) {
  projection::RateMeter meter;
  EXPECT_EQ(meter.PerSecond(), 0);
  meter.Add(100);
  meter.Add(50);
  // 150 events within the window, over a span of at least 0.25 s: at most 600/s.
  const double rate = meter.PerSecond();
  EXPECT_GT(rate, 0);
  EXPECT_LE(rate, 600);
  meter.Reset();
  EXPECT_EQ(meter.PerSecond(), 0);
}

}  // namespace
}  // namespace duet
