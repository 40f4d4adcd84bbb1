#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "duet/embedded_store.h"
#include "tests/store/store_test_util.h"
#include "tests/support/subscription_collector.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

using testing::FastOptions;
using testing::MakeEvents;
using testing::TempDir;

using testing::Collector;

// Waits (bounded) until the subscription has delivered `position`.
bool WaitUntilDelivered(Subscription& sub, GlobalPosition position) {
  for (int i = 0; i < 2000 && sub.position() < position; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return sub.position() >= position;
}

class SubscriptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = EmbeddedStore::Open(dir_.path(), FastOptions());
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(opened).value();
  }
  TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
};

TEST_F(SubscriptionTest, CatchesUpThenGoesLive) {
  ASSERT_TRUE(store_->Append("a-1", ExpectedVersion::Any(), MakeEvents(5)).ok());
  Collector collector;
  std::atomic<uint64_t> caught_up_at{UINT64_MAX};
  SubscriptionOptions options;
  options.batch_size = 2;
  options.on_caught_up = [&](GlobalPosition p) { caught_up_at = p.value; };
  auto sub = store_->SubscribeToAll(kNoPosition, collector.Handler(), options);
  ASSERT_TRUE(WaitUntilDelivered(*sub, GlobalPosition(5)));
  for (int i = 0; i < 200 && caught_up_at == UINT64_MAX; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(caught_up_at.load(), 5u);
  ASSERT_TRUE(store_->Append("b-1", ExpectedVersion::Any(), MakeEvents(3)).ok());
  ASSERT_TRUE(WaitUntilDelivered(*sub, GlobalPosition(8)));
  sub->Stop();
  EXPECT_TRUE(sub->Wait().ok());
  ASSERT_EQ(collector.size(), 8u);
  for (uint64_t i = 0; i < 8; ++i) EXPECT_EQ(collector.events[i].position, GlobalPosition(i + 1));
}

TEST_F(SubscriptionTest, StartsAfterTheGivenPosition) {
  ASSERT_TRUE(store_->Append("a-1", ExpectedVersion::Any(), MakeEvents(5)).ok());
  Collector collector;
  auto sub = store_->SubscribeToAll(GlobalPosition(3), collector.Handler());
  ASSERT_TRUE(WaitUntilDelivered(*sub, GlobalPosition(5)));
  sub->Stop();
  ASSERT_EQ(collector.size(), 2u);
  EXPECT_EQ(collector.events[0].position, GlobalPosition(4));
}

TEST_F(SubscriptionTest, HandlerErrorStopsSubscriptionWithThatError) {
  ASSERT_TRUE(store_->Append("a-1", ExpectedVersion::Any(), MakeEvents(3)).ok());
  auto sub = store_->SubscribeToAll(kNoPosition, [](std::span<const RecordedEvent>) {
    return Status::InvalidArgument("event", "cannot decode");
  });
  Status ended = sub->Wait();
  EXPECT_TRUE(ended.IsInvalidArgument());
  EXPECT_EQ(sub->position(), kNoPosition);
}

// The switch from catch-up to live while writers append: every event exactly
// once, in order.
TEST_F(SubscriptionTest, NoGapNoDuplicateUnderConcurrentAppends) {
  constexpr int kWriters = 4;
  constexpr int kAppendsPerWriter = 300;
  ASSERT_TRUE(store_->Append("pre-1", ExpectedVersion::Any(), MakeEvents(100)).ok());
  Collector collector;
  SubscriptionOptions options;
  options.batch_size = 7;
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kAppendsPerWriter; ++i) {
        auto r =
            store_->Append("w-" + std::to_string(w), ExpectedVersion::Any(), MakeEvents(1 + i % 3));
        ASSERT_TRUE(r.ok()) << r.status();
      }
    });
  }
  auto sub = store_->SubscribeToAll(kNoPosition, collector.Handler(), options);
  for (auto& t : writers) t.join();
  const GlobalPosition head = store_->HeadPosition();
  ASSERT_TRUE(WaitUntilDelivered(*sub, head));
  sub->Stop();
  ASSERT_TRUE(sub->Wait().ok());
  ASSERT_EQ(collector.size(), head.value);
  for (uint64_t i = 0; i < head.value; ++i) {
    ASSERT_EQ(collector.events[i].position, GlobalPosition(i + 1));
  }
  auto all = store_->ReadAll(GlobalPosition(1), head.value);
  ASSERT_TRUE(all.ok());
  for (uint64_t i = 0; i < head.value; ++i) {
    EXPECT_EQ(collector.events[i].id, (*all)[i].id);
  }
}

TEST_F(SubscriptionTest, ConcurrentReadersSeeOnlyWholeCommits) {
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 500; ++i) {
      std::vector<StreamAppend> appends = {{"x-1", ExpectedVersion::Any(), MakeEvents(2)},
                                           {"y-1", ExpectedVersion::Any(), MakeEvents(1)}};
      ASSERT_TRUE(store_->AppendMulti(appends).ok());
    }
    done = true;
  });
  while (!done) {
    // Every commit writes 3 events, so a reader must always see a multiple of 3.
    const GlobalPosition head = store_->HeadPosition();
    EXPECT_EQ(head.value % 3, 0u);
    auto x = store_->StreamHead("x-1");
    auto y = store_->StreamHead("y-1");
    (void)x;
    (void)y;
  }
  writer.join();
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(1500));
}

}  // namespace
}  // namespace duet

namespace duet {
namespace {

// With live_linger, a burst of small appends is delivered in fewer, larger
// batches, every event once and in order, and a lone event still arrives.
TEST_F(SubscriptionTest, LingeringLiveBatchesLoseAndRepeatNothing) {
  std::mutex mu;
  std::vector<uint64_t> positions;
  size_t largest = 0;
  SubscriptionOptions options;
  options.batch_size = 64;
  options.live_linger = std::chrono::milliseconds(20);
  auto sub = store_->SubscribeToAll(
      kNoPosition,
      [&](std::span<const RecordedEvent> batch) {
        std::lock_guard lock(mu);
        largest = std::max(largest, batch.size());
        for (const RecordedEvent& e : batch) positions.push_back(e.position.value);
        return Status::OK();
      },
      options);
  ASSERT_TRUE(store_->Append("lone", ExpectedVersion::Any(), MakeEvents(1)).ok());
  ASSERT_TRUE(WaitUntilDelivered(*sub, GlobalPosition(1))) << "a lone event was held back";
  constexpr uint64_t kAppends = 2000;
  for (uint64_t i = 0; i < kAppends; ++i) {
    ASSERT_TRUE(
        store_->Append("s-" + std::to_string(i % 7), ExpectedVersion::Any(), MakeEvents(1)).ok());
  }
  ASSERT_TRUE(WaitUntilDelivered(*sub, GlobalPosition(kAppends + 1)));
  sub->Stop();
  EXPECT_TRUE(sub->Wait().ok());
  std::lock_guard lock(mu);
  ASSERT_EQ(positions.size(), kAppends + 1);
  for (uint64_t i = 0; i < positions.size(); ++i) ASSERT_EQ(positions[i], i + 1);
  EXPECT_LE(largest, 64u);
}

}  // namespace
}  // namespace duet
