// The PostgreSQL store's own behaviour: schema, faults and batching. The
// contract it shares with the embedded store is in
// tests/store/conformance_test.cc.
#include "duet/postgres_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "tests/pgstore/tcp_proxy.h"
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

  std::unique_ptr<PostgresStore> Open() { return OpenAt(cluster_->url()); }

  std::unique_ptr<PostgresStore> OpenAt(const std::string& url) {
    auto store = PostgresStore::Open(url, options_);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // psql's answer to `sql` on the default database, trimmed.
  std::string Query(const std::string& sql) {
    std::string out;
    Status status = cluster_->Psql(sql, &out);
    EXPECT_TRUE(status.ok()) << status;
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
  }

  // How many rows of duet_events hold `id`.
  int Copies(const EventId& id) {
    return std::stoi(
        Query("SELECT count(*) FROM duet_events WHERE event_id = '" + id.ToString() + "'"));
  }

  // Waits (up to a minute) until Health() has the code `code`.
  static bool HealthBecomes(PostgresStore& store, StatusCode code) {
    for (int i = 0; i < 6000; ++i) {
      if (store.Health().code() == code) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
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

// Two nodes on one database: a commit on one moves the other's head (its
// LISTEN connection), so WaitForHead wakes without polling the table.
TEST_F(PostgresStoreTest, AnotherNodesCommitWakesWaitForHead) {
  auto a = Open();
  auto b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  GlobalPosition seen;
  std::thread waiter([&] { seen = b->WaitForHead(GlobalPosition(2), std::chrono::minutes(1)); });
  std::vector<EventData> events = {Event("Opened"), Event("Deposited")};
  ASSERT_TRUE(a->Append("account-1", ExpectedVersion::NoStream(), events).ok());
  waiter.join();
  EXPECT_EQ(seen, GlobalPosition(2));
  EXPECT_EQ(b->HeadPosition(), GlobalPosition(2));
  // And b's appends continue after a's.
  std::vector<EventData> more = {Event("Withdrawn")};
  auto appended = b->Append("account-1", ExpectedVersion::Exact(StreamVersion(1)), more);
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(appended->position, GlobalPosition(3));
}

// ---- faults ----

// One append's events and how it was answered.
struct Attempt {
  std::vector<EventId> ids;
  Status answer;
};

bool SaysNothingWritten(const Status& status) {
  return status.message().find("nothing was written") != std::string::npos;
}

bool SaysOutcomeUnknown(const Status& status) {
  return status.message().find("outcome is unknown") != std::string::npos;
}

TEST_F(PostgresStoreTest, StoppedUnderLoadNothingIsAcknowledgedFalselyAndTheSameStoreRecovers) {
  options_.connect_timeout = std::chrono::milliseconds(1000);
  auto store = Open();
  ASSERT_NE(store, nullptr);
  std::mutex mu;
  std::vector<Attempt> attempts;
  std::atomic<bool> stop{false};
  std::atomic<int> acknowledged{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      while (!stop) {
        std::vector<EventData> events = {Event("Loaded"), Event("Loaded")};
        auto result = store->Append("load-" + std::to_string(t), ExpectedVersion::Any(), events);
        (result.ok() ? acknowledged : refused)++;
        std::lock_guard lock(mu);
        attempts.push_back(Attempt{{events[0].id, events[1].id}, result.status()});
        if (!result.ok()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
  }
  while (acknowledged < 50) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ASSERT_TRUE(cluster_->Stop("fast").ok());
  EXPECT_TRUE(HealthBecomes(*store, StatusCode::kUnavailable)) << store->Health();
  const int refused_when_down = refused;
  while (refused < refused_when_down + 20)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(store->ReadAll(GlobalPosition(1), 10).status().code(), StatusCode::kUnavailable);
  stop = true;
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(cluster_->StartAgain().ok());

  // The same store object appends again.
  std::vector<EventData> after = {Event("After")};
  Result<AppendResult> appended = store->Append("after-1", ExpectedVersion::NoStream(), after);
  for (int i = 0; i < 100 && appended.status().code() == StatusCode::kUnavailable; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    appended = store->Append("after-1", ExpectedVersion::NoStream(), after);
  }
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_TRUE(HealthBecomes(*store, StatusCode::kOk)) << store->Health();

  std::multiset<std::string> recorded;
  std::istringstream ids(Query("SELECT event_id FROM duet_events"));
  for (std::string id; std::getline(ids, id);) recorded.insert(id);
  auto copies = [&](const EventId& id) { return recorded.count(id.ToString()); };
  int unknown = 0;
  for (const Attempt& attempt : attempts) {
    if (attempt.answer.ok()) {
      for (const EventId& id : attempt.ids) EXPECT_EQ(copies(id), 1u) << "acknowledged, missing";
    } else {
      ASSERT_EQ(attempt.answer.code(), StatusCode::kUnavailable) << attempt.answer;
      // Every kUnavailable says which: nothing written, or in doubt.
      if (SaysNothingWritten(attempt.answer)) {
        for (const EventId& id : attempt.ids) EXPECT_EQ(copies(id), 0u) << attempt.answer;
      } else {
        ASSERT_TRUE(SaysOutcomeUnknown(attempt.answer)) << attempt.answer;
        ++unknown;  // either, but all or nothing
        EXPECT_EQ(copies(attempt.ids[0]), copies(attempt.ids[1])) << attempt.answer;
      }
    }
  }
  EXPECT_GT(refused.load(), 0);
  std::cout << attempts.size() << " appends, " << acknowledged << " acknowledged, " << refused
            << " kUnavailable (" << unknown << " outcome unknown)\n";
  EXPECT_EQ(Query("SELECT count(*) = max(position) FROM duet_events"), "t");
}

TEST_F(PostgresStoreTest, TerminatedBackendBeforeCommitIsUnavailableAndNothingIsWritten) {
  std::atomic<bool> armed{false};
  Status terminated;
  options_.before_commit = [&] {
    if (!armed.exchange(false)) return;
    // Waits (up to 5 s) until the writer's backend is gone.
    terminated = cluster_->Psql(
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
        "WHERE application_name = 'duet' AND backend_type = 'client backend' "
        "AND query LIKE 'WITH appended%'");
  };
  auto store = Open();
  ASSERT_NE(store, nullptr);
  std::vector<EventData> first = {Event("Opened")};
  ASSERT_TRUE(store->Append("account-0", ExpectedVersion::NoStream(), first).ok());
  armed = true;
  std::vector<EventData> events = {Event("Opened"), Event("Deposited")};
  auto lost = store->Append("account-1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(terminated.ok()) << terminated;
  ASSERT_EQ(lost.status().code(), StatusCode::kUnavailable) << lost.status();
  EXPECT_TRUE(SaysNothingWritten(lost.status())) << lost.status();
  EXPECT_EQ(Copies(events[0].id), 0);
  EXPECT_EQ(store->StreamHead("account-1"), std::nullopt);
  auto retry = store->Append("account-1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->position, GlobalPosition(3));
  EXPECT_EQ(Copies(events[0].id), 1);
  EXPECT_EQ(store->HeadPosition(), GlobalPosition(3));
}

class PostgresProxyTest : public PostgresStoreTest {
 protected:
  void SetUp() override {
    PostgresStoreTest::SetUp();
    auto proxy = testing::TcpProxy::Start(cluster_->port());
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = std::move(*proxy);
  }
  void TearDown() override { proxy_.reset(); }

  std::string ProxyUrl() const {
    return "postgresql://duet@127.0.0.1:" + std::to_string(proxy_->port()) + "/postgres";
  }

  std::unique_ptr<testing::TcpProxy> proxy_;
};

// The server committed; the answer was lost with the connection. The store
// looks and answers OK: the events are there exactly once.
TEST_F(PostgresProxyTest, ConnectionLostAfterTheServerCommittedIsAnsweredAsDone) {
  auto store = OpenAt(ProxyUrl());
  ASSERT_NE(store, nullptr);
  std::vector<EventData> before = {Event("Opened")};
  ASSERT_TRUE(store->Append("account-0", ExpectedVersion::NoStream(), before).ok());
  proxy_->CutAfter("COMMIT", std::chrono::milliseconds(100));
  std::vector<EventData> events = {Event("Opened"), Event("Deposited")};
  auto appended = store->Append("account-1", ExpectedVersion::NoStream(), events);
  EXPECT_TRUE(proxy_->cut());
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(appended->position, GlobalPosition(3));
  EXPECT_EQ(appended->next_expected_version, StreamVersion(1));
  EXPECT_EQ(Copies(events[0].id), 1);
  EXPECT_EQ(Copies(events[1].id), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM duet_events"), "3");
  EXPECT_EQ(store->HeadPosition(), GlobalPosition(3));
  auto retry = store->Append("account-1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->position, GlobalPosition(3));
  EXPECT_EQ(Query("SELECT count(*) FROM duet_events"), "3");
}

// The server committed, the answer was lost, and PostgreSQL went down
// before the store could look: "outcome unknown", never "not written"; the
// retry with the same ids, once it is back, answers the original result.
TEST_F(PostgresProxyTest, InDoubtCommitWithTheServerDownIsOutcomeUnknownAndARetryLearnsIt) {
  options_.connect_timeout = std::chrono::milliseconds(1000);
  auto store = OpenAt(ProxyUrl());
  ASSERT_NE(store, nullptr);
  std::vector<EventData> before = {Event("Opened")};
  ASSERT_TRUE(store->Append("account-0", ExpectedVersion::NoStream(), before).ok());
  Status stopped;
  proxy_->CutAfter("COMMIT", std::chrono::milliseconds(100),
                   [&] { stopped = cluster_->Stop("fast"); });
  std::vector<EventData> events = {Event("Opened"), Event("Deposited")};
  auto appended = store->Append("account-1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(proxy_->cut());
  ASSERT_TRUE(stopped.ok()) << stopped;
  ASSERT_EQ(appended.status().code(), StatusCode::kUnavailable) << appended.status();
  EXPECT_FALSE(SaysNothingWritten(appended.status())) << appended.status();
  EXPECT_TRUE(SaysOutcomeUnknown(appended.status())) << appended.status();
  EXPECT_EQ(store->Health().code(), StatusCode::kUnavailable);

  ASSERT_TRUE(cluster_->StartAgain().ok());
  EXPECT_EQ(Copies(events[0].id), 1);  // it did commit
  Result<AppendResult> retry = store->Append("account-1", ExpectedVersion::NoStream(), events);
  for (int i = 0; i < 100 && retry.status().code() == StatusCode::kUnavailable; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    retry = store->Append("account-1", ExpectedVersion::NoStream(), events);
  }
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->position, GlobalPosition(3));
  EXPECT_EQ(retry->next_expected_version, StreamVersion(1));
  EXPECT_EQ(Query("SELECT count(*) FROM duet_events"), "3");
}

// Reads pooled connections; after a restart every pooled one is dead. The
// first read once the server is back must not be answered kUnavailable (nor
// StreamHead "no stream") for connections the store could have replaced.
TEST_F(PostgresStoreTest, ReadsRightAfterARestartSucceed) {
  options_.read_connections = 4;
  auto store = Open();
  ASSERT_NE(store, nullptr);
  std::vector<EventData> events = {Event("Opened")};
  ASSERT_TRUE(store->Append("account-1", ExpectedVersion::NoStream(), events).ok());
  std::vector<std::thread> readers;  // fill the pool
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) EXPECT_TRUE(store->ReadAll(GlobalPosition(1), 10).ok());
    });
  }
  for (std::thread& thread : readers) thread.join();
  ASSERT_TRUE(cluster_->Stop("fast").ok());
  ASSERT_TRUE(cluster_->StartAgain().ok());
  auto read = store->ReadStream("account-1", StreamVersion(0), 10, ReadDirection::kForward);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->size(), 1u);
  EXPECT_EQ(store->StreamHead("account-1"), StreamVersion(0));
  auto all = store->ReadAll(GlobalPosition(1), 10);
  ASSERT_TRUE(all.ok()) << all.status();
}

// ---- schema ----

TEST_F(PostgresStoreTest, ASecondOpenReusesTheSchema) {
  {
    auto store = Open();
    ASSERT_NE(store, nullptr);
    std::vector<EventData> events = {Event("Opened"), Event("Closed")};
    ASSERT_TRUE(store->Append("account-1", ExpectedVersion::NoStream(), events).ok());
  }
  auto again = Open();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->HeadPosition(), GlobalPosition(2));
  EXPECT_EQ(again->StreamHead("account-1"), StreamVersion(1));
  EXPECT_EQ(Query("SELECT count(*), max(version) FROM duet_schema"), "1|1");
  std::vector<EventData> more = {Event("Reopened")};
  auto appended = again->Append("account-1", ExpectedVersion::Exact(StreamVersion(1)), more);
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(appended->position, GlobalPosition(3));
}

TEST_F(PostgresStoreTest, ASchemaNewerThanTheBuildIsRefused) {
  ASSERT_NE(Open(), nullptr);
  Query("UPDATE duet_schema SET version = 2");
  auto store = PostgresStore::Open(cluster_->url(), options_);
  ASSERT_EQ(store.status().code(), StatusCode::kFailedPrecondition) << store.status();
  EXPECT_NE(store.status().message().find("version 2"), std::string::npos) << store.status();
}

TEST_F(PostgresStoreTest, StoresOpenedConcurrentlyOnAnEmptyDatabaseAllSucceed) {
  ASSERT_TRUE(cluster_->CreateDatabase("empty").ok());
  constexpr int kNodes = 6;
  std::vector<Result<std::unique_ptr<PostgresStore>>> opened;
  for (int i = 0; i < kNodes; ++i) opened.emplace_back(Status::Unavailable("unset"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kNodes; ++i) {
    threads.emplace_back(
        [&, i] { opened[i] = PostgresStore::Open(cluster_->url("empty"), options_); });
  }
  for (std::thread& thread : threads) thread.join();
  for (int i = 0; i < kNodes; ++i) {
    ASSERT_TRUE(opened[i].ok()) << "node " << i << ": " << opened[i].status();
  }
  std::string schema;
  ASSERT_TRUE(cluster_->Psql("SELECT count(*) FROM duet_schema", &schema, "empty").ok());
  EXPECT_EQ(schema, "1\n");
  for (int i = 0; i < kNodes; ++i) {
    std::vector<EventData> events = {Event("Opened")};
    auto appended =
        (*opened[i])->Append("node-" + std::to_string(i), ExpectedVersion::NoStream(), events);
    ASSERT_TRUE(appended.ok()) << appended.status();
    EXPECT_EQ(appended->position, GlobalPosition(i + 1));
  }
}

TEST_F(PostgresStoreTest, OpenRefusesAUrlThatIsNotPostgresAndAnAbsentServer) {
  EXPECT_TRUE(PostgresStore::Open("mysql://x", options_).status().IsInvalidArgument());
  options_.connect_timeout = std::chrono::milliseconds(1000);
  ASSERT_TRUE(cluster_->Stop("fast").ok());
  EXPECT_EQ(PostgresStore::Open(cluster_->url(), options_).status().code(),
            StatusCode::kUnavailable);
}

}  // namespace
}  // namespace duet
