// Log basics: open, append, read back, positions, waiting, stats.
#include "log/log.h"

#include <gtest/gtest.h>

#include <thread>

#include "log/log_format.h"
#include "tests/log/log_test_util.h"
#include "tests/support/temp_dir.h"

namespace duet::log {
namespace {

using namespace std::chrono_literals;
using testing::AppendTxn;
using testing::EncodeTxn;
using testing::OpenOrDie;
using testing::Options;
using testing::ReadAll;
using testing::RecordAt;

class LogTest : public ::testing::Test {
 protected:
  duet::testing::TempDir tmp_;
  std::filesystem::path dir_ = tmp_ / "log";
};

TEST_F(LogTest, OpenCreatesAnEmptyLog) {
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(log->CommittedPosition(), kNoPosition);
  EXPECT_TRUE(ReadAll(*log).empty());
  EXPECT_EQ(log->recovery_report().truncated_bytes, 0u);
  EXPECT_TRUE(std::filesystem::exists(testing::SegmentPath(dir_, 1)));
}

TEST_F(LogTest, StatsOfEmptyLogCountTheHeader) {
  auto log = OpenOrDie(dir_, Options());
  const LogStats stats = log->Stats();
  EXPECT_EQ(stats.segments, 1u);
  EXPECT_EQ(stats.bytes, kSegmentHeaderSize);
  EXPECT_EQ(stats.head, kNoPosition);
}

TEST_F(LogTest, AppendedTransactionIsReadBack) {
  auto log = OpenOrDie(dir_, Options());
  ASSERT_TRUE(AppendTxn(*log, 1, 3).ok());
  const auto records = ReadAll(*log);
  ASSERT_EQ(records.size(), 3u);
  for (uint64_t p = 1; p <= 3; ++p) EXPECT_EQ(records[p - 1], RecordAt(p, p == 3));
  EXPECT_EQ(log->CommittedPosition(), GlobalPosition(3));
}

TEST_F(LogTest, StatsCountRecordsBytes) {
  auto log = OpenOrDie(dir_, Options());
  const std::string txn = EncodeTxn(1, 2);
  ASSERT_TRUE(AppendTxn(*log, 1, 2).ok());
  EXPECT_EQ(log->Stats().bytes, kSegmentHeaderSize + txn.size());
  EXPECT_EQ(log->Stats().head, GlobalPosition(2));
}

TEST_F(LogTest, CommitFlagMarksTheLastRecordOfEachTransaction) {
  auto log = OpenOrDie(dir_, Options());
  ASSERT_TRUE(AppendTxn(*log, 1, 2).ok());
  ASSERT_TRUE(AppendTxn(*log, 3, 1).ok());
  ASSERT_TRUE(AppendTxn(*log, 4, 3).ok());
  std::vector<bool> commits;
  for (const auto& r : ReadAll(*log)) commits.push_back(r.commit);
  EXPECT_EQ(commits, (std::vector<bool>{false, true, true, false, false, true}));
}

TEST_F(LogTest, ScanStartsAtFromAndStopsAtMaxCount) {
  auto log = OpenOrDie(dir_, Options());
  ASSERT_TRUE(AppendTxn(*log, 1, 10).ok());
  std::vector<uint64_t> seen;
  ASSERT_TRUE(log->Scan(GlobalPosition(4), 3,
                        [&](const RecordView& r) {
                          seen.push_back(r.position.value);
                          return true;
                        })
                  .ok());
  EXPECT_EQ(seen, (std::vector<uint64_t>{4, 5, 6}));
}

TEST_F(LogTest, ScanStopsWhenVisitorReturnsFalse) {
  auto log = OpenOrDie(dir_, Options());
  ASSERT_TRUE(AppendTxn(*log, 1, 10).ok());
  int calls = 0;
  ASSERT_TRUE(
      log->Scan(GlobalPosition(1), 100, [&](const RecordView&) { return ++calls < 2; }).ok());
  EXPECT_EQ(calls, 2);
}

TEST_F(LogTest, ScanFromZeroStartsAtTheFirstRecord) {
  auto log = OpenOrDie(dir_, Options());
  ASSERT_TRUE(AppendTxn(*log, 1, 2).ok());
  EXPECT_EQ(ReadAll(*log, 0).size(), 2u);
}

TEST_F(LogTest, ScanFromTheMiddleWithoutACountLimitReadsToTheHead) {
  auto log = OpenOrDie(dir_, Options());
  ASSERT_TRUE(AppendTxn(*log, 1, 10).ok());
  const auto records = ReadAll(*log, 7);
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records.front(), RecordAt(7, false));
  EXPECT_EQ(records.back(), RecordAt(10, true));
}

TEST_F(LogTest, ScanPastTheHeadVisitsNothing) {
  auto log = OpenOrDie(dir_, Options());
  ASSERT_TRUE(AppendTxn(*log, 1, 2).ok());
  EXPECT_TRUE(ReadAll(*log, 3).empty());
}

TEST_F(LogTest, EnqueueRejectsAGapInPositions) {
  auto log = OpenOrDie(dir_, Options());
  const Status s = log->Enqueue(EncodeTxn(2, 1), GlobalPosition(2), GlobalPosition(2));
  EXPECT_TRUE(s.IsInvalidArgument()) << s;
  EXPECT_TRUE(log->health().ok());
}

TEST_F(LogTest, WaitCommittedForAPositionNeverEnqueuedIsAnError) {
  auto log = OpenOrDie(dir_, Options());
  EXPECT_TRUE(log->WaitCommitted(GlobalPosition(1)).IsInvalidArgument());
}

TEST_F(LogTest, ReopenKeepsRecordsAndContinuesPositions) {
  {
    auto log = OpenOrDie(dir_, Options());
    ASSERT_TRUE(AppendTxn(*log, 1, 4).ok());
  }
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(log->CommittedPosition(), GlobalPosition(4));
  ASSERT_TRUE(AppendTxn(*log, 5, 2).ok());
  const auto records = ReadAll(*log);
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[5], RecordAt(6, true));
}

TEST_F(LogTest, DestructorWritesWhatWasQueued) {
  {
    auto log = OpenOrDie(dir_, Options(Durability::Mode::kNone));
    for (uint64_t p = 1; p <= 50; ++p) {
      ASSERT_TRUE(log->Enqueue(EncodeTxn(p, 1), GlobalPosition(p), GlobalPosition(p)).ok());
    }
  }
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(ReadAll(*log).size(), 50u);
}

TEST_F(LogTest, SyncModeCommits) {
  auto log = OpenOrDie(dir_, Options(Durability::Mode::kSync));
  ASSERT_TRUE(AppendTxn(*log, 1, 2).ok());
  EXPECT_EQ(ReadAll(*log).size(), 2u);
}

TEST_F(LogTest, IntervalModeCommitsAfterWrite) {
  LogOptions options = Options(Durability::Mode::kInterval);
  options.durability.interval = 10ms;
  auto log = OpenOrDie(dir_, options);
  for (uint64_t p = 1; p <= 20; ++p) ASSERT_TRUE(AppendTxn(*log, p, 1).ok());
  EXPECT_EQ(ReadAll(*log).size(), 20u);
}

TEST_F(LogTest, WaitForCommittedReturnsTheHeadWhenTheTimeoutPasses) {
  auto log = OpenOrDie(dir_, Options());
  ASSERT_TRUE(AppendTxn(*log, 1, 1).ok());
  EXPECT_EQ(log->WaitForCommitted(GlobalPosition(5), 1ms), GlobalPosition(1));
}

TEST_F(LogTest, WaitForCommittedWakesOnCommit) {
  auto log = OpenOrDie(dir_, Options());
  GlobalPosition seen;
  std::thread waiter([&] { seen = log->WaitForCommitted(GlobalPosition(2), 60s); });
  ASSERT_TRUE(AppendTxn(*log, 1, 2).ok());
  waiter.join();
  EXPECT_EQ(seen, GlobalPosition(2));
}

TEST_F(LogTest, SegmentSizeZeroIsInvalid) {
  EXPECT_TRUE(Log::Open(dir_, Options(Durability::Mode::kNone, 0)).status().IsInvalidArgument());
}

TEST_F(LogTest, SegmentSizeAboveTwoGiBIsInvalid) {
  const Status s =
      Log::Open(dir_, Options(Durability::Mode::kNone, kMaxSegmentSizeBytes + 1)).status();
  EXPECT_EQ(s.subject(), "segment_size_bytes");
}

}  // namespace
}  // namespace duet::log
