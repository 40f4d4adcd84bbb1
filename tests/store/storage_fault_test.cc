// The store under injected storage faults (tests/support/syscall: the libc
// calls themselves fail, whoever makes them): a failed append is never
// acknowledged; a failed fdatasync stops appends for good while reads and
// subscriptions go on; a full disk does not, and the store gives back the
// positions and versions it had handed out; an index checkpoint or aggregate
// snapshot written while any of its calls fails is whole or ignored.
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <thread>

#include "domain/snapshot_store.h"
#include "duet/embedded_store.h"
#include "tests/store/store_test_util.h"
#include "tests/support/subscription_collector.h"
#include "tests/support/syscall/syscall_faults.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

using testing::MakeEvents;
using testing::ScopedSyscallFault;
using testing::Syscall;
using testing::SyscallFaults;

constexpr std::chrono::seconds kHangGuard{60};

StoreOptions SyncOptions() {
  StoreOptions options;
  options.durability.mode = Durability::Mode::kSync;
  return options;
}

// Every stream's events as (position, type, data), the way a reader sees them.
std::map<std::string, std::vector<std::string>> Contents(EventStore& store) {
  std::map<std::string, std::vector<std::string>> out;
  auto all = store.ReadAll(GlobalPosition(1), SIZE_MAX);
  EXPECT_TRUE(all.ok()) << all.status();
  if (!all.ok()) return out;
  for (const RecordedEvent& e : *all) {
    auto by_stream =
        store.ReadStream(e.stream, StreamVersion(0), SIZE_MAX, ReadDirection::kForward);
    EXPECT_TRUE(by_stream.ok()) << by_stream.status();
    auto& list = out[e.stream];
    if (!list.empty()) continue;
    for (const RecordedEvent& s : *by_stream) {
      list.push_back(std::to_string(s.position.value) + "@" + std::to_string(s.version.value) +
                     ":" + s.data);
    }
  }
  return out;
}

class StorageFaultTest : public ::testing::Test {
 protected:
  std::unique_ptr<EmbeddedStore> Open(const StoreOptions& options = SyncOptions()) {
    auto store = EmbeddedStore::Open(dir_, options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }
  Result<AppendResult> Append(EmbeddedStore& store, const std::string& stream, int n,
                              ExpectedVersion expected = ExpectedVersion::Any()) {
    const auto events = MakeEvents(n, stream);
    return store.Append(stream, expected, events);
  }

  testing::TempDir tmp_;
  std::filesystem::path dir_ = tmp_ / "data";
};

TEST_F(StorageFaultTest, FailedAppendIsNeverAcknowledgedNorRead) {
  auto store = Open();
  ASSERT_TRUE(Append(*store, "a", 2).ok());
  {
    ScopedSyscallFault fault(Syscall::kWrite, 1, EIO, ".seg");
    EXPECT_TRUE(Append(*store, "b", 1).status().IsIOError());
    EXPECT_TRUE(SyscallFaults::Fired());
  }
  EXPECT_EQ(store->HeadPosition(), GlobalPosition(2));
  EXPECT_FALSE(store->StreamHead("b").has_value());
  store.reset();
  store = Open();
  EXPECT_EQ(store->HeadPosition(), GlobalPosition(2));
  EXPECT_FALSE(store->StreamHead("b").has_value());
}

TEST_F(StorageFaultTest, FailedFdatasyncStopsAppendsForGoodWithoutRetrying) {
  auto store = Open();
  ASSERT_TRUE(Append(*store, "a", 3).ok());
  ScopedSyscallFault fault(Syscall::kSync, 1, EIO, ".seg");
  const auto failed = Append(*store, "a", 1);
  EXPECT_TRUE(failed.status().IsIOError()) << failed.status();
  EXPECT_NE(failed.status().message().find("fdatasync"), std::string::npos) << failed.status();
  EXPECT_TRUE(store->Health().IsIOError()) << store->Health();
  const auto refused = Append(*store, "c", 1);
  EXPECT_EQ(refused.status(), store->Health());
  store.reset();                          // closing does not sync a failed log either
  EXPECT_EQ(SyscallFaults::Count(), 1u);  // the one failed fdatasync, never retried
}

TEST_F(StorageFaultTest, ReadsAndSubscriptionsGoOnAfterAFailedFdatasync) {
  auto store = Open();
  ASSERT_TRUE(Append(*store, "a", 3).ok());
  {
    ScopedSyscallFault fault(Syscall::kSync, 1, EIO, ".seg");
    ASSERT_FALSE(Append(*store, "a", 1).ok());
  }
  ASSERT_FALSE(store->Health().ok());
  auto stream = store->ReadStream("a", StreamVersion(0), 100, ReadDirection::kForward);
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_EQ(stream->size(), 3u);
  EXPECT_EQ(store->StreamHead("a"), StreamVersion(2));
  testing::Collector collector;
  auto subscription = store->SubscribeToAll(kNoPosition, collector.Handler());
  const auto deadline = std::chrono::steady_clock::now() + kHangGuard;
  while (collector.size() < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  subscription->Stop();
  EXPECT_EQ(collector.size(), 3u);
}

TEST_F(StorageFaultTest, ReopenAfterAFailedFdatasyncKeepsEveryAcknowledgedEvent) {
  std::map<std::string, std::vector<std::string>> acknowledged;
  {
    auto store = Open();
    ASSERT_TRUE(Append(*store, "a", 3).ok());
    ASSERT_TRUE(Append(*store, "b", 2).ok());
    acknowledged = Contents(*store);
    ScopedSyscallFault fault(Syscall::kSync, 1, EIO, ".seg");
    ASSERT_FALSE(Append(*store, "c", 4).ok());
  }
  auto store = Open();
  ASSERT_TRUE(store->Health().ok());
  // The failed round reached the page cache and may survive (it was never
  // acknowledged); everything acknowledged must, unchanged.
  auto reopened = Contents(*store);
  EXPECT_TRUE(reopened.count("c") == 0 || reopened["c"].size() == 4u);
  reopened.erase("c");
  EXPECT_EQ(reopened, acknowledged);
  EXPECT_TRUE(Append(*store, "d", 1).ok());
}

TEST_F(StorageFaultTest, FullDiskGivesBackPositionsVersionsAndNewStreams) {
  auto store = Open();
  ASSERT_TRUE(Append(*store, "a", 2).ok());
  const std::vector<EventData> retried = {testing::MakeEvent("Happened", "{}", EventId::Random())};
  {
    ScopedSyscallFault fault(Syscall::kWrite, 1, ENOSPC, ".seg");
    const auto full = store->Append("new", ExpectedVersion::NoStream(), retried);
    EXPECT_EQ(full.status().code(), StatusCode::kStorageFull) << full.status();
    EXPECT_EQ(Append(*store, "a", 1, ExpectedVersion::Exact(StreamVersion(1))).status().code(),
              StatusCode::kOk);  // the store took appends again at once
  }
  EXPECT_TRUE(store->Health().ok());
  EXPECT_EQ(store->HeadPosition(), GlobalPosition(3));  // position 3 went to "a"
  EXPECT_FALSE(store->StreamHead("new").has_value());
  // The same event id again is not taken for a retry of something recorded.
  const auto again = store->Append("new", ExpectedVersion::NoStream(), retried);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->next_expected_version, StreamVersion(0));
  EXPECT_EQ(again->position, GlobalPosition(4));
  store.reset();
  store = Open();
  auto all = store->ReadAll(GlobalPosition(1), 100);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 4u);
  for (size_t i = 0; i < all->size(); ++i) EXPECT_EQ((*all)[i].position.value, i + 1);
  EXPECT_EQ((*all)[3].id, retried[0].id);
}

// Fails the nth open, write, fdatasync or rename of an index checkpoint, and
// every later one (so the checkpoint on close fails too), for every n the
// checkpoint reaches: afterwards the store opens and equals a rebuild.
TEST_F(StorageFaultTest, IndexCheckpointIsWholeOrIgnoredWhateverCallFails) {
  for (Syscall op : {Syscall::kOpen, Syscall::kWrite, Syscall::kSync, Syscall::kRename}) {
    uint64_t failures = 0;
    for (uint64_t nth = 1;; ++nth) {
      SCOPED_TRACE(::testing::Message() << "op " << static_cast<int>(op) << " call " << nth);
      std::filesystem::remove_all(dir_);
      bool fired = false;
      {
        auto store = Open();
        ASSERT_TRUE(Append(*store, "a", 3).ok());
        ASSERT_TRUE(store->CheckpointIndex().ok());
        ASSERT_TRUE(Append(*store, "b", 2).ok());
        ASSERT_TRUE(Append(*store, "a", 1).ok());
        SyscallFaults::Arm(op, nth, op == Syscall::kWrite ? ENOSPC : EIO, "index");
        (void)store->CheckpointIndex();
        fired = SyscallFaults::Fired();
        store.reset();
        SyscallFaults::Disarm();
      }
      if (!fired) break;  // past the last call of the checkpoint
      ++failures;
      auto store = Open();
      ASSERT_NE(store, nullptr);
      const auto checkpoint = store->open_report().index_checkpoint;
      EXPECT_TRUE(checkpoint == GlobalPosition(3) || checkpoint == GlobalPosition(6) ||
                  checkpoint == kNoPosition)
          << checkpoint.value;
      const auto with_checkpoint = Contents(*store);
      EXPECT_EQ(store->StreamHead("a"), StreamVersion(3));
      EXPECT_EQ(store->StreamHead("b"), StreamVersion(1));
      store.reset();
      std::filesystem::remove_all(dir_ / "index");
      store = Open();
      EXPECT_EQ(Contents(*store), with_checkpoint);
    }
    EXPECT_GT(failures, 0u) << static_cast<int>(op);
  }
}

// The same for an aggregate snapshot: a failed write leaves the previous
// snapshot or the new one, never a mix, and never a corrupt file.
TEST_F(StorageFaultTest, SnapshotIsWholeOrIgnoredWhateverCallFails) {
  const auto snapshots = tmp_ / "snapshots";
  domain::Snapshot before{"acct-1", 1, StreamVersion(4), EventId::Random(), "{\"v\":\"old\"}"};
  domain::Snapshot after{"acct-1", 1, StreamVersion(9), EventId::Random(), "{\"v\":\"new\"}"};
  for (Syscall op : {Syscall::kOpen, Syscall::kWrite, Syscall::kSync, Syscall::kRename}) {
    uint64_t failures = 0;
    for (uint64_t nth = 1;; ++nth) {
      SCOPED_TRACE(::testing::Message() << "op " << static_cast<int>(op) << " call " << nth);
      std::filesystem::remove_all(snapshots);
      domain::SnapshotStore store(snapshots);
      ASSERT_TRUE(store.Write(before).ok());
      Status written;
      {
        ScopedSyscallFault fault(op, nth, op == Syscall::kWrite ? ENOSPC : EIO, "snapshots");
        written = store.Write(after);
        if (!SyscallFaults::Fired()) break;
      }
      ++failures;
      auto read = domain::SnapshotStore(snapshots).Read("acct-1");
      ASSERT_TRUE(read.ok()) << read.status();
      ASSERT_TRUE(read->has_value());
      const auto& got = **read;
      if (written.ok()) {
        EXPECT_EQ(got.payload, after.payload);  // e.g. only the directory fsync failed
      } else {
        EXPECT_TRUE(got.payload == before.payload || got.payload == after.payload) << got.payload;
      }
      EXPECT_EQ(got.version, got.payload == before.payload ? before.version : after.version);
    }
    EXPECT_GT(failures, 0u) << static_cast<int>(op);
  }
}

}  // namespace
}  // namespace duet
