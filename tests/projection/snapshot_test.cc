// Projection snapshots: taken every snapshot_every events from the serving
// generation, pruned, ignored across a version bump, and used by BuildAt at
// a position only when the copy checks out.
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <set>

#include "duet/projection_engine.h"
#include "projection/engine.h"
#include "projection/snapshots.h"
#include "readstore/store_snapshot.h"
#include "tests/projection/test_projections.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using testing::AppendEvents;
using testing::CountingProjection;
using testing::Entries;
using testing::Eventually;
using testing::Info;

constexpr milliseconds kLongWait{60'000};  // a bound against hangs only
constexpr uint64_t kEvery = 50;

// Counts the events that reach Apply, so a test sees how much a build replayed.
class CountedProjection : public CountingProjection {
 public:
  CountedProjection(ProjectionInfo info, std::atomic<int64_t>* applied)
      : CountingProjection(std::move(info)), applied_(applied) {}
  Status Apply(const RecordedEvent& event, DocumentTxn& txn) const override {
    applied_->fetch_add(1);
    return CountingProjection::Apply(event, txn);
  }

 private:
  std::atomic<int64_t>* applied_;
};

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = EmbeddedStore::Open(dir_ / "data", testing::FastStoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
    OpenEngine();
  }
  void TearDown() override { engine_.reset(); }

  void OpenEngine(uint32_t version = 1) {
    engine_.reset();
    ProjectionEngineOptions options;
    options.batch_size = 7;
    options.snapshot_every = kEvery;
    options.snapshots_kept = 3;
    auto engine = ProjectionEngine::Open(store_.get(), dir_ / "readstores", options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(engine).value();
    ASSERT_TRUE(
        engine_->Add(std::make_unique<CountedProjection>(Info("counts", version), &applied_)).ok());
  }

  fs::path SnapshotsDir() { return dir_ / "readstores" / "counts" / "snapshots"; }
  std::set<std::string> SnapshotFolders() {
    std::set<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(SnapshotsDir(), ec), end; !ec && it != end; it.increment(ec)) {
      names.insert(it->path().filename().string());
    }
    return names;
  }
  static std::string Name(uint32_t version, uint64_t checkpoint) {
    return projection::SnapshotName{version, GlobalPosition(checkpoint)}.ToString();
  }

  // Appends kEvery events `steps` times; after each step the snapshot of
  // that multiple has been taken (nothing is appended meanwhile, so the copy
  // is at exactly that checkpoint).
  void AppendSteps(int steps) {
    for (int i = 0; i < steps; ++i) {
      const GlobalPosition head = AppendEvents(*store_, "s" + std::to_string(i % 3), kEvery);
      ASSERT_EQ(engine_->WaitFor("counts", head, kLongWait).value(), head);
      const std::string expected = Name(1, head.value);
      ASSERT_TRUE(Eventually([&] { return SnapshotFolders().count(expected) == 1; })) << expected;
      static_cast<projection::EngineImpl&>(*engine_).DrainSnapshotsForTest();
    }
  }

  // Builds at `position` into `dir` (memory when empty); returns the store
  // and how many events reached Apply.
  std::pair<std::unique_ptr<ReadStore>, int64_t> Build(uint64_t position, const fs::path& dir) {
    const int64_t before = applied_.load();
    auto built = engine_->BuildAt("counts", {GlobalPosition(position), {}}, dir);
    if (!built.ok()) throw std::runtime_error(built.status().ToString());
    return {std::move(built).value(), applied_.load() - before};
  }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
  std::atomic<int64_t> applied_{0};
  std::unique_ptr<ProjectionEngine> engine_;
};

TEST_F(SnapshotTest, SnapshotsCarryTheirCheckpointAndOnlyTheNewestAreKept) {
  AppendSteps(2);
  EXPECT_EQ(SnapshotFolders(), (std::set<std::string>{Name(1, 50), Name(1, 100)}));
  AppendSteps(4);
  EXPECT_EQ(SnapshotFolders(), (std::set<std::string>{Name(1, 200), Name(1, 250), Name(1, 300)}));
  for (uint64_t at : {200, 250, 300}) {
    auto checkpoint = readstore::CheckStoreFile(SnapshotsDir() / Name(1, at) / "store.db",
                                                ReadStoreKind::kDocument);
    ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
    EXPECT_EQ(*checkpoint, GlobalPosition(at));
  }
  // A few events that cross no multiple take no snapshot.
  const GlobalPosition head = AppendEvents(*store_, "s0", 10);
  ASSERT_EQ(engine_->WaitFor("counts", head, kLongWait).value(), head);
  static_cast<projection::EngineImpl&>(*engine_).DrainSnapshotsForTest();
  EXPECT_EQ(SnapshotFolders().size(), 3u);
}

TEST_F(SnapshotTest, BuildAtAPositionStartsFromTheNewestSnapshotBeforeIt) {
  AppendSteps(6);                                    // snapshots at 200, 250, 300
  auto [scratch, scratch_applied] = Build(280, {});  // memory: always from position 1
  EXPECT_EQ(scratch_applied, 280);
  auto [built, applied] = Build(280, dir_ / "at280");
  EXPECT_EQ(applied, 30);  // from the snapshot at 250
  EXPECT_EQ(built->checkpoint(), GlobalPosition(280));
  EXPECT_EQ(Entries(*built), Entries(*scratch));
  EXPECT_EQ(static_cast<DocumentStore&>(*built).Get("s2")->doc->at("count").as_int64(), 80);

  auto [exact, exact_applied] = Build(300, dir_ / "at300");
  EXPECT_EQ(exact_applied, 0);
  EXPECT_EQ(Entries(*exact), Entries(*engine_->ServingStore("counts").value()));

  auto [early, early_applied] = Build(120, dir_ / "at120");  // older snapshots were pruned
  EXPECT_EQ(early_applied, 120);
  EXPECT_EQ(Entries(*early), Entries(*Build(120, {}).first));

  // A folder that already holds a read model is refused, not overwritten.
  built.reset();
  EXPECT_EQ(engine_->BuildAt("counts", {GlobalPosition(260), {}}, dir_ / "at280").status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(SnapshotTest, ATimestampTargetStartsFromASnapshotToo) {
  AppendSteps(2);  // snapshots at 50 and 100
  auto events = store_->ReadAll(GlobalPosition(1), 200);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 100u);
  const int64_t before = applied_.load();
  auto built = engine_->BuildAt("counts", {{}, events->back().timestamp_us}, dir_ / "t");
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ((*built)->checkpoint(), GlobalPosition(100));
  EXPECT_EQ(applied_.load() - before, 0);  // the snapshot at 100 is the answer
  EXPECT_EQ(Entries(**built), Entries(*engine_->ServingStore("counts").value()));

  // Before the first event: an empty read model.
  auto empty = engine_->BuildAt("counts", {{}, events->front().timestamp_us - 1}, dir_ / "e");
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ((*empty)->checkpoint(), kNoPosition);
  EXPECT_TRUE(Entries(**empty).empty());
}

TEST_F(SnapshotTest, DamagedSnapshotsAreSkippedNotTrusted) {
  AppendSteps(6);
  const fs::path newest = SnapshotsDir() / Name(1, 300) / "store.db";
  fs::resize_file(newest, fs::file_size(newest) / 2);  // truncated
  auto [built, applied] = Build(300, dir_ / "a");
  EXPECT_EQ(applied, 50);  // from 250
  EXPECT_EQ(Entries(*built), Entries(*engine_->ServingStore("counts").value()));

  for (uint64_t at : {200, 250}) {  // garbage, then a folder without its file
    std::ofstream(SnapshotsDir() / Name(1, at) / "store.db", std::ios::trunc) << "not sqlite";
  }
  fs::remove(SnapshotsDir() / Name(1, 200) / "store.db");
  auto [fallback, fallback_applied] = Build(300, dir_ / "b");
  EXPECT_EQ(fallback_applied, 300);  // nothing usable: from position 1
  EXPECT_EQ(fallback->checkpoint(), GlobalPosition(300));
  EXPECT_EQ(Entries(*fallback), Entries(*engine_->ServingStore("counts").value()));
}

TEST_F(SnapshotTest, AVersionBumpIgnoresAndDropsTheOldVersionsSnapshots) {
  AppendSteps(6);
  const fs::path projection_dir = dir_ / "readstores" / "counts";
  EXPECT_EQ(projection::ListSnapshots(projection_dir, 1).size(), 3u);
  EXPECT_TRUE(projection::ListSnapshots(projection_dir, 2).empty());  // v1 ones are not listed
  OpenEngine(/*version=*/2);  // v1 keeps serving while v2 rebuilds
  EXPECT_TRUE(SnapshotFolders().empty());
  ASSERT_TRUE(Eventually([&] {
    auto status = engine_->StatusOf("counts");
    return status.ok() && status->version == 2 && status->state == ProjectionState::kLive;
  }));
  auto [built, applied] = Build(280, dir_ / "v2");
  EXPECT_EQ(applied, 280);
  EXPECT_EQ(static_cast<DocumentStore&>(*built).Get("s0")->doc->at("v").as_int64(), 2);
  // v2's first commit past 300 takes its first snapshot (at whichever batch
  // end the snapshot thread found).
  const GlobalPosition head = AppendEvents(*store_, "s0", 10);
  ASSERT_EQ(engine_->WaitFor("counts", head, kLongWait).value(), head);
  ASSERT_TRUE(Eventually([&] { return !projection::ListSnapshots(projection_dir, 2).empty(); }));
  static_cast<projection::EngineImpl&>(*engine_).DrainSnapshotsForTest();
  const auto snapshots = projection::ListSnapshots(projection_dir, 2);
  ASSERT_EQ(snapshots.size(), 1u);
  EXPECT_GT(snapshots[0].checkpoint, GlobalPosition(300));
  EXPECT_LE(snapshots[0].checkpoint, head);
  EXPECT_EQ(SnapshotFolders(), std::set<std::string>{snapshots[0].ToString()});
}

TEST_F(SnapshotTest, MemoryStoresCannotBeCopiedAndNamesParseStrictly) {
  EXPECT_EQ(readstore::SnapshotStoreFile({}, dir_ / "x.db").code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(readstore::SnapshotStoreFile(dir_ / "missing", dir_ / "x.db").IsNotFound());
  EXPECT_FALSE(projection::ParseSnapshotName("v1-12"));
  EXPECT_FALSE(projection::ParseSnapshotName("v0-00000000000000000012"));
  EXPECT_FALSE(projection::ParseSnapshotName("v1-00000000000000000000"));
  EXPECT_FALSE(projection::ParseSnapshotName("v1-0000000000000000001x"));
  auto name = projection::ParseSnapshotName("v3-00000000000000000012");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->version, 3u);
  EXPECT_EQ(name->checkpoint, GlobalPosition(12));
  EXPECT_EQ(name->ToString(), "v3-00000000000000000012");
}

}  // namespace
}  // namespace duet
