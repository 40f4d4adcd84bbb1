// Read-your-writes across threads: a query waiting for a position that
// another thread commits while it waits.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "duet/query_bus.h"
#include "tests/query/fake_projection_engine.h"

namespace duet {
namespace {

namespace json = boost::json;
using testing::FakeProjectionEngine;

// Reads "counter" and answers its value with the checkpoint of that read.
Result<QueryResult> ReadCounter(const QueryParams&, DocumentStore& store) {
  DUET_ASSIGN_OR_RETURN(DocumentRead read, store.Get("counter"));
  const int64_t value = read.doc ? read.doc->at("value").as_int64() : 0;
  return QueryResult{json::value(value), read.position};
}

class QueryWaitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        bus_.Register({"counter", FakeProjectionEngine::kModel, {}, On<DocumentStore>(ReadCounter)})
            .ok());
  }
  // Position p holds counter value p, as a projection would have built it.
  void CommitUpTo(uint64_t p) {
    engine_.Commit(GlobalPosition(p), {{"counter", json::object{{"value", int64_t(p)}}}});
  }
  Result<QueryAnswer> Ask(uint64_t min) {
    return bus_.Execute(QueryRequest{"counter", {}, GlobalPosition(min), QueryBus::kMaxWait});
  }

  FakeProjectionEngine engine_;
  QueryBus bus_{&engine_};
};

TEST_F(QueryWaitTest, PositionReachedWhileWaitingAnswersWithIt) {
  CommitUpTo(1);
  Result<QueryAnswer> answer = Status::Timeout("not run");
  std::thread reader([&] { answer = Ask(3); });
  engine_.AwaitWaiters(1);
  CommitUpTo(2);  // not enough: the reader keeps waiting
  CommitUpTo(3);
  reader.join();
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_GE(answer->position, GlobalPosition(3));
  EXPECT_EQ(answer->result.as_int64(), static_cast<int64_t>(answer->position.value));
}

TEST_F(QueryWaitTest, ManyReadersEachSeeTheirOwnWrite) {
  constexpr int kReaders = 8;
  std::vector<Result<QueryAnswer>> answers(kReaders, Status::Timeout("not run"));
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back([&, i] { answers[i] = Ask(i + 1); });
  }
  engine_.AwaitWaiters(kReaders);
  for (uint64_t p = 1; p <= kReaders; ++p) CommitUpTo(p);
  for (std::thread& t : readers) t.join();
  for (int i = 0; i < kReaders; ++i) {
    ASSERT_TRUE(answers[i].ok()) << i << ": " << answers[i].status();
    EXPECT_GE(answers[i]->position, GlobalPosition(i + 1));
    // The value and the position come from the same read.
    EXPECT_EQ(answers[i]->result.as_int64(), static_cast<int64_t>(answers[i]->position.value));
  }
}

TEST_F(QueryWaitTest, ReadsDuringCommitsReportTheCheckpointTheyReflect) {
  std::thread writer([&] {
    for (uint64_t p = 1; p <= 500; ++p) CommitUpTo(p);
  });
  uint64_t last = 0;
  for (int i = 0; i < 500; ++i) {
    auto answer = bus_.Execute(QueryRequest{"counter", {}, kNoPosition, {}});
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->result.as_int64(), static_cast<int64_t>(answer->position.value));
    EXPECT_GE(answer->position.value, last);  // checkpoints never move backwards
    last = answer->position.value;
  }
  writer.join();
}

// A Deferrer that only records: the test runs the deferred calls itself, so
// nothing waits on any thread and the order is the test's.
struct RecordingDeferrer {
  struct Call {
    std::chrono::microseconds delay;
    std::function<void()> fn;
  };
  std::shared_ptr<std::vector<Call>> calls = std::make_shared<std::vector<Call>>();
  Deferrer deferrer() {
    return [calls = calls](std::chrono::microseconds delay, std::function<void()> fn) {
      calls->push_back({delay, std::move(fn)});
    };
  }
  // Runs (and forgets) the calls deferred with `delay`.
  void Run(std::chrono::microseconds delay) {
    std::vector<Call> due;
    std::erase_if(*calls, [&](Call& call) {
      if (call.delay != delay) return false;
      due.push_back(std::move(call));
      return true;
    });
    for (Call& call : due) call.fn();
  }
};

class QueryAsyncTest : public QueryWaitTest {
 protected:
  // ExecuteAsync; the answers land in answers_.
  void AskAsync(uint64_t min, std::chrono::milliseconds timeout, json::object params = {}) {
    bus_.ExecuteAsync(QueryRequest{"counter", std::move(params), GlobalPosition(min), timeout},
                      deferrer_.deferrer(), [this](Result<QueryAnswer> answer) {
                        answers_.push_back(std::move(answer));
                      });
  }

  RecordingDeferrer deferrer_;
  std::vector<Result<QueryAnswer>> answers_;
};

TEST_F(QueryAsyncTest, WithoutAWaitItAnswersBeforeReturning) {
  CommitUpTo(2);
  AskAsync(0, std::chrono::milliseconds(0));
  AskAsync(2, std::chrono::milliseconds(1000));  // already reached
  ASSERT_EQ(answers_.size(), 2u);
  EXPECT_EQ(answers_[0]->result.as_int64(), 2);
  EXPECT_EQ(answers_[1]->result.as_int64(), 2);
  EXPECT_TRUE(deferrer_.calls->empty());
  EXPECT_EQ(bus_.waiting(), 0u);
}

TEST_F(QueryAsyncTest, AWaitHoldsNoThreadAndAnswersOnceWhenReached) {
  CommitUpTo(1);
  AskAsync(3, std::chrono::milliseconds(5000));
  EXPECT_TRUE(answers_.empty());
  EXPECT_EQ(bus_.waiting(), 1u);
  ASSERT_EQ(deferrer_.calls->size(), 1u);  // the timeout
  EXPECT_EQ(deferrer_.calls->front().delay, std::chrono::milliseconds(5000));
  CommitUpTo(2);
  EXPECT_EQ(deferrer_.calls->size(), 1u) << "woken before the position was reached";
  CommitUpTo(3);
  // The projection's thread only hands the answer over to the caller's.
  EXPECT_TRUE(answers_.empty());
  deferrer_.Run(std::chrono::microseconds(0));
  ASSERT_EQ(answers_.size(), 1u);
  ASSERT_TRUE(answers_[0].ok()) << answers_[0].status();
  EXPECT_EQ(answers_[0]->result.as_int64(), 3);
  deferrer_.Run(std::chrono::milliseconds(5000));  // the timeout comes too late: no second answer
  EXPECT_EQ(answers_.size(), 1u);
  EXPECT_EQ(bus_.waiting(), 0u);
}

TEST_F(QueryAsyncTest, TheTimeoutAnswersNotYetAndTheEngineForgetsTheWait) {
  CommitUpTo(1);
  AskAsync(5, std::chrono::milliseconds(100));
  deferrer_.Run(std::chrono::milliseconds(100));
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_TRUE(answers_[0].status().IsTimeout()) << answers_[0].status();
  CommitUpTo(5);
  EXPECT_TRUE(deferrer_.calls->empty()) << "the engine still held the finished wait";
  EXPECT_EQ(answers_.size(), 1u);
  EXPECT_EQ(bus_.waiting(), 0u);
}

TEST_F(QueryAsyncTest, BadParametersAreAnsweredAtOnceEvenWithAWait) {
  json::object unknown{{"nope", "1"}};
  AskAsync(5, std::chrono::milliseconds(1000), std::move(unknown));
  ASSERT_EQ(answers_.size(), 1u);
  EXPECT_TRUE(answers_[0].status().IsInvalidArgument()) << answers_[0].status();
  EXPECT_TRUE(deferrer_.calls->empty());
}

}  // namespace
}  // namespace duet
