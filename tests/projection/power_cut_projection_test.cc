// Projections across power cuts of the event store (the in-process part of
// the power-loss tests; tests/store/power_cut_test.cc has the store's part).
//
// The event store runs on the power-cut double; the read store is SQLite on
// the real disk, so it keeps everything it committed: a read model at least as
// durable as anything a real power cut leaves. In sync mode a projection
// only ever sees events the store made durable; in none mode it sees them once
// written, so after a cut its read model may be ahead of the log, and the
// engine must replace it. Either way, after every cut its checkpoint must be at
// or below the store's durable head, and once caught up its read model must
// equal a rebuild. (What SQLite itself keeps across a real power loss is for
// the real-binary test.)
//
// DUET_POWER_CUT_SEED=N replays a run; the seed is in every failure message.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "duet/embedded_store.h"
#include "duet/projection_engine.h"
#include "tests/projection/test_projections.h"
#include "tests/support/power_cut_file_system.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

using testing::PowerCutFileSystem;

constexpr int kCuts = 12;
constexpr std::chrono::seconds kHangGuard{120};  // not a timing assertion: a hang's bound

uint64_t Seed() {
  const char* text = std::getenv("DUET_POWER_CUT_SEED");
  if (text != nullptr && *text != '\0') return std::strtoull(text, nullptr, 10);
  return std::random_device{}();
}

StoreOptions OptionsOn(PowerCutFileSystem* fs, Durability::Mode durability) {
  StoreOptions options;
  options.durability.mode = durability;
  options.segment_size_bytes = 4 << 10;
  options.index_checkpoint_interval = 8;
  options.file_system = fs;
  return options;
}

// After every cut the projection's checkpoint is at or below the store's
// durable head and, caught up, its read model equals a rebuild.
void CutPowerUnderAProjection(Durability::Mode durability) {
  const uint64_t seed = Seed();
  std::printf("power cut seed %llu (replay: DUET_POWER_CUT_SEED=%llu)\n",
              static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
  std::mt19937_64 random(seed);
  testing::TempDir events_dir;  // the double's root (and the LOCK's real folder)
  testing::TempDir readstores_dir;
  PowerCutFileSystem fs(events_dir.path(), random());
  for (int cut = 0; cut < kCuts; ++cut) {
    const std::string where = "seed " + std::to_string(seed) +
                              " (replay: DUET_POWER_CUT_SEED=" + std::to_string(seed) + "), cut " +
                              std::to_string(cut);
    fs.PowerOn();
    auto store = EmbeddedStore::Open(events_dir.path(), OptionsOn(&fs, durability));
    ASSERT_TRUE(store.ok()) << where << ": " << store.status().ToString();
    const GlobalPosition durable_head = (*store)->HeadPosition();
    auto engine = ProjectionEngine::Open(store->get(), readstores_dir.path());
    ASSERT_TRUE(engine.ok()) << where << ": " << engine.status().ToString();
    ASSERT_TRUE((*engine)
                    ->Add(std::make_unique<testing::CountingProjection>(testing::Info("counts")))
                    .ok());
    // Checkpoints only grow, so one above the head now was there at open:
    // the engine kept a read model the log no longer backs.
    auto status = (*engine)->StatusOf("counts");
    ASSERT_TRUE(status.ok());
    ASSERT_LE(status->checkpoint.value, durable_head.value)
        << where << ": the read model holds events the store lost";
    auto reached = (*engine)->WaitFor("counts", durable_head, kHangGuard);
    ASSERT_TRUE(reached.ok()) << where;
    ASSERT_EQ(reached->value, durable_head.value) << where;
    auto verified = (*engine)->Verify("counts");
    ASSERT_TRUE(verified.ok()) << where << ": " << verified.status().ToString();
    EXPECT_TRUE(verified->matches())
        << where << ": " << verified->differing_keys.size() << " keys differ from a rebuild";

    fs.CutBeforeMutation(1 + random() % 200, {.torn_tails = random() % 2 == 0});
    std::thread writer([&fs, store = store->get(), writer_seed = random()] {
      std::mt19937_64 writer_random(writer_seed);
      while (!fs.powered_off() && store->Health().ok()) {
        const std::vector<EventData> events{EventData{EventId::Random(), "Happened", "{}", "{}"}};
        (void)store->Append("s-" + std::to_string(writer_random() % 5), ExpectedVersion::Any(),
                            events);
      }
    });
    writer.join();
    ASSERT_TRUE(fs.powered_off()) << where << ": " << (*store)->Health().ToString();
    engine->reset();  // the read side goes down with the process
    store->reset();
  }
}

TEST(PowerCutProjectionTest, CheckpointStaysAtOrBelowTheDurableHeadAndCatchesUpToARebuild) {
  CutPowerUnderAProjection(Durability::Mode::kSync);
}

// Durability none applies events before they are durable, so the read model
// (on the real disk here) is often ahead of the log after a cut; the engine
// must drop it and replay, never serve or extend a history the log lost.
TEST(PowerCutProjectionTest, AReadModelAheadOfTheLogAfterACutIsReplayedFromTheLog) {
  CutPowerUnderAProjection(Durability::Mode::kNone);
}

}  // namespace
}  // namespace duet
