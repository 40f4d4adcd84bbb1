// The EventStore contract under concurrent appenders, the same test bodies on
// every backend (tests/store/conformance_backend.h).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "tests/store/conformance_backend.h"
#include "tests/store/store_test_util.h"

namespace duet {
namespace {

class ConcurrencyConformanceTest : public testing::StoreConformanceTest {};

// Each thread loads the stream's head and appends one event there; a
// conflict makes it read again. Every version is won by exactly one append:
// the acknowledged appends are exactly the stream, one per version.
TEST_P(ConcurrencyConformanceTest, ConcurrentAppendersOnOneStreamWinEachVersionExactlyOnce) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::mutex mu;
  std::map<uint64_t, EventId> won;  // version -> the id acknowledged there
  std::atomic<int> conflicts{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int n = 0; n < kPerThread;) {
        const std::optional<StreamVersion> head = store_->StreamHead("race-1");
        EventData event = testing::MakeEvent("Raced", "{}", EventId::Random());
        auto appended =
            store_->Append("race-1", ExpectedVersion::FromCurrent(head), std::span(&event, 1));
        if (appended.status().IsWrongExpectedVersion()) {
          ++conflicts;
          continue;
        }
        if (!appended.ok()) {
          ++failures;
          return;
        }
        std::lock_guard lock(mu);
        const bool fresh = won.emplace(appended->next_expected_version.value, event.id).second;
        EXPECT_TRUE(fresh) << "version " << appended->next_expected_version.value << " won twice";
        ++n;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  auto read = store_->ReadStream("race-1", StreamVersion(0), 10'000, ReadDirection::kForward);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), static_cast<size_t>(kThreads * kPerThread));
  ASSERT_EQ(won.size(), read->size());
  for (const RecordedEvent& event : *read) {
    EXPECT_EQ(won[event.version.value], event.id) << "version " << event.version.value;
  }
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(kThreads * kPerThread));
}

// Many threads appending NoStream to the same new streams: exactly one
// append creates each stream; every other is told the conflict.
TEST_P(ConcurrencyConformanceTest, ConcurrentNoStreamAppendsCreateEachStreamOnce) {
  constexpr int kThreads = 6;
  constexpr int kStreams = 40;
  std::atomic<int> created{0}, conflicts{0}, failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int s = 0; s < kStreams; ++s) {
        std::vector<EventData> events = testing::MakeEvents(2);
        auto appended =
            store_->Append("new-" + std::to_string(s), ExpectedVersion::NoStream(), events);
        if (appended.ok()) {
          ++created;
        } else if (appended.status().IsWrongExpectedVersion() &&
                   appended.status().actual_version() == 1u) {
          ++conflicts;
        } else {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(created.load(), kStreams);
  EXPECT_EQ(conflicts.load(), kStreams * (kThreads - 1));
  auto all = store_->ReadAll(GlobalPosition(1), 10'000);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), static_cast<size_t>(2 * kStreams));
}

DUET_INSTANTIATE_CONFORMANCE(ConcurrencyConformanceTest);

}  // namespace
}  // namespace duet
