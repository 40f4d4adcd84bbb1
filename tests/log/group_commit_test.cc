// Group commit under concurrency: many appenders sharing rounds, readers
// running beside them.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <optional>
#include <thread>

#include "log/file.h"
#include "log/log.h"
#include "tests/log/log_test_util.h"
#include "tests/support/faulty_file_system.h"
#include "tests/support/temp_dir.h"

namespace duet::log {
namespace {

using duet::testing::FaultyFileSystem;
using testing::EncodeTxn;
using testing::Options;
using testing::ReadAll;
using testing::RecordAt;

constexpr int kThreads = 8;
constexpr int kTxnsPerThread = 500;

// Appends like the store does: positions assigned and Enqueue called under
// one lock, then each appender waits for its own transaction outside it.
// Transaction sizes cycle through 1..3 records. Returns the last position.
uint64_t AppendFromManyThreads(Log& log) {
  std::mutex order_mu;
  uint64_t next = 1;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kTxnsPerThread; ++i) {
        const uint64_t count = 1 + (t + i) % 3;
        uint64_t first;
        {
          std::lock_guard lock(order_mu);
          first = next;
          next += count;
          if (!log.Enqueue(EncodeTxn(first, count), GlobalPosition(first),
                           GlobalPosition(first + count - 1))
                   .ok()) {
            ++failures;
            return;
          }
        }
        if (!log.WaitCommitted(GlobalPosition(first + count - 1)).ok()) ++failures;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  return next - 1;
}

// Every position 1..last present once, in order, with its own content; commit
// flags may differ from RecordAt's because transaction sizes interleave.
void ExpectAllRecords(const Log& log, uint64_t last) {
  const auto records = ReadAll(log);
  ASSERT_EQ(records.size(), last);
  for (uint64_t p = 1; p <= last; ++p) {
    auto expected = RecordAt(p, records[p - 1].commit);
    ASSERT_EQ(records[p - 1], expected) << "position " << p;
  }
}

class GroupCommitTest : public ::testing::TestWithParam<Durability::Mode> {
 protected:
  duet::testing::TempDir tmp_;
  FaultyFileSystem fs_{DefaultFileSystem()};
};

TEST_P(GroupCommitTest, ManyThreadsAllCommittedContiguousAndReadBack) {
  LogOptions options = Options(GetParam());
  options.file_system = &fs_;
  auto log = testing::OpenOrDie(tmp_ / "log", options);
  const uint64_t syncs_before = fs_.count(FaultyFileSystem::Op::kSync);
  const uint64_t last = AppendFromManyThreads(*log);
  EXPECT_EQ(log->CommittedPosition(), GlobalPosition(last));
  ExpectAllRecords(*log, last);
  std::printf(
      "[ info ] %d transactions, %llu fdatasync calls, %llu writes\n", kThreads * kTxnsPerThread,
      static_cast<unsigned long long>(fs_.count(FaultyFileSystem::Op::kSync) - syncs_before),
      static_cast<unsigned long long>(fs_.count(FaultyFileSystem::Op::kWrite)));
  log.reset();
  auto reopened = testing::OpenOrDie(tmp_ / "log", Options());
  ExpectAllRecords(*reopened, last);
}

TEST_P(GroupCommitTest, ManyThreadsAcrossSegmentRolls) {
  LogOptions options = Options(GetParam(), 16 << 10);
  auto log = testing::OpenOrDie(tmp_ / "log", options);
  const uint64_t last = AppendFromManyThreads(*log);
  EXPECT_GT(log->Stats().segments, 10u);
  ExpectAllRecords(*log, last);
}

TEST_P(GroupCommitTest, ReadersNeverSeeUncommittedOrPartialRecords) {
  auto log = testing::OpenOrDie(tmp_ / "log", Options(GetParam(), 32 << 10));
  constexpr uint64_t kTotal = 4000;
  std::atomic<bool> bad{false};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      uint64_t next = 1;
      while (next <= kTotal && !bad) {
        const uint64_t committed = log->CommittedPosition().value;
        const Status s = log->Scan(GlobalPosition(next), UINT64_MAX, [&](const RecordView& v) {
          // Committed before Scan began, or later: never past the head now.
          if (v.position.value != next || v.position > log->CommittedPosition() ||
              testing::Record::From(v) != RecordAt(next, v.commit)) {
            bad = true;
            return false;
          }
          ++next;
          return true;
        });
        if (!s.ok()) bad = true;
        if (next <= committed) bad = true;  // everything committed was visible
        log->WaitForCommitted(GlobalPosition(next), std::chrono::milliseconds(100));
      }
    });
  }
  for (uint64_t p = 1; p <= kTotal; p += 2) {
    ASSERT_TRUE(log->Enqueue(EncodeTxn(p, 2), GlobalPosition(p), GlobalPosition(p + 1)).ok());
    if (p % 64 == 1) {
      ASSERT_TRUE(log->WaitCommitted(GlobalPosition(p + 1)).ok());
    }
  }
  ASSERT_TRUE(log->WaitCommitted(GlobalPosition(kTotal)).ok());
  for (auto& reader : readers) reader.join();
  EXPECT_FALSE(bad.load());
}

// Enqueue with a CommitCallback, the way the store's AppendMultiAsync does:
// no thread waits; every transaction is told once, after it is committed, in
// position order (one flusher tells them).
TEST_P(GroupCommitTest, CommitCallbacksAreToldOnceAfterCommitInOrder) {
  auto log = testing::OpenOrDie(tmp_ / "log", Options(GetParam()));
  std::mutex order_mu;
  uint64_t next = 1;
  std::mutex told_mu;
  std::condition_variable told_cv;
  std::vector<uint64_t> told;  // last positions, in the order told
  std::atomic<int> early{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kTxnsPerThread; ++i) {
        std::lock_guard lock(order_mu);
        const uint64_t first = next++;
        CommitCallback callback = [&, first](const Status& status) {
          if (!status.ok()) ++failed;
          if (log->CommittedPosition() < GlobalPosition(first)) ++early;
          std::lock_guard told_lock(told_mu);
          told.push_back(first);
          told_cv.notify_all();
        };
        if (!log->Enqueue(EncodeTxn(first, 1), GlobalPosition(first), GlobalPosition(first), 0,
                          std::move(callback))
                 .ok()) {
          ++failed;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  const uint64_t last = next - 1;
  {
    std::unique_lock lock(told_mu);
    told_cv.wait(lock, [&] { return told.size() >= last; });
  }
  log.reset();  // a second telling would show below
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(early.load(), 0);
  ASSERT_EQ(told.size(), last);
  for (uint64_t p = 1; p <= last; ++p) ASSERT_EQ(told[p - 1], p);
}

TEST_P(GroupCommitTest, WhenCommittedKnowsAFateOrTellsItOnce) {
  auto log = testing::OpenOrDie(tmp_ / "log", Options(GetParam()));
  ASSERT_TRUE(testing::AppendTxn(*log, 1, 2).ok());
  CommitCallback unused = [](const Status&) { ADD_FAILURE() << "told although known"; };
  std::optional<Status> known = log->WhenCommitted(GlobalPosition(2), 0, std::move(unused));
  ASSERT_TRUE(known.has_value());
  EXPECT_TRUE(known->ok());
  EXPECT_TRUE(static_cast<bool>(unused)) << "a known fate leaves the callback with the caller";
  EXPECT_TRUE(log->WhenCommitted(GlobalPosition(9), 0, [](const Status&) {})
                  .value_or(Status::OK())
                  .IsInvalidArgument());

  ASSERT_TRUE(log->Enqueue(EncodeTxn(3, 1), GlobalPosition(3), GlobalPosition(3)).ok());
  std::promise<Status> fate;
  std::optional<Status> now = log->WhenCommitted(
      GlobalPosition(3), 0, [&fate](const Status& status) { fate.set_value(status); });
  if (now) fate.set_value(*now);  // it was that quick
  const Status told = fate.get_future().get();
  EXPECT_TRUE(told.ok()) << told;
  EXPECT_GE(log->CommittedPosition(), GlobalPosition(3));
}

TEST(GroupCommitFailureTest, AFailedSyncIsToldToCallbacksAndWatchers) {
  duet::testing::TempDir tmp;
  FaultyFileSystem fs(DefaultFileSystem());
  LogOptions options = Options(Durability::Mode::kSync);
  options.file_system = &fs;
  auto log = testing::OpenOrDie(tmp / "log", options);
  ASSERT_TRUE(testing::AppendTxn(*log, 1, 1).ok());
  fs.FailNth(FaultyFileSystem::Op::kSync, 1, EIO);
  std::promise<Status> appended, watched;
  ASSERT_TRUE(log->Enqueue(EncodeTxn(2, 1), GlobalPosition(2), GlobalPosition(2), 0,
                           [&](const Status& status) { appended.set_value(status); })
                  .ok());
  std::optional<Status> now = log->WhenCommitted(
      GlobalPosition(2), 0, [&](const Status& status) { watched.set_value(status); });
  if (now) watched.set_value(*now);
  EXPECT_TRUE(appended.get_future().get().IsIOError());
  EXPECT_TRUE(watched.get_future().get().IsIOError());
  // Refused: the callback stays with the caller, never called.
  CommitCallback refused = [](const Status&) { ADD_FAILURE() << "a refused enqueue told"; };
  EXPECT_TRUE(
      log->Enqueue(EncodeTxn(3, 1), GlobalPosition(3), GlobalPosition(3), 0, std::move(refused))
          .IsIOError());
  EXPECT_TRUE(static_cast<bool>(refused));
}

INSTANTIATE_TEST_SUITE_P(Modes, GroupCommitTest,
                         ::testing::Values(Durability::Mode::kNone, Durability::Mode::kSync),
                         [](const auto& info) {
                           return info.param == Durability::Mode::kSync ? "Sync" : "None";
                         });

}  // namespace
}  // namespace duet::log
