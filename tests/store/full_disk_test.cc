// A real full disk: the data folder lives on a 16 MiB tmpfs that this test
// mounts (as root; skipped with the reason when mounting is refused) and fills
// with a ballast file. Appends end in storage_full and nothing unacknowledged
// reaches the log; reads, subscriptions' read models and queries keep
// answering; once the ballast is deleted, appends resume in the same process,
// the projection (SQLite, on the same disk) catches up instead of failing,
// and reopening shows every acknowledged event.
#include <gtest/gtest.h>

#include "duet/embedded_store.h"
#include "duet/projection_engine.h"
#include "tests/projection/test_projections.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tmpfs_mount.h"

namespace duet {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kLongWait{120'000};  // a bound against hangs only

struct Acknowledged {
  std::string stream;
  uint64_t version;
  uint64_t position;
  std::string data;
};

class FullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!disk_.mounted()) GTEST_SKIP() << disk_.error();
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
  }

  void OpenAll() {
    StoreOptions options;
    options.durability.mode = Durability::Mode::kSync;
    auto store = EmbeddedStore::Open(mount_ / "data", options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ProjectionEngineOptions engine_options;
    engine_options.batch_size = 64;
    auto engine = ProjectionEngine::Open(store_.get(), mount_ / "readstores", engine_options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(*engine);
  }

  void FillLeaving(uintmax_t leave) { ASSERT_GT(testing::TmpfsMount::Fill(ballast_, leave), 0u); }

  Status AppendOne(int i) {
    const std::string stream = "s-" + std::to_string(i % 7);
    const std::string data =
        "{\"i\":" + std::to_string(i) + ",\"pad\":\"" + std::string(900, 'x') + "\"}";
    const std::vector<EventData> events = {EventData{EventId::Random(), "Happened", data, "{}"}};
    auto result = store_->Append(stream, ExpectedVersion::Any(), events);
    if (!result.ok()) return result.status();
    acknowledged_.push_back(
        {stream, result->next_expected_version.value, result->position.value, data});
    return Status::OK();
  }

  // The log holds exactly the acknowledged events, in position order.
  void ExpectLogIsAcknowledged(EventStore& store) {
    auto all = store.ReadAll(GlobalPosition(1), SIZE_MAX);
    ASSERT_TRUE(all.ok()) << all.status();
    ASSERT_EQ(all->size(), acknowledged_.size());
    for (size_t i = 0; i < all->size(); ++i) {
      const RecordedEvent& e = (*all)[i];
      EXPECT_EQ(e.position.value, i + 1);
      EXPECT_EQ(e.position.value, acknowledged_[i].position);
      EXPECT_EQ(e.stream, acknowledged_[i].stream);
      EXPECT_EQ(e.version.value, acknowledged_[i].version);
      EXPECT_EQ(e.data, acknowledged_[i].data);
    }
  }

  // The read model counts every stream's events.
  void ExpectReadModelCaughtUp() {
    const GlobalPosition head = store_->HeadPosition();
    auto reached = engine_->WaitFor("counts", head, kLongWait);
    ASSERT_TRUE(reached.ok()) << reached.status();
    auto serving = engine_->ServingStore("counts");
    ASSERT_TRUE(serving.ok());
    auto& docs = static_cast<DocumentStore&>(**serving);
    for (int s = 0; s < 7; ++s) {
      const std::string stream = "s-" + std::to_string(s);
      const auto last = store_->StreamHead(stream);
      if (!last) continue;
      auto doc = docs.Get(stream);
      ASSERT_TRUE(doc.ok() && doc->doc) << stream;
      EXPECT_EQ(doc->doc->at("count").as_int64(), static_cast<int64_t>(last->value + 1));
    }
  }

  duet::testing::TempDir tmp_;
  testing::TmpfsMount disk_{tmp_ / "mnt", "16m"};
  const std::filesystem::path mount_ = disk_.dir();
  const std::filesystem::path ballast_ = mount_ / "ballast";
  std::unique_ptr<EmbeddedStore> store_;
  std::unique_ptr<ProjectionEngine> engine_;
  std::vector<Acknowledged> acknowledged_;
};

TEST_F(FullDiskTest, AppendsFailAsStorageFullAndResumeOnceSpaceIsFreed) {
  OpenAll();
  ASSERT_TRUE(
      engine_->Add(std::make_unique<testing::CountingProjection>(testing::Info("counts"))).ok());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(AppendOne(i).ok());
  ExpectReadModelCaughtUp();

  FillLeaving(256 << 10);
  Status full;
  int i = 20;
  for (; i < 100'000 && full.ok(); ++i) full = AppendOne(i);
  ASSERT_EQ(full.code(), StatusCode::kStorageFull) << full;
  EXPECT_NE(full.message().find("No space left"), std::string::npos) << full;
  EXPECT_TRUE(store_->Health().ok()) << store_->Health();  // not sticky
  // Still full: the next append fails the same way, and nothing is half-written.
  EXPECT_EQ(AppendOne(i++).code(), StatusCode::kStorageFull);
  ExpectLogIsAcknowledged(*store_);

  // Reads and queries answer while the disk is full.
  auto stream = store_->ReadStream("s-0", StreamVersion(0), SIZE_MAX, ReadDirection::kForward);
  ASSERT_TRUE(stream.ok()) << stream.status();
  EXPECT_FALSE(stream->empty());
  auto serving = engine_->ServingStore("counts");
  ASSERT_TRUE(serving.ok());
  EXPECT_TRUE(static_cast<DocumentStore&>(**serving).Get("s-0").ok());
  auto status = engine_->StatusOf("counts");
  ASSERT_TRUE(status.ok());
  EXPECT_NE(status->state, ProjectionState::kFailed) << status->error;

  // Free the space: appends resume without reopening anything.
  std::filesystem::remove(ballast_);
  const size_t before = acknowledged_.size();
  for (int k = 0; k < 50; ++k, ++i) ASSERT_TRUE(AppendOne(i).ok()) << k;
  EXPECT_EQ(acknowledged_[before].position, acknowledged_[before - 1].position + 1);
  ExpectLogIsAcknowledged(*store_);
  ExpectReadModelCaughtUp();
  status = engine_->StatusOf("counts");
  ASSERT_TRUE(status.ok());
  EXPECT_NE(status->state, ProjectionState::kFailed) << status->error;

  engine_.reset();
  store_.reset();
  OpenAll();
  ExpectLogIsAcknowledged(*store_);
}

}  // namespace
}  // namespace duet
