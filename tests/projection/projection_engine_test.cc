// ProjectionEngine over an embedded store with memory document stores:
// catch-up and live, WaitFor, failures (stop and park), Stop/Start, Rebuild,
// Verify and point-in-time builds.
#include "duet/projection_engine.h"

#include <gtest/gtest.h>

#include <thread>

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
using testing::StateOf;

constexpr milliseconds kLongWait{60'000};  // a bound against hangs only

class ProjectionEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = EmbeddedStore::Open(dir_ / "data", testing::FastStoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
    ProjectionEngineOptions options;
    options.batch_size = 7;  // several batches per test
    options.in_memory = true;
    auto engine = ProjectionEngine::Open(store_.get(), dir_ / "readstores", options);
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(engine).value();
  }
  void TearDown() override { engine_.reset(); }

  int64_t Count(const std::string& name, const std::string& stream) {
    auto store = engine_->ServingStore(name);
    if (!store.ok()) return -1;
    auto read = static_cast<DocumentStore&>(**store).Get(stream);
    if (!read.ok() || !read->doc) return -1;
    return read->doc->at("count").as_int64();
  }
  GlobalPosition CaughtUp(const std::string& name) {
    auto reached = engine_->WaitFor(name, store_->HeadPosition(), kLongWait);
    return reached.ok() ? *reached : kNoPosition;
  }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
  std::unique_ptr<ProjectionEngine> engine_;
  std::atomic<bool> poisoned_{true};
};

TEST_F(ProjectionEngineTest, AddRejectsBadInfoDuplicatesAndUnknownNames) {
  EXPECT_TRUE(
      engine_->Add(std::make_unique<CountingProjection>(Info("Bad Name"))).IsInvalidArgument());
  EXPECT_TRUE(engine_->Add(nullptr).IsInvalidArgument());
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_EQ(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_TRUE(engine_->StatusOf("nope").status().IsNotFound());
  EXPECT_TRUE(engine_->ServingStore("nope").status().IsNotFound());
  EXPECT_TRUE(engine_->WaitFor("nope", GlobalPosition(1), milliseconds(1)).status().IsNotFound());
  EXPECT_TRUE(engine_->Stop("nope").IsNotFound());
  EXPECT_TRUE(engine_->Start("nope").IsNotFound());
  EXPECT_TRUE(engine_->Rebuild("nope").IsNotFound());
  EXPECT_TRUE(engine_->RetryParked("nope").status().IsNotFound());
  EXPECT_TRUE(engine_->Verify("nope").status().IsNotFound());
  EXPECT_TRUE(engine_->BuildAt("nope", {GlobalPosition(1), {}}, {}).status().IsNotFound());
  EXPECT_EQ(engine_->Statuses().size(), 1u);
}

TEST_F(ProjectionEngineTest, CatchesUpThenAppliesLiveEvents) {
  for (int s = 0; s < 5; ++s) AppendEvents(*store_, "s" + std::to_string(s), 20);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(100));
  ASSERT_TRUE(Eventually([&] { return StateOf(*engine_, "counts") == ProjectionState::kLive; }));
  for (int s = 0; s < 5; ++s) EXPECT_EQ(Count("counts", "s" + std::to_string(s)), 20);
  const GlobalPosition head = AppendEvents(*store_, "s0", 3);
  EXPECT_EQ(CaughtUp("counts"), head);
  EXPECT_EQ(Count("counts", "s0"), 23);
  auto status = engine_->StatusOf("counts");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->name, "counts");
  EXPECT_EQ(status->version, 1u);
  EXPECT_EQ(status->store, ReadStoreKind::kDocument);
  EXPECT_EQ(status->checkpoint, head);
  EXPECT_EQ(status->head, head);
  EXPECT_EQ(status->lag_events, 0u);
  EXPECT_EQ(status->lag_seconds, 0);
  EXPECT_EQ(status->parked, 0u);
  EXPECT_FALSE(status->failed_at);
  EXPECT_FALSE(status->rebuild);
}

TEST_F(ProjectionEngineTest, OnlyTheDeclaredEventTypesReachApply) {
  AppendEvents(*store_, "a", 4, "Counted");
  AppendEvents(*store_, "a", 3, "Ignored");
  ASSERT_TRUE(engine_
                  ->Add(std::make_unique<CountingProjection>(
                      Info("only", 1, FailurePolicy::kStop, {"Counted"})))
                  .ok());
  EXPECT_EQ(CaughtUp("only"), GlobalPosition(7));  // ignored events advance the checkpoint
  EXPECT_EQ(Count("only", "a"), 4);
}

TEST_F(ProjectionEngineTest, WaitForTimesOutWithTheCheckpointReached) {
  AppendEvents(*store_, "s", 5);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  auto reached = engine_->WaitFor("counts", GlobalPosition(50), milliseconds(20));
  ASSERT_TRUE(reached.ok()) << reached.status();
  EXPECT_LE(*reached, GlobalPosition(5));
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(5));
}

TEST_F(ProjectionEngineTest, WaitForWakesWhenALaterAppendIsApplied) {
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  std::thread writer([&] {
    std::this_thread::sleep_for(milliseconds(20));
    AppendEvents(*store_, "s", 3);
  });
  auto reached = engine_->WaitFor("counts", GlobalPosition(3), kLongWait);
  writer.join();
  ASSERT_TRUE(reached.ok());
  EXPECT_EQ(*reached, GlobalPosition(3));
}

TEST_F(ProjectionEngineTest, StopPolicyFailsAtThePoisonAndRebuildAfterTheFixClearsIt) {
  AppendEvents(*store_, "s", 10);
  AppendEvents(*store_, "s", 1, "Poison");
  AppendEvents(*store_, "s", 5);
  ASSERT_TRUE(
      engine_->Add(std::make_unique<testing::PoisonProjection>(Info("p"), &poisoned_)).ok());
  ASSERT_TRUE(Eventually([&] { return StateOf(*engine_, "p") == ProjectionState::kFailed; }));
  auto status = engine_->StatusOf("p");
  ASSERT_TRUE(status.ok());
  ASSERT_TRUE(status->failed_at);
  EXPECT_EQ(*status->failed_at, GlobalPosition(11));
  EXPECT_NE(status->error.find("poison"), std::string::npos) << status->error;
  EXPECT_EQ(status->checkpoint, GlobalPosition(10));
  EXPECT_EQ(status->lag_events, 6u);
  EXPECT_GT(status->lag_seconds, 0);
  EXPECT_EQ(Count("p", "s"), 10);  // nothing at or after the poison applied
  AppendEvents(*store_, "s", 2);
  EXPECT_EQ(engine_->WaitFor("p", GlobalPosition(18), milliseconds(20)).value(),
            GlobalPosition(10));

  poisoned_ = false;  // the fix
  ASSERT_TRUE(engine_->Rebuild("p").ok());
  ASSERT_TRUE(Eventually([&] {
    auto s = engine_->StatusOf("p");
    return s.ok() && s->state == ProjectionState::kLive && s->checkpoint == GlobalPosition(18);
  }));
  status = engine_->StatusOf("p");
  EXPECT_FALSE(status->failed_at);
  EXPECT_TRUE(status->error.empty());
  EXPECT_EQ(Count("p", "s"), 18);
}

TEST_F(ProjectionEngineTest, StartRetriesAFailedEvent) {
  AppendEvents(*store_, "s", 3);
  AppendEvents(*store_, "s", 1, "Throw");
  ASSERT_TRUE(
      engine_->Add(std::make_unique<testing::PoisonProjection>(Info("p"), &poisoned_)).ok());
  ASSERT_TRUE(Eventually([&] { return StateOf(*engine_, "p") == ProjectionState::kFailed; }));
  EXPECT_NE(engine_->StatusOf("p")->error.find("boom"), std::string::npos);
  ASSERT_TRUE(engine_->Start("p").ok());  // still poisoned: fails again at the same place
  ASSERT_TRUE(Eventually([&] { return StateOf(*engine_, "p") == ProjectionState::kFailed; }));
  EXPECT_EQ(*engine_->StatusOf("p")->failed_at, GlobalPosition(4));
  poisoned_ = false;
  ASSERT_TRUE(engine_->Start("p").ok());
  EXPECT_EQ(CaughtUp("p"), GlobalPosition(4));
  EXPECT_EQ(Count("p", "s"), 4);
}

TEST_F(ProjectionEngineTest, ParkPolicyParksAndRetryParkedUnparks) {
  AppendEvents(*store_, "s", 3);
  AppendEvents(*store_, "bad", 1, "Poison");
  AppendEvents(*store_, "s", 3);
  ASSERT_TRUE(engine_
                  ->Add(std::make_unique<testing::PoisonProjection>(
                      Info("p", 1, FailurePolicy::kPark), &poisoned_))
                  .ok());
  EXPECT_EQ(CaughtUp("p"), GlobalPosition(7));
  EXPECT_EQ(Count("p", "s"), 6);
  EXPECT_EQ(Count("p", "bad"), -1);
  auto parked = (*engine_->ServingStore("p"))->Parked();
  ASSERT_TRUE(parked.ok());
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ((*parked)[0].position, GlobalPosition(4));
  EXPECT_EQ((*parked)[0].stream, "bad");
  EXPECT_EQ(engine_->StatusOf("p")->parked, 1u);
  EXPECT_TRUE(Eventually([&] { return StateOf(*engine_, "p") == ProjectionState::kLive; }));

  auto remaining = engine_->RetryParked("p");  // still failing
  ASSERT_TRUE(remaining.ok()) << remaining.status();
  EXPECT_EQ(*remaining, 1u);
  EXPECT_EQ(Count("p", "bad"), -1);
  poisoned_ = false;
  remaining = engine_->RetryParked("p");
  ASSERT_TRUE(remaining.ok()) << remaining.status();
  EXPECT_EQ(*remaining, 0u);
  EXPECT_EQ(Count("p", "bad"), 1);
  EXPECT_EQ(engine_->StatusOf("p")->parked, 0u);
  // The runner was resumed.
  const GlobalPosition head = AppendEvents(*store_, "s", 1);
  EXPECT_EQ(CaughtUp("p"), head);
  EXPECT_EQ(Count("p", "s"), 7);
}

TEST_F(ProjectionEngineTest, StopHoldsTheCheckpointAndStartResumes) {
  AppendEvents(*store_, "s", 5);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(5));
  ASSERT_TRUE(engine_->Stop("counts").ok());
  EXPECT_EQ(StateOf(*engine_, "counts"), ProjectionState::kStopped);
  AppendEvents(*store_, "s", 4);
  EXPECT_EQ(engine_->WaitFor("counts", GlobalPosition(9), milliseconds(20)).value(),
            GlobalPosition(5));
  auto status = engine_->StatusOf("counts");
  EXPECT_EQ(status->lag_events, 4u);
  EXPECT_GT(status->lag_seconds, 0);
  EXPECT_EQ(Count("counts", "s"), 5);  // still served while stopped
  ASSERT_TRUE(engine_->Start("counts").ok());
  ASSERT_TRUE(engine_->Start("counts").ok());  // already running: no-op
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(9));
  EXPECT_EQ(Count("counts", "s"), 9);
}

TEST_F(ProjectionEngineTest, RebuildServesTheOldStoreUntilTheNewOneCatchesUp) {
  testing::Gate gate;
  for (int s = 0; s < 4; ++s) AppendEvents(*store_, "s" + std::to_string(s), 10);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"), &gate)).ok());
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(40));
  const std::shared_ptr<ReadStore> old_store = engine_->ServingStore("counts").value();
  gate.Arm();
  ASSERT_TRUE(engine_->Rebuild("counts").ok());
  ASSERT_TRUE(Eventually([&] { return gate.Reached(); }));
  EXPECT_EQ(engine_->Rebuild("counts").code(), StatusCode::kRebuildRunning);  // one runs
  auto status = engine_->StatusOf("counts");
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, ProjectionState::kRebuilding);
  ASSERT_TRUE(status->rebuild);
  EXPECT_EQ(status->rebuild->target, GlobalPosition(40));
  EXPECT_EQ(status->rebuild->position, kNoPosition);
  // The old generation serves, and its runner keeps applying new events.
  EXPECT_EQ(engine_->ServingStore("counts").value(), old_store);
  const GlobalPosition head = AppendEvents(*store_, "s0", 2);
  EXPECT_EQ(CaughtUp("counts"), head);
  EXPECT_EQ(Count("counts", "s0"), 12);
  gate.Open();
  ASSERT_TRUE(Eventually([&] { return engine_->ServingStore("counts").value() != old_store; }));
  EXPECT_EQ(CaughtUp("counts"), head);
  EXPECT_EQ(Entries(*engine_->ServingStore("counts").value()), Entries(*old_store));
  status = engine_->StatusOf("counts");
  EXPECT_EQ(status->state, ProjectionState::kLive);
  EXPECT_FALSE(status->rebuild);
  // The new runner is the live one now.
  const GlobalPosition later = AppendEvents(*store_, "s1", 1);
  EXPECT_EQ(CaughtUp("counts"), later);
  EXPECT_EQ(Count("counts", "s1"), 11);
  EXPECT_EQ(old_store->checkpoint(), head);  // the old one stopped at the switch
}

// Concurrent Rebuild calls: the check for a running rebuild and the start
// are one step, so in every round exactly one caller starts it. The gate
// holds the rebuild at its first event until every caller has been answered.
TEST_F(ProjectionEngineTest, ConcurrentRebuildsStartExactlyOne) {
  constexpr int kCallers = 8;
  testing::Gate gate;
  AppendEvents(*store_, "s", 5);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"), &gate)).ok());
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(5));
  for (int round = 0; round < 4; ++round) {
    const std::shared_ptr<ReadStore> before = engine_->ServingStore("counts").value();
    gate.Arm();
    std::atomic<bool> go{false};
    std::vector<Status> answers(kCallers);
    std::vector<std::thread> callers;
    for (int i = 0; i < kCallers; ++i) {
      callers.emplace_back([&, i] {
        while (!go.load()) std::this_thread::yield();
        answers[i] = engine_->Rebuild("counts");
      });
    }
    go = true;
    for (std::thread& caller : callers) caller.join();
    int started = 0, refused = 0;
    for (const Status& answer : answers) {
      if (answer.ok()) ++started;
      if (answer.code() == StatusCode::kRebuildRunning) ++refused;
    }
    EXPECT_EQ(started, 1) << "round " << round;
    EXPECT_EQ(refused, kCallers - 1) << "round " << round;
    gate.Open();
    ASSERT_TRUE(Eventually([&] { return engine_->ServingStore("counts").value() != before; }));
    ASSERT_TRUE(Eventually([&] { return !engine_->StatusOf("counts")->rebuild; }));
    EXPECT_EQ(Count("counts", "s"), 5);
  }
}

TEST_F(ProjectionEngineTest, VerifyMatchesForAPureProjection) {
  for (int s = 0; s < 6; ++s) AppendEvents(*store_, "s" + std::to_string(s), 9);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(54));
  auto report = engine_->Verify("counts");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->matches());
  EXPECT_EQ(report->position, GlobalPosition(54));
  EXPECT_EQ(report->entries, 6u);
  EXPECT_EQ(report->live_digest.size(), 16u);
  EXPECT_TRUE(report->differing_keys.empty());
  // The live runner runs again afterwards.
  const GlobalPosition head = AppendEvents(*store_, "s0", 1);
  EXPECT_EQ(CaughtUp("counts"), head);
}

TEST_F(ProjectionEngineTest, VerifyReportsTheKeysAnImpureProjectionChanged) {
  for (int s = 0; s < 3; ++s) AppendEvents(*store_, "s" + std::to_string(s), 2);
  ASSERT_TRUE(engine_->Add(std::make_unique<testing::ImpureProjection>(Info("impure"))).ok());
  EXPECT_EQ(CaughtUp("impure"), GlobalPosition(6));
  auto report = engine_->Verify("impure");
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->matches());
  EXPECT_NE(report->live_digest, report->rebuilt_digest);
  EXPECT_EQ(report->differing_keys, (std::vector<std::string>{"s0", "s1", "s2"}));
}

TEST_F(ProjectionEngineTest, BuildAtAPosition) {
  AppendEvents(*store_, "a", 10);
  AppendEvents(*store_, "b", 10);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  auto built = engine_->BuildAt("counts", {GlobalPosition(13), {}}, {});
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ((*built)->checkpoint(), GlobalPosition(13));
  auto& docs = static_cast<DocumentStore&>(**built);
  EXPECT_EQ(docs.Get("a")->doc->at("count").as_int64(), 10);
  EXPECT_EQ(docs.Get("b")->doc->at("count").as_int64(), 3);
  EXPECT_EQ(CaughtUp("counts"), GlobalPosition(20));  // the serving store is untouched
  EXPECT_EQ(Count("counts", "b"), 10);
  auto whole = engine_->BuildAt("counts", {GlobalPosition(20), {}}, {});
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(Entries(**whole), Entries(*engine_->ServingStore("counts").value()));
}

TEST_F(ProjectionEngineTest, BuildAtRejectsBadPoints) {
  AppendEvents(*store_, "a", 3);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  EXPECT_EQ(engine_->BuildAt("counts", {}, {}).status().subject(), "at");
  EXPECT_EQ(engine_->BuildAt("counts", {GlobalPosition(1), 5}, {}).status().subject(), "at");
  EXPECT_EQ(engine_->BuildAt("counts", {GlobalPosition(4), {}}, {}).status().subject(), "position");
}

TEST_F(ProjectionEngineTest, BuildAtATimestampStopsAtTheLastEventRecordedByThen) {
  for (int group = 0; group < 3; ++group) {
    AppendEvents(*store_, "g", 4);
    std::this_thread::sleep_for(milliseconds(3));  // later groups get later timestamps
  }
  auto events = store_->ReadAll(GlobalPosition(1), 100);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 12u);
  ASSERT_LT((*events)[7].timestamp_us, (*events)[8].timestamp_us);
  ASSERT_TRUE(engine_->Add(std::make_unique<CountingProjection>(Info("counts"))).ok());
  auto built = engine_->BuildAt("counts", {{}, (*events)[7].timestamp_us}, {});
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ((*built)->checkpoint(), GlobalPosition(8));
  EXPECT_EQ(static_cast<DocumentStore&>(**built).Get("g")->doc->at("count").as_int64(), 8);
  auto before = engine_->BuildAt("counts", {{}, (*events)[0].timestamp_us - 1}, {});
  ASSERT_TRUE(before.ok());
  EXPECT_EQ((*before)->checkpoint(), kNoPosition);
  EXPECT_TRUE(Entries(**before).empty());
}

}  // namespace
}  // namespace duet
