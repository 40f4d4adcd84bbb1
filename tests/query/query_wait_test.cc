// Read-your-writes across threads: a query waiting for a position that
// another thread commits while it waits.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace duet
