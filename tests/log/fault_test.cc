// Failure stickiness: after a failed write or fdatasync the log refuses all
// later writes, the failing round's appenders get the error, reads keep
// working, and reopening recovers to the last committed transaction.
#include <gtest/gtest.h>

#include <cerrno>

#include "log/file.h"
#include "log/log.h"
#include "tests/log/faulty_log_test.h"
#include "tests/log/log_test_util.h"
#include "tests/support/faulty_file_system.h"

namespace duet::log {
namespace {

using duet::testing::FaultyFileSystem;
using Op = FaultyFileSystem::Op;
using testing::AppendTxn;
using testing::EncodeTxn;
using testing::Options;
using testing::ReadAll;

using FaultTest = testing::FaultyLogTest;

TEST_F(FaultTest, FailedWriteFailsItsWaiter) {
  auto log = Open();
  ASSERT_TRUE(AppendTxn(*log, 1, 2).ok());
  fs_.FailNth(Op::kWrite, 1, EIO);
  const Status s = AppendTxn(*log, 3, 1);
  EXPECT_TRUE(s.IsIOError()) << s;
  EXPECT_NE(s.message().find("00000000000000000001.seg"), std::string::npos) << s;
}

TEST_F(FaultTest, FailureIsSticky) {
  auto log = Open();
  fs_.FailNth(Op::kWrite, 1, EIO);
  EXPECT_FALSE(AppendTxn(*log, 1, 1).ok());
  const Status later = log->Enqueue(EncodeTxn(2, 1), GlobalPosition(2), GlobalPosition(2));
  EXPECT_TRUE(later.IsIOError()) << later;
  EXPECT_EQ(log->health(), later);
  const uint64_t writes = fs_.count(Op::kWrite);
  log.reset();
  EXPECT_EQ(fs_.count(Op::kWrite), writes);  // nothing was tried after the failure
}

TEST_F(FaultTest, EveryWaiterOfTheFailingRoundAndAfterGetsTheError) {
  auto log = Open();
  ASSERT_TRUE(AppendTxn(*log, 1, 1).ok());
  fs_.FailNth(Op::kWrite, 1, EIO);
  // Queue several transactions without waiting; once the flusher has failed,
  // Enqueue refuses the rest.
  uint64_t accepted = 1;
  for (uint64_t p = 2; p <= 6; ++p) {
    const Status s = log->Enqueue(EncodeTxn(p, 1), GlobalPosition(p), GlobalPosition(p));
    if (!s.ok()) {
      EXPECT_TRUE(s.IsIOError()) << s;
      break;
    }
    accepted = p;
  }
  ASSERT_GE(accepted, 2u);  // the log was healthy until transaction 2 was written
  for (uint64_t p = 2; p <= accepted; ++p) {
    EXPECT_TRUE(log->WaitCommitted(GlobalPosition(p)).IsIOError()) << p;
  }
  EXPECT_TRUE(log->WaitCommitted(GlobalPosition(1)).ok());  // committed before the failure
}

TEST_F(FaultTest, ReadsKeepWorkingAfterFailure) {
  auto log = Open();
  ASSERT_TRUE(AppendTxn(*log, 1, 3).ok());
  fs_.FailNth(Op::kSync, 1, EIO);
  EXPECT_FALSE(AppendTxn(*log, 4, 1).ok());
  EXPECT_EQ(log->CommittedPosition(), GlobalPosition(3));
  EXPECT_EQ(ReadAll(*log).size(), 3u);
}

TEST_F(FaultTest, FailedSyncIsNeverRetried) {
  auto log = Open();
  fs_.FailNth(Op::kSync, 1, EIO);
  EXPECT_TRUE(AppendTxn(*log, 1, 1).IsIOError());
  const uint64_t syncs = fs_.count(Op::kSync);
  log.reset();  // closing syncs only a healthy log
  EXPECT_EQ(fs_.count(Op::kSync), syncs);
}

TEST_F(FaultTest, NoSpaceIsStorageFull) {
  auto log = Open();
  fs_.FailNth(Op::kWrite, 1, ENOSPC);
  const Status s = AppendTxn(*log, 1, 1);
  EXPECT_EQ(s.code(), StatusCode::kStorageFull) << s;
  EXPECT_NE(s.message().find("No space left"), std::string::npos) << s;
}

TEST_F(FaultTest, PartialWriteIsCutOnReopen) {
  {
    auto log = Open();
    ASSERT_TRUE(AppendTxn(*log, 1, 2).ok());
    fs_.FailNth(Op::kWrite, 1, EIO, 30);
    EXPECT_FALSE(AppendTxn(*log, 3, 2).ok());
  }
  RecoveryReport report;
  const auto records = Reopened(&report);
  EXPECT_EQ(records.size(), 2u);
  EXPECT_EQ(report.truncated_bytes, 30u);
}

TEST_F(FaultTest, ReopenAfterFailedSyncEndsAtATransactionBoundary) {
  {
    auto log = Open();
    ASSERT_TRUE(AppendTxn(*log, 1, 2).ok());
    fs_.FailNth(Op::kSync, 1, EIO);
    EXPECT_FALSE(AppendTxn(*log, 3, 3).ok());
  }
  // The failed round's bytes reached the page cache, so they may survive;
  // what was acknowledged must, and the log must end on a commit.
  const auto records = Reopened();
  ASSERT_GE(records.size(), 2u);
  EXPECT_TRUE(records.back().commit);
  EXPECT_TRUE(records.size() == 2u || records.size() == 5u) << records.size();
}

TEST_F(FaultTest, FailedRollFailsTheLog) {
  auto log = Open(Durability::Mode::kSync, 1);
  ASSERT_TRUE(AppendTxn(*log, 1, 1).ok());
  // A roll syncs the directory twice: after the old segment's sidecar (best
  // effort), then after creating the new segment (required).
  fs_.FailNth(Op::kSyncDir, 2, EIO);
  EXPECT_TRUE(AppendTxn(*log, 2, 1).IsIOError());
  EXPECT_FALSE(log->Enqueue(EncodeTxn(3, 1), GlobalPosition(3), GlobalPosition(3)).ok());
  log.reset();
  EXPECT_EQ(Reopened().size(), 1u);
}

TEST_F(FaultTest, FailedSidecarWriteDoesNotFailTheLog) {
  auto log = Open(Durability::Mode::kSync, 1);
  ASSERT_TRUE(AppendTxn(*log, 1, 1).ok());
  fs_.FailNth(Op::kRename, 1, EIO);  // only the sidecar is renamed
  ASSERT_TRUE(AppendTxn(*log, 2, 1).ok());
  EXPECT_TRUE(log->health().ok());
  log.reset();
  EXPECT_EQ(Reopened().size(), 2u);
}

TEST_F(FaultTest, FailedReadIsReportedToTheReader) {
  auto log = Open();
  ASSERT_TRUE(AppendTxn(*log, 1, 1).ok());
  fs_.FailNth(Op::kRead, 1, EIO);
  const Status s = log->Scan(GlobalPosition(1), 10, [](const RecordView&) { return true; });
  EXPECT_TRUE(s.IsIOError()) << s;
  EXPECT_TRUE(log->health().ok());  // a read error does not fail the writer
}

TEST_F(FaultTest, TruncateFailureDuringRecoveryFailsOpen) {
  {
    auto log = testing::OpenOrDie(dir_, Options());
    ASSERT_TRUE(AppendTxn(*log, 1, 1).ok());
  }
  const auto segment = testing::SegmentPath(dir_, 1);
  testing::WriteFile(segment, testing::ReadFile(segment) + "torn");
  fs_.FailNth(Op::kTruncate, 1, EIO);
  LogOptions options = Options();
  options.file_system = &fs_;
  EXPECT_TRUE(Log::Open(dir_, options).status().IsIOError());
  EXPECT_EQ(Reopened().size(), 1u);
}

}  // namespace
}  // namespace duet::log
