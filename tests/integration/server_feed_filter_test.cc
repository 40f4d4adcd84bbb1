// Filtered reads of the log over real sockets, on a `duet serve` process:
// GET /events and GET /events/live with `stream`, `category` and `types`
// get exactly the matching events in order; a rare filter on the live feed
// gets checkpoints, and resuming from one (Last-Event-ID) neither repeats
// nor misses an event; a filtered GET /events pages on from `scanned_to`;
// bad filters are 400 naming the parameter.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/server_test_support.h"
#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {
namespace json = boost::json;

// One message of the live feed.
struct FeedMessage {
  std::string kind;  // the `event:` field: "event", "checkpoint", "head"
  uint64_t id = 0;   // the `id:` field; 0 when it had none
  json::value data;
};

constexpr size_t kMaxHeads = 120;

std::vector<uint64_t> IdsOf(const std::vector<FeedMessage>& messages, std::string_view kind);

// Reads the live feed at `target` until `done` says so (or the feed sent
// kMaxHeads heartbeats); returns every message received.
std::vector<FeedMessage> ReadFeed(
    uint16_t port, std::string_view target, const follow::HttpHeaders& headers,
    const std::function<bool(const std::vector<FeedMessage>&)>& done) {
  auto client = follow::HttpClient::Create({"127.0.0.1", port, ""}, std::chrono::seconds(60));
  std::string buffer;
  std::vector<FeedMessage> messages;
  Status status =
      client->Stream(target, headers, std::chrono::seconds(60), [&](std::string_view bytes) {
        buffer.append(bytes);
        for (size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
          std::istringstream lines(buffer.substr(0, end));
          buffer.erase(0, end + 2);
          FeedMessage message;
          for (std::string line; std::getline(lines, line);) {
            if (line.rfind("event: ", 0) == 0) message.kind = line.substr(7);
            if (line.rfind("id: ", 0) == 0) message.id = std::stoull(line.substr(4));
            if (line.rfind("data: ", 0) == 0) message.data = json::parse(line.substr(6));
          }
          messages.push_back(std::move(message));
          if (done(messages)) return false;
          // A bound against a hang: a feed sends a head message each idle
          // second, so this many means `done` will not come.
          if (IdsOf(messages, "head").size() > kMaxHeads) {
            ADD_FAILURE() << "the feed at " << target << " went idle before the test's condition";
            return false;
          }
        }
        return true;
      });
  EXPECT_TRUE(status.ok()) << status;
  return messages;
}

std::vector<uint64_t> IdsOf(const std::vector<FeedMessage>& messages, std::string_view kind) {
  std::vector<uint64_t> ids;
  for (const FeedMessage& m : messages) {
    if (m.kind == kind) ids.push_back(m.id);
  }
  return ids;
}

// Stops once `count` events have arrived.
auto Events(size_t count) {
  return [count](const std::vector<FeedMessage>& messages) {
    return IdsOf(messages, "event").size() >= count;
  };
}

class ServerFeedFilterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartDuet(dir_ / "data");
    ASSERT_NE(server_, nullptr);
    api_ = std::make_unique<Api>(server_->port());
  }
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) std::cerr << "--- server log ---\n" << server_->log();
  }

  // Appends one event; returns its position.
  uint64_t Append(const std::string& stream, const std::string& type) {
    Reply reply = api_->Post("/streams/" + stream, R"([{"type":")" + type + R"(","data":{}}])");
    EXPECT_EQ(reply.status, 200u) << reply.Describe();
    return reply.status == 200 ? UintOf(reply["position"]) : 0;
  }
  // Appends `n` events of type Noise to `stream` in one request; returns
  // the last position.
  uint64_t AppendNoise(const std::string& stream, int n) {
    std::string batch = "[";
    for (int i = 0; i < n; ++i)
      batch += std::string(i ? "," : "") + R"({"type":"Noise","data":{}})";
    batch += "]";
    Reply reply = api_->Post("/streams/" + stream, batch);
    EXPECT_EQ(reply.status, 200u) << reply.Describe();
    return reply.status == 200 ? UintOf(reply["position"]) : 0;
  }

  // The mixed log of the filter tests; positions_[i] is event i's.
  void AppendMixedLog() {
    const std::vector<std::pair<std::string, std::string>> events = {
        {"account-a", "Opened"},      // 0
        {"order-1", "Placed"},        // 1
        {"account-b", "Opened"},      // 2
        {"accounts-x", "Deposited"},  // 3: not category "account"
        {"account-a", "Deposited"},   // 4
        {"account", "Deposited"},     // 5: no category
        {"account-b", "Withdrawn"},   // 6
        {"order-1", "Shipped"},       // 7
        {"account-a-2", "Withdrawn"}  // 8: category "account"
    };
    for (const auto& [stream, type] : events) positions_.push_back(Append(stream, type));
  }
  std::vector<uint64_t> At(std::initializer_list<size_t> indexes) const {
    std::vector<uint64_t> out;
    for (size_t i : indexes) out.push_back(positions_.at(i));
    return out;
  }
  std::vector<uint64_t> ReadPositions(const std::string& query, uint64_t* scanned_to = nullptr) {
    Reply reply = api_->Get("/events?" + query);
    EXPECT_EQ(reply.status, 200u) << reply.Describe();
    std::vector<uint64_t> out;
    if (reply.status != 200) return out;
    for (const json::value& event : reply["events"].as_array()) {
      out.push_back(UintOf(event.at("position")));
    }
    if (scanned_to != nullptr) *scanned_to = UintOf(reply["scanned_to"]);
    return out;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Api> api_;
  std::vector<uint64_t> positions_;
};

const std::vector<std::pair<std::string, std::vector<size_t>>>& FilterCases() {
  static const std::vector<std::pair<std::string, std::vector<size_t>>> cases = {
      {"stream=account-a", {0, 4}},
      {"category=account", {0, 2, 4, 6, 8}},
      {"category=order", {1, 7}},
      {"types=Deposited,Withdrawn", {3, 4, 5, 6, 8}},
      {"category=account&types=Deposited,Withdrawn", {4, 6, 8}},
      {"stream=account-b&types=Opened", {2}},
  };
  return cases;
}

TEST_F(ServerFeedFilterTest, FilteredLogReadsReturnExactlyTheMatchingEventsInOrder) {
  AppendMixedLog();
  for (const auto& [query, indexes] : FilterCases()) {
    std::vector<uint64_t> expected;
    for (size_t i : indexes) expected.push_back(positions_.at(i));
    uint64_t scanned_to = 0;
    EXPECT_EQ(ReadPositions(query, &scanned_to), expected) << query;
    EXPECT_EQ(scanned_to, positions_.back()) << query;
  }
  uint64_t scanned_to = 0;
  EXPECT_EQ(ReadPositions("types=Nothing", &scanned_to), std::vector<uint64_t>{});
  EXPECT_EQ(scanned_to, positions_.back());
  // Past the end: nothing examined, and the head is still the log's.
  Reply beyond = api_->Get("/events?from=1000");
  ASSERT_EQ(beyond.status, 200u) << beyond.Describe();
  EXPECT_TRUE(beyond["events"].as_array().empty());
  EXPECT_EQ(UintOf(beyond["scanned_to"]), 999u);
  EXPECT_EQ(UintOf(beyond["head"]), positions_.back());
}

TEST_F(ServerFeedFilterTest, FilteredLiveFeedSendsExactlyTheMatchingEventsInOrder) {
  AppendMixedLog();
  for (const auto& [query, indexes] : FilterCases()) {
    std::vector<uint64_t> expected;
    for (size_t i : indexes) expected.push_back(positions_.at(i));
    // Read until the idle checkpoint (or, when the last event matches, the
    // heartbeat after it): by then every matching event has been sent.
    std::vector<FeedMessage> messages = ReadFeed(
        server_->port(), "/events/live?" + query, {}, [&](const std::vector<FeedMessage>& m) {
          const FeedMessage& last = m.back();
          return (last.kind == "checkpoint" && last.id == positions_.back()) ||
                 (m.size() > 1 && last.kind == "head" &&
                  IdsOf(m, "event").size() >= expected.size());
        });
    EXPECT_EQ(IdsOf(messages, "event"), expected) << query;
    for (const FeedMessage& m : messages) {
      if (m.kind != "event") continue;
      EXPECT_EQ(UintOf(m.data.at("position")), m.id);
    }
  }
}

// The unfiltered feed is unchanged: every event, no checkpoint.
TEST_F(ServerFeedFilterTest, UnfilteredLiveFeedSendsEveryEventAndNoCheckpoint) {
  AppendMixedLog();
  std::vector<FeedMessage> messages =
      ReadFeed(server_->port(), "/events/live?from=1", {}, [&](const std::vector<FeedMessage>& m) {
        return m.size() > 1 && m.back().kind == "head";  // the idle heartbeat
      });
  std::vector<uint64_t> all;
  for (uint64_t p = 1; p <= positions_.back(); ++p) all.push_back(p);
  EXPECT_EQ(IdsOf(messages, "event"), all);
  EXPECT_TRUE(IdsOf(messages, "checkpoint").empty());
}

TEST_F(ServerFeedFilterTest, ARareFilterGetsCheckpointsAndResumesFromOneWithoutGapOrRepeat) {
  ASSERT_EQ(AppendNoise("noise-1", 1100), 1100u);
  const uint64_t rare = Append("rare-1", "Rare");
  const uint64_t head = AppendNoise("noise-2", 600);
  ASSERT_EQ(head, 1701u);
  // Until the checkpoint at the head: every message up to there.
  std::vector<FeedMessage> messages =
      ReadFeed(server_->port(), "/events/live?types=Rare", {},
               [&](const auto& m) { return m.back().kind == "checkpoint" && m.back().id == head; });
  EXPECT_EQ(IdsOf(messages, "event"), std::vector<uint64_t>{rare});
  const std::vector<uint64_t> checkpoints = IdsOf(messages, "checkpoint");
  ASSERT_GE(checkpoints.size(), 2u);  // 1100 events scanned before the match: one at least
  EXPECT_TRUE(std::is_sorted(checkpoints.begin(), checkpoints.end()));
  EXPECT_LT(checkpoints.front(), rare);
  for (const FeedMessage& m : messages) {
    if (m.kind == "checkpoint") {
      EXPECT_EQ(UintOf(m.data.at("position")), m.id);
    }
  }
  // Resuming after a checkpoint before the match: the match comes next.
  const std::string before = std::to_string(checkpoints.front());
  std::vector<FeedMessage> resumed =
      ReadFeed(server_->port(), "/events/live?types=Rare", {{"Last-Event-ID", before}}, Events(1));
  EXPECT_EQ(IdsOf(resumed, "event"), std::vector<uint64_t>{rare});
  // Resuming after the head's checkpoint: not the match again, but the next one.
  const uint64_t next = Append("rare-2", "Rare");
  resumed = ReadFeed(server_->port(), "/events/live?types=Rare",
                     {{"Last-Event-ID", std::to_string(head)}}, Events(1));
  EXPECT_EQ(IdsOf(resumed, "event"), std::vector<uint64_t>{next});
  EXPECT_TRUE(IdsOf(resumed, "checkpoint").empty());
}

TEST_F(ServerFeedFilterTest, FilteredLogPagesResumeFromTheScannedPosition) {
  AppendMixedLog();
  // limit cuts the page at its last match; the next page starts after it.
  std::vector<uint64_t> paged;
  uint64_t from = 1, scanned_to = 0;
  for (int page = 0; page < 10 && scanned_to < positions_.back(); ++page) {
    std::vector<uint64_t> got =
        ReadPositions("category=account&limit=2&from=" + std::to_string(from), &scanned_to);
    EXPECT_LE(got.size(), 2u);
    if (!got.empty()) {
      EXPECT_EQ(scanned_to, got.back());
    }
    paged.insert(paged.end(), got.begin(), got.end());
    from = scanned_to + 1;
  }
  EXPECT_EQ(paged, At({0, 2, 4, 6, 8}));
}

// One read scans at most 10000 events: a rare match beyond that is found on
// the next page, from `scanned_to + 1`, without examining an event twice.
TEST_F(ServerFeedFilterTest, ARareMatchBeyondTheScanBudgetIsOnTheNextPage) {
  const uint64_t first_noise = AppendNoise("noise-1", 6000) - 5999;
  ASSERT_EQ(first_noise, 1u);
  ASSERT_EQ(AppendNoise("noise-2", 6000), 12000u);
  const uint64_t rare = Append("rare-1", "Rare");
  uint64_t scanned_to = 0;
  EXPECT_EQ(ReadPositions("types=Rare&from=" + std::to_string(first_noise), &scanned_to),
            std::vector<uint64_t>{});
  EXPECT_EQ(scanned_to, first_noise + 10000 - 1);
  EXPECT_EQ(ReadPositions("types=Rare&from=" + std::to_string(scanned_to + 1), &scanned_to),
            std::vector<uint64_t>{rare});
  EXPECT_EQ(scanned_to, rare);
}

TEST_F(ServerFeedFilterTest, BadFiltersAre400NamingTheParameter) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"stream=", "stream"},
      {"stream=a%20b", "stream"},
      {"category=account-", "category"},
      {"category=", "category"},
      {"types=", "types"},
      {"types=A,,B", "types"},
      {"types=A,", "types"},
      {"types=has%20space", "types"},
  };
  for (const auto& [query, subject] : bad) {
    SCOPED_TRACE(query);
    ExpectProblem(api_->Get("/events?" + query), 400, "invalid_argument", subject);
    ExpectProblem(api_->Get("/events/live?" + query), 400, "invalid_argument", subject);
  }
}

}  // namespace
}  // namespace duet::testing
