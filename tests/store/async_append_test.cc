// EventStore::AppendMultiAsync on the embedded store: every append is told
// exactly once, a queued one only once durable; a conflict decided against an
// append still in the group commit is told only once that append is durable,
// and, should it fail instead, the appender hears the failure, never a
// conflict with events that do not exist.
//
// The flusher runs commit callbacks itself, so a callback that blocks holds
// the next round back: that is how these tests keep an append pending for as
// long as they need, with no timing involved.
#include <gtest/gtest.h>

#include <cerrno>
#include <condition_variable>
#include <future>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "duet/embedded_store.h"
#include "tests/store/store_test_util.h"
#include "tests/support/syscall/syscall_faults.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

using testing::MakeEvents;
using testing::ScopedSyscallFault;
using testing::Syscall;

// A one-shot gate: Wait blocks until Open.
class Gate {
 public:
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// What one AppendMultiAsync was told, and when.
struct Told {
  std::promise<Result<MultiAppendResult>> promise;
  std::future<Result<MultiAppendResult>> future = promise.get_future();
  bool ready() { return future.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }
};

class AsyncAppendTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.durability.mode = Durability::Mode::kSync;
    auto opened = EmbeddedStore::Open(dir_.path(), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  // Appends to `stream` and records the answer in `told`.
  void AppendAsync(const std::string& stream, ExpectedVersion expected, Told* told,
                   std::function<void()> on_told = {}) {
    StreamAppend append{stream, expected, MakeEvents(1, stream)};
    store_->AppendMultiAsync(std::span(&append, 1),
                             [told, on_told](Result<MultiAppendResult> result) {
                               if (on_told) on_told();
                               told->promise.set_value(std::move(result));
                             });
  }

  // Appends a transaction whose callback holds the flusher until `release`
  // opens; returns once the flusher is held.
  void HoldFlusher(Told* told, Gate* release) {
    Gate held;
    AppendAsync("holder", ExpectedVersion::Any(), told, [&held, release] {
      held.Open();
      release->Wait();
    });
    held.Wait();
  }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
};

TEST_F(AsyncAppendTest, AQueuedAppendIsToldOnceDurable) {
  Told holder, appended;
  Gate release;
  HoldFlusher(&holder, &release);
  AppendAsync("a", ExpectedVersion::NoStream(), &appended);
  EXPECT_FALSE(appended.ready()) << "told before its round was even written";
  EXPECT_FALSE(store_->StreamHead("a").has_value());
  release.Open();
  Result<MultiAppendResult> result = appended.future.get();
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->streams.front().next_expected_version, StreamVersion(0));
  EXPECT_EQ(store_->StreamHead("a"), StreamVersion(0));
  EXPECT_TRUE(holder.future.get().ok());
}

TEST_F(AsyncAppendTest, BadInputIsToldBeforeTheCallReturns) {
  Told told;
  AppendAsync("not a stream name!", ExpectedVersion::Any(), &told);
  ASSERT_TRUE(told.ready());
  EXPECT_TRUE(told.future.get().status().IsInvalidArgument());
}

TEST_F(AsyncAppendTest, AConflictWithAPendingAppendWaitsUntilItIsDurable) {
  Told holder, first, second;
  Gate release;
  HoldFlusher(&holder, &release);
  AppendAsync("a", ExpectedVersion::NoStream(), &first);
  // Decided against `first`, which is queued but not durable yet.
  AppendAsync("a", ExpectedVersion::NoStream(), &second);
  EXPECT_FALSE(second.ready()) << "a conflict with an event that may never exist";
  release.Open();
  Result<MultiAppendResult> conflict = second.future.get();
  EXPECT_TRUE(conflict.status().IsWrongExpectedVersion()) << conflict.status();
  ASSERT_TRUE(first.ready()) << "the conflict was told before what caused it";
  EXPECT_TRUE(first.future.get().ok());
  EXPECT_EQ(store_->StreamHead("a"), StreamVersion(0));
}

TEST_F(AsyncAppendTest, AConflictWithAnAppendThatFailsIsToldTheFailure) {
  Told holder, first, second;
  Gate release;
  HoldFlusher(&holder, &release);
  ScopedSyscallFault fault(Syscall::kSync, 1, EIO, ".seg");
  AppendAsync("a", ExpectedVersion::NoStream(), &first);
  AppendAsync("a", ExpectedVersion::NoStream(), &second);
  EXPECT_FALSE(second.ready());
  release.Open();
  EXPECT_TRUE(first.future.get().status().IsIOError());
  Result<MultiAppendResult> told = second.future.get();
  EXPECT_TRUE(told.status().IsIOError()) << told.status();
  EXPECT_FALSE(store_->StreamHead("a").has_value());
}

TEST_F(AsyncAppendTest, ManyWritersAreEachToldOnce) {
  constexpr int kWriters = 8;
  constexpr int kAppends = 200;
  std::vector<std::thread> writers;
  std::vector<int> ok(kWriters, 0);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kAppends; ++i) {
        Told told;
        AppendAsync("w-" + std::to_string(w), ExpectedVersion::Any(), &told);
        Result<MultiAppendResult> result = told.future.get();  // a second telling would throw
        if (result.ok() && store_->HeadPosition() >= result->position) ++ok[w];
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(ok, std::vector<int>(kWriters, kAppends));
}

}  // namespace
}  // namespace duet
