// A full disk is not sticky: a write that fails with ENOSPC/EDQUOT cuts the
// active segment back to its last whole transaction, fails that round and
// everything queued behind it with storage_full, and the log takes appends
// again from its committed position (a new epoch). Failed fsyncs and failed
// cuts stay sticky. State machine: src/log/README.md, "Rewind".
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

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
using testing::RecordAt;

class NoSpaceTest : public testing::FaultyLogTest {
 protected:
  uint64_t SegmentBytes(uint64_t base) {
    return std::filesystem::file_size(testing::SegmentPath(dir_, base));
  }
};

TEST_F(NoSpaceTest, FailedWriteIsCutBackAndAppendsResumeWithoutReopen) {
  auto log = Open();
  ASSERT_TRUE(AppendTxn(*log, 1, 2).ok());
  const uint64_t committed_bytes = SegmentBytes(1);
  fs_.FailNth(Op::kWrite, 1, ENOSPC, 30);  // 30 bytes reach the file first
  const Status full = AppendTxn(*log, 3, 2);
  EXPECT_EQ(full.code(), StatusCode::kStorageFull) << full;
  EXPECT_TRUE(log->health().ok()) << log->health();
  EXPECT_EQ(log->Epoch(), 1u);
  EXPECT_EQ(log->CommittedPosition(), GlobalPosition(2));
  EXPECT_EQ(SegmentBytes(1), committed_bytes);  // the torn 30 bytes are gone already

  // Position 3 is handed out again, now to a different transaction.
  ASSERT_TRUE(AppendTxn(*log, 3, 1).ok());
  EXPECT_EQ(log->CommittedPosition(), GlobalPosition(3));
  log.reset();
  RecoveryReport report;
  const auto records = Reopened(&report);
  EXPECT_EQ(report.truncated_bytes, 0u);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2], RecordAt(3, true));
}

TEST_F(NoSpaceTest, EveryTransactionOfTheEndedEpochFails) {
  auto log = Open();
  ASSERT_TRUE(AppendTxn(*log, 1, 1).ok());
  fs_.FailNth(Op::kWrite, 1, ENOSPC);
  // Queue without waiting: some share the failing round, some queue behind
  // it, and once it has rewound, Enqueue in epoch 0 is refused.
  uint64_t accepted = 1;
  Status refused;
  for (uint64_t p = 2; p <= 50 && refused.ok(); ++p) {
    refused = log->Enqueue(EncodeTxn(p, 1), GlobalPosition(p), GlobalPosition(p), 0);
    if (refused.ok()) accepted = p;
  }
  ASSERT_GE(accepted, 2u);
  for (uint64_t p = 2; p <= accepted; ++p) {
    EXPECT_EQ(log->WaitCommitted(GlobalPosition(p), 0).code(), StatusCode::kStorageFull) << p;
  }
  EXPECT_TRUE(log->WaitCommitted(GlobalPosition(1), 0).ok());  // committed before it
  if (!refused.ok()) {
    EXPECT_EQ(refused.code(), StatusCode::kStorageFull) << refused;
  }
  // An old epoch can no longer enqueue, even at the right position.
  EXPECT_EQ(log->Enqueue(EncodeTxn(2, 1), GlobalPosition(2), GlobalPosition(2), 0).code(),
            StatusCode::kStorageFull);
  ASSERT_EQ(log->Epoch(), 1u);
  ASSERT_TRUE(log->Enqueue(EncodeTxn(2, 1), GlobalPosition(2), GlobalPosition(2), 1).ok());
  EXPECT_TRUE(log->WaitCommitted(GlobalPosition(2), 1).ok());
  // The waiter of epoch 0 for position 2 still learns that it failed, though
  // position 2 is committed now (in epoch 1).
  EXPECT_EQ(log->WaitCommitted(GlobalPosition(2), 0).code(), StatusCode::kStorageFull);
  log.reset();
  EXPECT_EQ(Reopened().size(), 2u);
}

TEST_F(NoSpaceTest, FailedCutBackIsSticky) {
  auto log = Open();
  ASSERT_TRUE(AppendTxn(*log, 1, 1).ok());
  fs_.FailNth(Op::kWrite, 1, ENOSPC, 10);
  fs_.FailNth(Op::kTruncate, 1, EIO);
  EXPECT_TRUE(AppendTxn(*log, 2, 1).IsIOError());
  EXPECT_TRUE(log->health().IsIOError()) << log->health();
  EXPECT_EQ(log->Epoch(), 0u);
  EXPECT_TRUE(log->Enqueue(EncodeTxn(2, 1), GlobalPosition(2), GlobalPosition(2)).IsIOError());
}

TEST_F(NoSpaceTest, NoSpaceFromFdatasyncIsStickyAndNotRetried) {
  auto log = Open();
  ASSERT_TRUE(AppendTxn(*log, 1, 1).ok());
  fs_.FailNth(Op::kSync, 1, ENOSPC);
  EXPECT_EQ(AppendTxn(*log, 2, 1).code(), StatusCode::kStorageFull);
  EXPECT_EQ(log->health().code(), StatusCode::kStorageFull);
  EXPECT_EQ(log->Epoch(), 0u);
  EXPECT_FALSE(log->Enqueue(EncodeTxn(2, 1), GlobalPosition(2), GlobalPosition(2)).ok());
  const uint64_t syncs = fs_.count(Op::kSync);
  log.reset();
  EXPECT_EQ(fs_.count(Op::kSync), syncs);
}

// Every write of a round that rolls (old segment's sidecar, the new segment's
// header, the records) fails once with ENOSPC in turn: whatever failed is
// reported storage_full, what was acknowledged survives reopening, positions
// stay contiguous, and the log keeps taking appends.
TEST_F(NoSpaceTest, NoSpaceAtAnyWriteOfARollLeavesAUsableLog) {
  uint64_t failed_appends = 0;
  for (uint64_t nth = 1; nth <= 8; ++nth) {
    SCOPED_TRACE(nth);
    std::filesystem::remove_all(dir_);
    std::vector<uint64_t> acknowledged;
    {
      auto log = Open(Durability::Mode::kSync, 1);  // every transaction rolls
      ASSERT_TRUE(AppendTxn(*log, 1, 1).ok());
      acknowledged.push_back(1);
      fs_.FailNth(Op::kWrite, nth, ENOSPC, 5);
      uint64_t failures = 0;
      while (acknowledged.size() < 5) {
        const uint64_t next = log->CommittedPosition().value + 1;
        const Status s = AppendTxn(*log, next, 1);
        if (s.ok()) {
          acknowledged.push_back(next);
        } else {
          ASSERT_EQ(s.code(), StatusCode::kStorageFull) << s;
          ASSERT_LT(++failures, 2u);
          ++failed_appends;
        }
      }
      EXPECT_TRUE(log->health().ok()) << log->health();
    }
    const auto records = Reopened();
    ASSERT_EQ(records.size(), acknowledged.size());
    for (size_t i = 0; i < records.size(); ++i) EXPECT_EQ(records[i], RecordAt(i + 1, true));
  }
  // A failed sidecar write is not an append failure; the header and record
  // writes are.
  EXPECT_GE(failed_appends, 5u);
}

}  // namespace
}  // namespace duet::log
