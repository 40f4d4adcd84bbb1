// The PostgreSQL store's own behaviour: schema, faults and batching. The
// contract it shares with the embedded store is in
// tests/store/conformance_test.cc.
#include "duet/postgres_store.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/support/postgres_cluster.h"

namespace duet {
namespace {

using testing::PostgresCluster;

EventData Event(std::string type, std::string data = "{}") {
  return EventData{EventId::Random(), std::move(type), std::move(data), "{}"};
}

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = PostgresCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(*cluster);
  }

  std::unique_ptr<PostgresStore> Open() {
    auto store = PostgresStore::Open(cluster_->url(), options_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::unique_ptr<PostgresCluster> cluster_;
  PostgresStoreOptions options_;
};

TEST_F(PostgresStoreTest, AppendsAndReadsBack) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  std::vector<EventData> events = {Event("Opened"), Event("Deposited", R"({"amount":5})")};
  auto appended = store->Append("account-1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(appended->next_expected_version, StreamVersion(1));
  EXPECT_EQ(appended->position, GlobalPosition(2));
  EXPECT_EQ(store->HeadPosition(), GlobalPosition(2));
  auto read = store->ReadStream("account-1", StreamVersion(0), 10, ReadDirection::kForward);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[1].data, R"({"amount":5})");
  EXPECT_EQ((*read)[1].id, events[1].id);
  EXPECT_EQ(store->StreamHead("account-1"), StreamVersion(1));
  std::vector<EventData> other = {Event("Opened")};
  auto conflict = store->Append("account-1", ExpectedVersion::NoStream(), other);
  EXPECT_TRUE(conflict.status().IsWrongExpectedVersion()) << conflict.status();
  EXPECT_EQ(conflict.status().actual_version(), 1u);
  auto retry = store->Append("account-1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->position, GlobalPosition(2));
}

}  // namespace
}  // namespace duet
