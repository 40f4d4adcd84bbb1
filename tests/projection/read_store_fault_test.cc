// A SQLite read store whose writes fail (tests/support/syscall): a commit
// that finds the disk full is retried until it goes through, so the
// projection never stays failed for it; a commit failing with EIO at any of
// its writes or syncs leaves the read model and its checkpoint whole or
// unchanged: after reopening it resumes and equals a rebuild. And read
// models keep answering after the log has failed for good.
#include <gtest/gtest.h>

#include <cerrno>

#include "duet/projection_engine.h"
#include "tests/projection/test_projections.h"
#include "tests/support/syscall/syscall_faults.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

using std::chrono::milliseconds;
using testing::AppendEvents;
using testing::Entries;
using testing::Info;
using testing::Syscall;
using testing::SyscallFaults;

constexpr milliseconds kLongWait{120'000};  // a bound against hangs only

class ReadStoreFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = EmbeddedStore::Open(dir_ / "data", testing::FastStoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    OpenEngine();
    ASSERT_TRUE(engine_->Add(std::make_unique<testing::CountingProjection>(Info("counts"))).ok());
  }
  void TearDown() override {
    SyscallFaults::Disarm();
    engine_.reset();
  }
  void OpenEngine() {
    ProjectionEngineOptions options;
    options.batch_size = 4;
    auto engine = ProjectionEngine::Open(store_.get(), dir_ / "readstores", options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
  }
  // The serving read model equals a rebuild at its own checkpoint.
  void ExpectEqualsRebuild() {
    auto status = engine_->StatusOf("counts");
    ASSERT_TRUE(status.ok());
    auto serving = engine_->ServingStore("counts");
    ASSERT_TRUE(serving.ok());
    auto rebuilt = engine_->BuildAt("counts", {status->checkpoint, {}}, {});
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_EQ(Entries(**serving), Entries(**rebuilt));
  }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
  std::unique_ptr<ProjectionEngine> engine_;
};

TEST_F(ReadStoreFaultTest, FullDiskAtAnyWriteOfACommitIsRetriedNotFatal) {
  uint64_t fired = 0;
  for (uint64_t nth = 1; nth <= 12; ++nth) {
    SCOPED_TRACE(nth);
    SyscallFaults::Arm(Syscall::kWrite, nth, ENOSPC, "readstores");
    const GlobalPosition head = AppendEvents(*store_, "s-" + std::to_string(nth % 3), 9);
    auto reached = engine_->WaitFor("counts", head, kLongWait);
    ASSERT_TRUE(reached.ok()) << reached.status();
    EXPECT_EQ(*reached, head);
    fired += SyscallFaults::Fired() ? 1 : 0;
    SyscallFaults::Disarm();
    auto status = engine_->StatusOf("counts");
    ASSERT_TRUE(status.ok());
    EXPECT_NE(status->state, ProjectionState::kFailed) << status->error;
  }
  EXPECT_GT(fired, 0u);
  ExpectEqualsRebuild();
}

TEST_F(ReadStoreFaultTest, CommitFailingAtAnyWriteOrSyncLeavesAWholeReadModel) {
  for (Syscall op : {Syscall::kWrite, Syscall::kSync}) {
    for (uint64_t nth = 1; nth <= 6; ++nth) {
      SCOPED_TRACE(::testing::Message() << "op " << static_cast<int>(op) << " call " << nth);
      SyscallFaults::Arm(op, nth, EIO, "readstores");
      const GlobalPosition head = AppendEvents(*store_, "s-" + std::to_string(nth % 3), 9);
      // Either it gets there or it fails; wait for one of the two.
      ASSERT_TRUE(testing::Eventually([&] {
        auto status = engine_->StatusOf("counts");
        return status.ok() &&
               (status->checkpoint == head || status->state == ProjectionState::kFailed);
      }));
      SyscallFaults::Disarm();
      // Reopen, as after a crash at that point: the read model resumes from
      // its checkpoint and ends equal to a rebuild (a checkpoint ahead of or
      // behind its data would skip or double-count events).
      engine_.reset();
      OpenEngine();
      ASSERT_TRUE(engine_->Add(std::make_unique<testing::CountingProjection>(Info("counts"))).ok());
      auto reached = engine_->WaitFor("counts", head, kLongWait);
      ASSERT_TRUE(reached.ok()) << reached.status();
      EXPECT_EQ(*reached, head);
      ExpectEqualsRebuild();
    }
  }
}

TEST_F(ReadStoreFaultTest, QueriesGoOnAfterTheLogFailedAnFdatasync) {
  // Sync mode: every append's round ends in an fdatasync of the segment.
  engine_.reset();
  store_.reset();
  StoreOptions options;
  options.durability.mode = Durability::Mode::kSync;
  auto store = EmbeddedStore::Open(dir_ / "data", options);
  ASSERT_TRUE(store.ok()) << store.status();
  store_ = std::move(*store);
  OpenEngine();
  ASSERT_TRUE(engine_->Add(std::make_unique<testing::CountingProjection>(Info("counts"))).ok());

  const GlobalPosition head = AppendEvents(*store_, "s-1", 5);
  auto reached = engine_->WaitFor("counts", head, kLongWait);
  ASSERT_TRUE(reached.ok()) << reached.status();
  {
    SyscallFaults::Arm(Syscall::kSync, 1, EIO, ".seg");
    const std::vector<EventData> events = {EventData{EventId{}, "Happened", "{}", "{}"}};
    EXPECT_TRUE(store_->Append("s-1", ExpectedVersion::Any(), events).status().IsIOError());
    SyscallFaults::Disarm();
  }
  ASSERT_FALSE(store_->Health().ok());
  auto serving = engine_->ServingStore("counts");
  ASSERT_TRUE(serving.ok());
  auto doc = static_cast<DocumentStore&>(**serving).Get("s-1");
  ASSERT_TRUE(doc.ok() && doc->doc) << doc.status();
  EXPECT_EQ(doc->doc->at("count").as_int64(), 5);
  auto status = engine_->StatusOf("counts");
  ASSERT_TRUE(status.ok());
  EXPECT_NE(status->state, ProjectionState::kFailed) << status->error;
  EXPECT_EQ(status->checkpoint, head);
}

}  // namespace
}  // namespace duet
