// Catch-up to live under concurrent appends, and appends that go on while a
// projection is stuck.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "duet/projection_engine.h"
#include "tests/projection/test_projections.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

using std::chrono::milliseconds;
using testing::AppendEvents;
using testing::CountingProjection;
using testing::Entries;
using testing::Eventually;
using testing::Info;

constexpr milliseconds kLongWait{120'000};  // a bound against hangs only
constexpr int kWriters = 4;
constexpr int kStreamsPerWriter = 5;

class CatchUpTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    auto store = EmbeddedStore::Open(dir_ / "data", testing::FastStoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
    ProjectionEngineOptions options;
    options.batch_size = 50;
    options.in_memory = GetParam();
    auto engine = ProjectionEngine::Open(store_.get(), dir_ / "readstores", options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(engine).value();
  }
  void TearDown() override { engine_.reset(); }

  // Appends from kWriters threads, each to its own streams, `appends` times.
  void AppendConcurrently(int appends) {
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([this, w, appends] {
        std::mt19937 rng(w + 1);
        for (int i = 0; i < appends; ++i) {
          const int stream = static_cast<int>(rng() % kStreamsPerWriter);
          AppendEvents(*store_, "w" + std::to_string(w) + "-" + std::to_string(stream),
                       1 + static_cast<int>(rng() % 3));
        }
      });
    }
    for (auto& writer : writers) writer.join();
  }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
  std::unique_ptr<ProjectionEngine> engine_;
};

TEST_P(CatchUpTest, SwitchesToLiveWhileWritersAppendAndMissesNothing) {
  AppendConcurrently(200);  // history to catch up on
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  AppendConcurrently(300);  // while it catches up, and after
  const GlobalPosition head = store_->HeadPosition();
  auto reached = engine_->WaitFor("counts", head, kLongWait);
  ASSERT_TRUE(reached.ok());
  ASSERT_EQ(*reached, head);
  ASSERT_TRUE(
      Eventually([&] { return testing::StateOf(*engine_, "counts") == ProjectionState::kLive; }));
  auto serving = engine_->ServingStore("counts").value();
  auto& docs = static_cast<DocumentStore&>(*serving);
  for (int w = 0; w < kWriters; ++w) {
    for (int s = 0; s < kStreamsPerWriter; ++s) {
      const std::string stream = "w" + std::to_string(w) + "-" + std::to_string(s);
      auto last = store_->StreamHead(stream);
      ASSERT_TRUE(last.has_value()) << stream;
      auto doc = docs.Get(stream);
      ASSERT_TRUE(doc.ok() && doc->doc) << stream;
      EXPECT_EQ(doc->doc->at("count").as_int64(), static_cast<int64_t>(last->value + 1)) << stream;
      EXPECT_EQ(doc->doc->at("last").as_int64(), static_cast<int64_t>(last->value)) << stream;
    }
  }
  auto rebuilt = engine_->BuildAt("counts", {head, {}}, {});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(Entries(*serving), Entries(**rebuilt));
}

TEST_P(CatchUpTest, AppendsGoOnWhileAProjectionIsStuck) {
  testing::Gate gate;
  gate.Arm();
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("stuck"), &gate)).ok());
  AppendEvents(*store_, "s", 1);
  ASSERT_TRUE(Eventually([&] { return gate.Reached(); }));
  // The runner is held inside Apply; appends do not wait for it.
  AppendConcurrently(100);
  const GlobalPosition head = store_->HeadPosition();
  auto status = engine_->StatusOf("stuck");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->checkpoint, kNoPosition);
  EXPECT_EQ(status->lag_events, head.value);
  gate.Open();
  auto reached = engine_->WaitFor("stuck", head, kLongWait);
  ASSERT_TRUE(reached.ok());
  EXPECT_EQ(*reached, head);
}

INSTANTIATE_TEST_SUITE_P(Stores, CatchUpTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Memory" : "Sqlite";
                         });

}  // namespace
}  // namespace duet
