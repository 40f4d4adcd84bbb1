// The subscription reads one batch ahead while the handler runs: a read
// error or a Stop must still leave exactly the events 1..position()
// delivered, in order.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "duet/embedded_store.h"
#include "tests/store/store_test_util.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

using testing::FastOptions;
using testing::MakeEvents;
using testing::TempDir;

// Forwards to a real store, but ReadAll from `fail_from` on fails.
// Thread-safe as the store it wraps.
class FailingReads final : public EventStore {
 public:
  FailingReads(EventStore* store, GlobalPosition fail_from)
      : store_(store), fail_from_(fail_from) {}
  Result<MultiAppendResult> AppendMulti(std::span<const StreamAppend> appends) override {
    return store_->AppendMulti(appends);
  }
  Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                size_t max_count,
                                                ReadDirection direction) override {
    return store_->ReadStream(stream, from, max_count, direction);
  }
  Result<std::vector<RecordedEvent>> ReadAll(GlobalPosition from, size_t max_count) override {
    if (from >= fail_from_) return Status::IOError("reading the log: injected");
    return store_->ReadAll(from, max_count);
  }
  std::optional<StreamVersion> StreamHead(std::string_view stream) override {
    return store_->StreamHead(stream);
  }
  GlobalPosition HeadPosition() override { return store_->HeadPosition(); }
  GlobalPosition WaitForHead(GlobalPosition position, std::chrono::milliseconds timeout) override {
    return store_->WaitForHead(position, timeout);
  }

 private:
  EventStore* const store_;
  const GlobalPosition fail_from_;
};

class SubscriptionReadAheadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = EmbeddedStore::Open(dir_.path(), FastOptions());
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(opened).value();
  }
  TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
};

TEST_F(SubscriptionReadAheadTest, ReadErrorEndsAfterTheBatchesBeforeIt) {
  ASSERT_TRUE(store_->Append("a-1", ExpectedVersion::Any(), MakeEvents(8)).ok());
  FailingReads log(store_.get(), GlobalPosition(5));
  std::vector<uint64_t> seen;  // the subscription thread's only, read after Wait
  SubscriptionOptions options;
  options.batch_size = 2;
  auto sub = log.SubscribeToAll(
      kNoPosition,
      [&](std::span<const RecordedEvent> batch) {
        for (const RecordedEvent& e : batch) seen.push_back(e.position.value);
        return Status::OK();
      },
      options);
  Status ended = sub->Wait();
  EXPECT_TRUE(ended.IsIOError()) << ended;
  EXPECT_EQ(sub->position(), GlobalPosition(4));
  EXPECT_EQ(seen, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_FALSE(sub->caught_up());
}

TEST_F(SubscriptionReadAheadTest, HandlerErrorWinsOverTheReadAhead) {
  ASSERT_TRUE(store_->Append("a-1", ExpectedVersion::Any(), MakeEvents(6)).ok());
  FailingReads log(store_.get(), GlobalPosition(3));  // the read ahead of batch 1 fails
  SubscriptionOptions options;
  options.batch_size = 2;
  auto sub = log.SubscribeToAll(
      kNoPosition,
      [](std::span<const RecordedEvent>) { return Status::InvalidArgument("event", "bad"); },
      options);
  Status ended = sub->Wait();
  EXPECT_TRUE(ended.IsInvalidArgument()) << ended;
  EXPECT_EQ(sub->position(), kNoPosition);
}

TEST_F(SubscriptionReadAheadTest, StopMidCatchUpLeavesAContiguousPrefix) {
  ASSERT_TRUE(store_->Append("a-1", ExpectedVersion::Any(), MakeEvents(3000)).ok());
  std::mutex mu;
  std::vector<uint64_t> seen;
  std::atomic<int> batches{0};
  SubscriptionOptions options;
  options.batch_size = 3;
  auto sub = store_->SubscribeToAll(
      kNoPosition,
      [&](std::span<const RecordedEvent> batch) {
        std::lock_guard lock(mu);
        for (const RecordedEvent& e : batch) seen.push_back(e.position.value);
        ++batches;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // let the read ahead finish
        return Status::OK();
      },
      options);
  for (int i = 0; i < 2000 && batches.load() < 5; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ASSERT_GE(batches.load(), 5);
  sub->Stop();
  ASSERT_TRUE(sub->Wait().ok());
  const uint64_t at = sub->position().value;
  std::lock_guard lock(mu);
  ASSERT_EQ(seen.size(), at);
  for (uint64_t i = 0; i < at; ++i) EXPECT_EQ(seen[i], i + 1);
  EXPECT_LT(at, 3000u);  // stopped during catch-up, not after it
}

}  // namespace
}  // namespace duet
