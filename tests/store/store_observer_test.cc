// StoreOptions::observer: one commit round report per group-commit round, one
// OnAppend per AppendMulti call, with its outcome.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "duet/embedded_store.h"
#include "tests/store/store_test_util.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

using testing::MakeEvent;
using testing::MakeEvents;
using testing::TempDir;

// Records every call; thread-safe.
class RecordingObserver final : public StoreObserver {
 public:
  using Round = CommitRound;

  void OnCommitRound(const CommitRound& round) override {
    std::lock_guard lock(mu_);
    rounds_.push_back(round);
  }
  void OnAppend(std::chrono::nanoseconds latency, StatusCode outcome) override {
    std::lock_guard lock(mu_);
    EXPECT_GE(latency.count(), 0);
    ++appends_[outcome];
  }

  std::vector<Round> rounds() const {
    std::lock_guard lock(mu_);
    return rounds_;
  }
  uint64_t transactions() const {
    uint64_t sum = 0;
    for (const Round& round : rounds()) sum += round.transactions;
    return sum;
  }
  std::map<StatusCode, int> appends() const {
    std::lock_guard lock(mu_);
    return appends_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Round> rounds_;
  std::map<StatusCode, int> appends_;
};

class StoreObserverTest : public ::testing::Test {
 protected:
  void Open(Durability::Mode mode) {
    StoreOptions options;
    options.durability.mode = mode;
    options.observer = &observer_;
    auto opened = EmbeddedStore::Open(dir_.path(), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(opened).value();
  }

  TempDir dir_;
  RecordingObserver observer_;  // outlives store_ (declared before it)
  std::unique_ptr<EmbeddedStore> store_;
};

TEST_F(StoreObserverTest, ConcurrentAppendsAreCountedOnceInRoundsAndAppends) {
  Open(Durability::Mode::kNone);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = store_->Append("s-" + std::to_string(t), ExpectedVersion::Any(), MakeEvents(2));
        EXPECT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(observer_.transactions(), uint64_t{kThreads * kPerThread});
  EXPECT_EQ(observer_.appends(),
            (std::map<StatusCode, int>{{StatusCode::kOk, kThreads * kPerThread}}));
  for (const auto& round : observer_.rounds()) {
    EXPECT_GE(round.transactions, 1u);
    EXPECT_GE(round.events, round.transactions);
    EXPECT_GT(round.bytes, 0u);
    EXPECT_EQ(round.sync_time.count(), 0) << "durability none never syncs a round";
  }
}

TEST_F(StoreObserverTest, SyncModeRoundsReportTheirSync) {
  Open(Durability::Mode::kSync);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(store_->Append("s-1", ExpectedVersion::Any(), MakeEvents(1)).ok());
  }
  const auto rounds = observer_.rounds();
  ASSERT_EQ(rounds.size(), 5u);  // sequential appends: one round each
  for (const auto& round : rounds) {
    EXPECT_EQ(round.transactions, 1u);
    EXPECT_GT(round.sync_time.count(), 0);
  }
}

TEST_F(StoreObserverTest, RejectedAppendsReportTheirCodeAndWriteNoRound) {
  Open(Durability::Mode::kNone);
  ASSERT_TRUE(store_->Append("s-1", ExpectedVersion::NoStream(), MakeEvents(1)).ok());
  EXPECT_FALSE(store_->Append("s-1", ExpectedVersion::NoStream(), MakeEvents(1)).ok());
  EXPECT_FALSE(store_->Append("", ExpectedVersion::Any(), MakeEvents(1)).ok());
  EXPECT_EQ(observer_.transactions(), 1u);
  EXPECT_EQ(observer_.appends(), (std::map<StatusCode, int>{
                                     {StatusCode::kOk, 1},
                                     {StatusCode::kInvalidArgument, 1},
                                     {StatusCode::kWrongExpectedVersion, 1},
                                 }));
}

TEST_F(StoreObserverTest, IdempotentRetryIsAnAppendButNoTransaction) {
  Open(Durability::Mode::kNone);
  const std::vector<EventData> events{MakeEvent("Happened", "{}", EventId::Random())};
  ASSERT_TRUE(store_->Append("s-1", ExpectedVersion::NoStream(), events).ok());
  ASSERT_TRUE(store_->Append("s-1", ExpectedVersion::NoStream(), events).ok());
  EXPECT_EQ(observer_.transactions(), 1u);
  EXPECT_EQ(observer_.appends(), (std::map<StatusCode, int>{{StatusCode::kOk, 2}}));
}

}  // namespace
}  // namespace duet
