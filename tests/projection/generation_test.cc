// The engine over persistent (SQLite) document stores: CURRENT and
// generation folders, side-by-side rebuilds and the switch, version bumps,
// reopening, leftovers, point-in-time builds into a folder.
#include <gtest/gtest.h>

#include "duet/projection_engine.h"
#include "tests/projection/test_projections.h"
#include "tests/support/temp_dir.h"
#include "util/file_util.h"

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

class GenerationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = EmbeddedStore::Open(dir_ / "data", testing::FastStoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
    OpenEngine();
  }
  void OpenEngine() {
    engine_.reset();
    ProjectionEngineOptions options;
    options.batch_size = 16;
    auto engine = ProjectionEngine::Open(store_.get(), readstores(), options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(engine).value();
  }
  fs::path readstores() const { return dir_ / "readstores"; }
  std::string Current(const std::string& name) {
    auto text = ReadWholeFile(readstores() / name / "CURRENT");
    return text.ok() ? *text : text.status().ToString();
  }
  boost::json::object Doc(const std::string& name, const std::string& key) {
    auto store = engine_->ServingStore(name);
    if (!store.ok()) return {};
    auto read = static_cast<DocumentStore&>(**store).Get(key);
    return read.ok() && read->doc ? *read->doc : boost::json::object{};
  }
  GlobalPosition CaughtUp(const std::string& name) {
    auto reached = engine_->WaitFor(name, store_->HeadPosition(), kLongWait);
    return reached.ok() ? *reached : kNoPosition;
  }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
  std::unique_ptr<ProjectionEngine> engine_;
};

TEST_F(GenerationTest, FirstAddCreatesGenerationOneAndCurrent) {
  AppendEvents(*store_, "s", 5);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(5));
  EXPECT_EQ(Current("counts"), "v1-g1\n");
  EXPECT_TRUE(fs::is_directory(readstores() / "counts" / "v1-g1"));
  EXPECT_EQ(Doc("counts", "s").at("count").as_int64(), 5);
}

TEST_F(GenerationTest, ReopeningResumesFromTheCheckpointWithoutReapplying) {
  AppendEvents(*store_, "s", 30);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(30));
  engine_.reset();
  AppendEvents(*store_, "s", 10);
  OpenEngine();
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_EQ(engine_->ServingStore("counts").value()->checkpoint(), GlobalPosition(30));
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(40));
  EXPECT_EQ(Doc("counts", "s").at("count").as_int64(), 40);
  EXPECT_EQ(Current("counts"), "v1-g1\n");
}

TEST_F(GenerationTest, RebuildFillsANewGenerationAndSwitchesCurrent) {
  testing::Gate gate;
  for (int s = 0; s < 4; ++s) AppendEvents(*store_, "s" + std::to_string(s), 10);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"), &gate)).ok());
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(40));
  std::shared_ptr<ReadStore> old_store = engine_->ServingStore("counts").value();
  const auto old_entries = Entries(*old_store);
  gate.Arm();
  ASSERT_TRUE(engine_->Rebuild("counts").ok());
  ASSERT_TRUE(Eventually([&] { return gate.Reached(); }));
  // While rebuilding: the old generation serves and CURRENT names it.
  EXPECT_TRUE(fs::is_directory(readstores() / "counts" / "v1-g2"));
  EXPECT_EQ(Current("counts"), "v1-g1\n");
  EXPECT_EQ(engine_->ServingStore("counts").value(), old_store);
  EXPECT_EQ(engine_->StatusOf("counts")->state, ProjectionState::kRebuilding);
  gate.Open();
  ASSERT_TRUE(Eventually([&] { return engine_->ServingStore("counts").value() != old_store; }));
  EXPECT_EQ(Current("counts"), "v1-g2\n");
  EXPECT_EQ(Entries(*engine_->ServingStore("counts").value()), old_entries);
  // A query still holding the old generation keeps it until it lets go.
  EXPECT_TRUE(fs::is_directory(readstores() / "counts" / "v1-g1"));
  EXPECT_EQ(Entries(*old_store), old_entries);
  old_store.reset();  // the engine's thread may still be letting go of its own reference
  EXPECT_TRUE(Eventually([&] { return !fs::exists(readstores() / "counts" / "v1-g1"); }));
  // The switched-in generation is the live one, and survives a reopen.
  AppendEvents(*store_, "s0", 1);
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(41));
  OpenEngine();
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_EQ(engine_->ServingStore("counts").value()->checkpoint(), GlobalPosition(41));
  EXPECT_EQ(Doc("counts", "s0").at("count").as_int64(), 11);
}

TEST_F(GenerationTest, AVersionBumpRebuildsWhileTheOldVersionServes) {
  AppendEvents(*store_, "a", 12);
  AppendEvents(*store_, "b", 8);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts", 1))).ok());
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(20));
  OpenEngine();
  testing::Gate gate;
  gate.Arm();
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts", 2), &gate)).ok());
  ASSERT_TRUE(Eventually([&] { return gate.Reached(); }));
  auto status = engine_->StatusOf("counts");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->version, 1u);
  EXPECT_EQ(status->state, ProjectionState::kRebuilding);
  EXPECT_EQ(status->checkpoint, GlobalPosition(20));
  EXPECT_EQ(Doc("counts", "a").at("v").as_int64(), 1);  // the old version serves
  EXPECT_EQ(Current("counts"), "v1-g1\n");
  EXPECT_TRUE(fs::is_directory(readstores() / "counts" / "v2-g2"));
  // Verify and RetryParked refuse: the serving model is another version's,
  // whose rebuild is in progress (a conflict, not a fault).
  EXPECT_EQ(engine_->Verify("counts").status().code(), StatusCode::kConflict);
  EXPECT_EQ(engine_->RetryParked("counts").status().code(), StatusCode::kConflict);
  gate.Open();
  ASSERT_TRUE(Eventually([&] {
    auto s = engine_->StatusOf("counts");
    return s.ok() && s->version == 2 && s->state == ProjectionState::kLive;
  }));
  EXPECT_EQ(Current("counts"), "v2-g2\n");
  EXPECT_EQ(Doc("counts", "a").at("v").as_int64(), 2);
  EXPECT_EQ(Doc("counts", "a").at("count").as_int64(), 12);
  // Removed by the switch right after the swap, on the engine's thread.
  EXPECT_TRUE(Eventually([&] { return !fs::exists(readstores() / "counts" / "v1-g1"); }));
}

TEST_F(GenerationTest, AddRemovesLeftoversAndRebuildsADeletedReadModel) {
  AppendEvents(*store_, "s", 6);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(6));
  engine_.reset();
  fs::create_directories(readstores() / "counts" / "v1-g5");       // a cut rebuild
  fs::create_directories(readstores() / "counts" / "verify-tmp");  // a cut verify
  OpenEngine();
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_FALSE(fs::exists(readstores() / "counts" / "v1-g5"));
  EXPECT_FALSE(fs::exists(readstores() / "counts" / "verify-tmp"));
  EXPECT_EQ(engine_->ServingStore("counts").value()->checkpoint(), GlobalPosition(6));
  engine_.reset();
  fs::remove_all(readstores() / "counts" / "v1-g1");  // an operator deleted the read model
  OpenEngine();
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(6));
  EXPECT_EQ(Current("counts"), "v1-g1\n");
  EXPECT_EQ(Doc("counts", "s").at("count").as_int64(), 6);
}

TEST_F(GenerationTest, AMalformedCurrentIsCorruption) {
  fs::create_directories(readstores() / "counts");
  ASSERT_TRUE(WriteFileAtomically(readstores() / "counts" / "CURRENT", "latest\n").ok());
  Status added = engine_->Add(std::make_unique<CountingProjection>(Info("counts")));
  EXPECT_TRUE(added.IsCorruption()) << added;
  EXPECT_TRUE(engine_->StatusOf("counts").status().IsNotFound());
}

TEST_F(GenerationTest, VerifyAndBuildAtWithPersistentStores) {
  for (int s = 0; s < 5; ++s) AppendEvents(*store_, "s" + std::to_string(s), 7);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(35));
  auto report = engine_->Verify("counts");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->matches()) << report->live_digest << " " << report->rebuilt_digest;
  EXPECT_EQ(report->entries, 5u);
  auto built = engine_->BuildAt("counts", {GlobalPosition(35), {}}, dir_ / "at-35");
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ((*built)->checkpoint(), GlobalPosition(35));
  EXPECT_EQ(Entries(**built), Entries(*engine_->ServingStore("counts").value()));
  built->reset();
  // The folder holds a read model now: a second build there is refused.
  EXPECT_EQ(engine_->BuildAt("counts", {GlobalPosition(3), {}}, dir_ / "at-35").status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(GenerationTest, SearchAndAnalyticsProjectionsVerifyInAScratchFolderRemovedAfter) {
  AppendEvents(*store_, "s1", 3, "Opened");
  AppendEvents(*store_, "s2", 2, "Closed");
  ASSERT_TRUE(engine_->Add(std::make_unique<testing::SearchTypesProjection>(Info("search"))).ok());
  ASSERT_TRUE(
      engine_->Add(std::make_unique<testing::AnalyticsTypesProjection>(Info("stats"))).ok());
  for (const std::string name : {"search", "stats"}) {
    EXPECT_EQ(CaughtUp(name), GlobalPosition(5)) << name;
    EXPECT_EQ(Current(name), "v1-g1\n") << name;
    auto report = engine_->Verify(name);
    ASSERT_TRUE(report.ok()) << name << ": " << report.status();
    EXPECT_TRUE(report->matches()) << name;
    EXPECT_GT(report->entries, 0u) << name;
    EXPECT_FALSE(fs::exists(readstores() / name / "verify-tmp")) << name;
  }
  auto serving = engine_->ServingStore("search").value();
  SearchQuery query;
  query.text = "opened";
  auto found = static_cast<SearchStore&>(*serving).Search(query);
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_EQ(found->hits.size(), 1u);
  EXPECT_EQ(found->hits[0].key, "s1");
  // A search read model has no memory form: a point-in-time build needs a folder.
  EXPECT_EQ(engine_->BuildAt("search", {GlobalPosition(2), {}}, {}).status().subject(), "dir");
  auto built = engine_->BuildAt("search", {GlobalPosition(2), {}}, dir_ / "search-at-2");
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ((*built)->checkpoint(), GlobalPosition(2));
}

}  // namespace
}  // namespace duet
