// Never skip, never duplicate: the PostgreSQL store's central promise
// (include/duet/postgres_store.h), under load, with two nodes and a restart.
//
// 16 writer threads append to two PostgresStore instances on one database
// (two command nodes), each append transaction pausing a random 0-2 ms before
// its COMMIT (the before_commit hook, seeded); two subscribers, each on its
// own PostgresStore, follow SubscribeToAll from the start; in the middle
// PostgreSQL is stopped ("immediate": a crash) and started again while the
// writers keep going.
//
// Every writer thread is the only writer of its own streams, so it knows
// each stream's version exactly: it appends with NoStream or Exact(version)
// and retries a kUnavailable answer with the very same events (same ids) and
// expected version until it is answered. A retry of an append that did
// commit is answered with the original result, so every append ends
// acknowledged exactly once and the whole history is known.
//
// Checked at the end: duet_events (read with psql, not through the store)
// holds positions 1..N, each event id once, exactly the events the writers
// made, each at the position and version its acknowledgement named; and
// each subscriber received exactly positions 1..N in order, the same event
// at each.
//
// Why this fails if positions came from a sequence at INSERT time: two
// transactions would take positions out of commit order (A takes 10-12, B
// 13-15, A sleeps before COMMIT, B commits first); a subscriber reading
// "position >= 10" then sees 13-15, delivers them and moves past 10-12,
// which appear later: it misses them (a gap in its positions, and fewer
// events than duet_events). The random pause before COMMIT makes that
// overtaking common, the two nodes make it possible across processes, and
// the restart adds rolled-back transactions, whose sequence values would
// be gaps in duet_events itself.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "duet/postgres_store.h"
#include "tests/support/postgres_cluster.h"

namespace duet {
namespace {

using testing::PostgresCluster;

// Full size in optimized builds; smaller under the sanitizers, which slow the
// client several times. DUET_NEVER_SKIP_EVENTS overrides either.
uint64_t TargetEvents() {
  if (const char* text = std::getenv("DUET_NEVER_SKIP_EVENTS"); text != nullptr && *text != '\0') {
    return std::strtoull(text, nullptr, 10);
  }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  return 20'000;
#else
  return 100'000;
#endif
}

constexpr int kWriterThreads = 16;
constexpr int kStreamsPerWriter = 6;
constexpr uint32_t kSeed = 20261206;

// One stream's part of an acknowledged append.
struct Acknowledged {
  std::string stream;
  std::vector<EventId> ids;
  StreamVersion last_version;
  GlobalPosition last_position;
};

// What one subscriber received, in order.
struct Received {
  std::mutex mu;
  std::vector<std::pair<uint64_t, EventId>> events;  // position, id
  uint64_t last() {
    std::lock_guard lock(mu);
    return events.empty() ? 0 : events.back().first;
  }
};

// A writer thread: appends to its own streams until it has made `target`
// events, retrying kUnavailable with the same events and expected version.
struct Writer {
  EventStore* store;
  int index;
  uint64_t target;
  std::atomic<uint64_t>* acknowledged_events;
  std::atomic<int>* finished;
  std::vector<Acknowledged> acknowledged{};
  std::string failure{};
  uint64_t unavailable = 0;

  void Run() {
    Write();
    finished->fetch_add(1);
  }

  void Write() {
    std::mt19937 rng(kSeed + static_cast<uint32_t>(index));
    std::vector<std::optional<StreamVersion>> versions(kStreamsPerWriter);
    uint64_t made = 0;
    while (made < target) {
      std::vector<StreamAppend> appends;
      const int first = static_cast<int>(rng() % kStreamsPerWriter);
      const int parts = rng() % 4 == 0 ? 2 : 1;  // now and then a two-stream append
      for (int p = 0; p < parts; ++p) {
        const int s = (first + p) % kStreamsPerWriter;
        StreamAppend& append = appends.emplace_back();
        append.stream = "w" + std::to_string(index) + "-" + std::to_string(s);
        append.expected = ExpectedVersion::FromCurrent(versions[s]);
        const int n = 1 + static_cast<int>(rng() % 5);
        for (int e = 0; e < n; ++e) {
          append.events.push_back(EventData{EventId::Random(), "Written",
                                            "{\"n\":" + std::to_string(made + e) + "}", "{}"});
        }
        made += static_cast<uint64_t>(n);
      }
      Result<MultiAppendResult> result = store->AppendMulti(appends);
      while (!result.ok() && result.status().code() == StatusCode::kUnavailable) {
        ++unavailable;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        result = store->AppendMulti(appends);  // the same ids, the same expected versions
      }
      if (!result.ok()) {
        failure = "append to " + appends[0].stream + ": " + result.status().ToString();
        return;
      }
      for (size_t i = 0; i < appends.size(); ++i) {
        const int s = std::stoi(appends[i].stream.substr(appends[i].stream.find('-') + 1));
        const uint64_t expected_last =
            (versions[s] ? versions[s]->value + 1 : 0) + appends[i].events.size() - 1;
        if (result->streams[i].next_expected_version.value != expected_last) {
          failure = appends[i].stream + " acknowledged at version " +
                    std::to_string(result->streams[i].next_expected_version.value) + ", expected " +
                    std::to_string(expected_last);
          return;
        }
        versions[s] = StreamVersion(expected_last);
        Acknowledged& ack = acknowledged.emplace_back();
        ack.stream = appends[i].stream;
        for (const EventData& event : appends[i].events) ack.ids.push_back(event.id);
        ack.last_version = result->streams[i].next_expected_version;
        ack.last_position = result->streams[i].position;
        acknowledged_events->fetch_add(appends[i].events.size());
      }
    }
  }
};

// duet_events as psql sees it: position -> (id, stream, version).
struct Row {
  std::string id;
  std::string stream;
  uint64_t version;
};

std::map<uint64_t, Row> ReadTable(PostgresCluster& cluster, const std::string& database) {
  std::string out;
  Status read =
      cluster.Psql("SELECT position, event_id, stream, version FROM duet_events ORDER BY position",
                   &out, database);
  EXPECT_TRUE(read.ok()) << read;
  std::map<uint64_t, Row> rows;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    std::istringstream fields(line);
    std::string position, id, stream, version;
    std::getline(fields, position, '|');
    std::getline(fields, id, '|');
    std::getline(fields, stream, '|');
    std::getline(fields, version, '|');
    rows[std::stoull(position)] = Row{id, stream, std::stoull(version)};
  }
  return rows;
}

TEST(NeverSkipTest, SubscribersSeeEveryCommittedEventOnceInOrderAcrossNodesAndARestart) {
  const uint64_t target = TargetEvents();
  auto started = PostgresCluster::Start();
  ASSERT_TRUE(started.ok()) << started.status();
  PostgresCluster& cluster = **started;
  ASSERT_TRUE(cluster.CreateDatabase("never_skip").ok());
  const std::string url = cluster.url("never_skip");

  // Two nodes, each pausing 0-2 ms before every COMMIT (own seeded generator,
  // used only on that store's writer thread).
  std::vector<std::unique_ptr<PostgresStore>> nodes;
  std::vector<std::unique_ptr<std::mt19937>> pauses;
  for (int node = 0; node < 2; ++node) {
    pauses.push_back(std::make_unique<std::mt19937>(kSeed * 7 + node));
    PostgresStoreOptions options;
    options.before_commit = [rng = pauses.back().get()] {
      std::this_thread::sleep_for(std::chrono::microseconds((*rng)() % 2001));
    };
    auto store = PostgresStore::Open(url, options);
    ASSERT_TRUE(store.ok()) << store.status();
    nodes.push_back(std::move(*store));
  }

  // Two subscribers, each on its own store.
  std::vector<std::unique_ptr<PostgresStore>> readers;
  std::vector<std::unique_ptr<Received>> received;
  std::vector<std::unique_ptr<Subscription>> subscriptions;
  for (int i = 0; i < 2; ++i) {
    auto store = PostgresStore::Open(url, PostgresStoreOptions{});
    ASSERT_TRUE(store.ok()) << store.status();
    readers.push_back(std::move(*store));
    received.push_back(std::make_unique<Received>());
    Received* into = received.back().get();
    subscriptions.push_back(
        readers.back()->SubscribeToAll(kNoPosition, [into](std::span<const RecordedEvent> batch) {
          std::lock_guard lock(into->mu);
          for (const RecordedEvent& event : batch)
            into->events.emplace_back(event.position.value, event.id);
          return Status::OK();
        }));
  }

  std::atomic<uint64_t> acknowledged{0};
  std::atomic<int> finished{0};
  std::vector<std::unique_ptr<Writer>> writers;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriterThreads; ++w) {
    writers.push_back(std::make_unique<Writer>(
        Writer{nodes[w % 2].get(), w, (target + kWriterThreads - 1) / kWriterThreads, &acknowledged,
               &finished}));
    threads.emplace_back([writer = writers.back().get()] { writer->Run(); });
  }

  // The restart, once about 40% is acknowledged; the writers keep going.
  while (acknowledged.load() < target * 2 / 5 && finished.load() == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(finished.load(), 0) << "a writer ended before the restart";
  const uint64_t before_stop = acknowledged.load();
  EXPECT_TRUE(cluster.Stop("immediate").ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const Status restarted = cluster.StartAgain();
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(restarted.ok()) << restarted;
  EXPECT_LT(before_stop, target) << "the restart came after the writers were done";

  uint64_t unavailable = 0;
  for (const auto& writer : writers) {
    EXPECT_EQ(writer->failure, "") << "writer " << writer->index;
    unavailable += writer->unavailable;
  }
  std::cout << "kUnavailable answers retried: " << unavailable << "\n";

  const std::map<uint64_t, Row> table = ReadTable(cluster, "never_skip");
  const uint64_t n = table.size();
  ASSERT_GE(n, target);
  // The table: positions 1..N, each id once.
  EXPECT_EQ(table.begin()->first, 1u);
  EXPECT_EQ(table.rbegin()->first, n) << "positions in duet_events are not contiguous";
  std::unordered_map<std::string, uint64_t> position_of;
  for (const auto& [position, row] : table) {
    EXPECT_TRUE(position_of.emplace(row.id, position).second) << "id twice: " << row.id;
  }

  // Exactly the acknowledged events, each where its acknowledgement said.
  uint64_t made = 0;
  for (const auto& writer : writers) {
    for (const Acknowledged& ack : writer->acknowledged) {
      made += ack.ids.size();
      for (size_t i = 0; i < ack.ids.size(); ++i) {
        const auto found = position_of.find(ack.ids[i].ToString());
        ASSERT_NE(found, position_of.end()) << "acknowledged event missing: " << ack.stream;
        const Row& row = table.at(found->second);
        EXPECT_EQ(row.stream, ack.stream);
        EXPECT_EQ(row.version, ack.last_version.value - (ack.ids.size() - 1 - i));
        if (i + 1 == ack.ids.size()) {
          EXPECT_EQ(found->second, ack.last_position.value);
        }
      }
    }
  }
  EXPECT_EQ(made, n) << "duet_events holds events no writer had acknowledged";

  // Every subscriber: positions 1..N in order, the table's event at each.
  for (size_t s = 0; s < received.size(); ++s) {
    for (int i = 0; i < 12'000 && received[s]->last() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    subscriptions[s]->Stop();
    EXPECT_TRUE(subscriptions[s]->Wait().ok());
    std::lock_guard lock(received[s]->mu);
    const auto& events = received[s]->events;
    ASSERT_EQ(events.size(), n) << "subscriber " << s;
    for (uint64_t i = 0; i < n; ++i) {
      ASSERT_EQ(events[i].first, i + 1) << "subscriber " << s << " skipped or repeated";
      ASSERT_EQ(events[i].second.ToString(), table.at(i + 1).id) << "subscriber " << s;
    }
  }
}

}  // namespace
}  // namespace duet
