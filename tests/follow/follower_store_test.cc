#include "follow/follower_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include "follow/event_json.h"
#include "tests/follow/test_feed_server.h"
#include "tests/support/subscription_collector.h"

namespace duet::follow {
namespace {

using namespace std::chrono_literals;
using testing::TestFeedServer;

// Waits for `condition`; the deadline only keeps a broken build from hanging.
bool WaitUntil(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

FollowerOptions FastRetry() {
  FollowerOptions options;
  options.backoff_initial = 5ms;
  options.backoff_max = 20ms;
  return options;
}

uint16_t FreePort() {
  TestFeedServer probe;
  const uint16_t port = probe.port();
  probe.Stop();
  return port;
}

void AppendN(TestFeedServer& server, int n) {
  for (int i = 0; i < n; ++i) {
    server.Append(i % 2 ? "acct-a" : "acct-b", "Deposited",
                  R"({"cents":)" + std::to_string(i) + "}");
  }
}

using duet::testing::Collector;

// Positions 1..n exactly once, in order, equal to what the server recorded.
void ExpectSameAsServer(Collector& got, const TestFeedServer& server) {
  const std::vector<RecordedEvent> want = server.events();
  std::lock_guard lock(got.mu);
  ASSERT_EQ(got.events.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got.events[i].position.value, i + 1);
    EXPECT_EQ(got.events[i].id, want[i].id);
    EXPECT_EQ(got.events[i].stream, want[i].stream);
    EXPECT_EQ(got.events[i].version, want[i].version);
    EXPECT_EQ(got.events[i].data, want[i].data);
    EXPECT_EQ(got.events[i].metadata, want[i].metadata);
  }
}

TEST(FollowerStoreTest, OpenRefusesABadUrl) {
  EXPECT_TRUE(FollowerStore::Open("ftp://127.0.0.1:1").status().IsInvalidArgument());
  EXPECT_TRUE(FollowerStore::Open("127.0.0.1:8080").status().IsInvalidArgument());
}

TEST(FollowerStoreTest, OpenRefusesACaFileThatDoesNotLoad) {
  FollowerOptions options;
  options.ca_file = "/nonexistent/duet-ca.pem";
  Status status = FollowerStore::Open("https://127.0.0.1:1", options).status();
  EXPECT_TRUE(status.IsInvalidArgument()) << status;
  EXPECT_EQ(status.subject(), "follow_ca");
  EXPECT_NE(status.message().find("duet-ca.pem"), std::string::npos) << status;
}

TEST(FollowerStoreTest, AppendsAreRefused) {
  auto store = FollowerStore::Open("http://127.0.0.1:" + std::to_string(FreePort()));
  ASSERT_TRUE(store.ok()) << store.status();
  EventData event{EventId(), "Deposited", "{}", ""};
  Status s = (*store)->Append("acct-1", ExpectedVersion::Any(), std::span(&event, 1)).status();
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("query node"), std::string::npos) << s;
  EXPECT_NE(s.message().find((*store)->url()), std::string::npos) << s;
}

TEST(FollowerStoreTest, SubscriptionCatchesUpOverHttpThenGoesLiveWithoutGapOrDuplicate) {
  TestFeedServer server;
  AppendN(server, 50);
  auto store = FollowerStore::Open(server.url(), FastRetry());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(WaitUntil([&] { return (*store)->HeadPosition() == GlobalPosition(50); }));
  Collector got;
  SubscriptionOptions options;
  options.batch_size = 7;
  auto sub = (*store)->SubscribeToAll(kNoPosition, got.Handler(), options);
  ASSERT_TRUE(WaitUntil([&] { return sub->caught_up(); }));
  AppendN(server, 30);
  ASSERT_TRUE(WaitUntil([&] { return got.size() >= 80; }));
  sub->Stop();
  EXPECT_TRUE(sub->Wait().ok());
  ExpectSameAsServer(got, server);
  const FollowerStats stats = (*store)->stats();
  EXPECT_GT(stats.http_reads, 0u);    // catch-up
  EXPECT_GT(stats.window_reads, 0u);  // live
  EXPECT_EQ(stats.events_received, 30u);
  EXPECT_TRUE((*store)->connected());
}

TEST(FollowerStoreTest, ResumesAfterTheServerDropsTheFeedMidStream) {
  TestFeedServer server;
  AppendN(server, 10);
  auto store = FollowerStore::Open(server.url(), FastRetry());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(WaitUntil([&] { return (*store)->HeadPosition() == GlobalPosition(10); }));
  Collector got;
  auto sub = (*store)->SubscribeToAll(kNoPosition, got.Handler());
  AppendN(server, 5);
  ASSERT_TRUE(WaitUntil([&] { return (*store)->stats().events_received == 5; }))
      << "received " << (*store)->stats().events_received << " sessions "
      << (*store)->stats().feed_sessions << " froms " << server.live_froms().size() << " "
      << (*store)->last_error() << " connected " << (*store)->connected();
  server.DropConnections();
  AppendN(server, 5);
  ASSERT_TRUE(WaitUntil([&] { return got.size() >= 20; }));
  sub->Stop();
  EXPECT_TRUE(sub->Wait().ok());
  ExpectSameAsServer(got, server);
  const std::vector<uint64_t> froms = server.live_froms();
  ASSERT_GE(froms.size(), 2u);
  EXPECT_EQ(froms[0], 11u);                           // the feed starts at the head it found
  EXPECT_EQ(froms[1], 16u);                           // and resumes after the last event received
  EXPECT_EQ((*store)->stats().events_received, 10u);  // nothing received twice
}

TEST(FollowerStoreTest, StartsWhileTheCommandNodeIsDownAndConnectsLater) {
  const uint16_t port = FreePort();
  auto store = FollowerStore::Open("http://127.0.0.1:" + std::to_string(port), FastRetry());
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE(WaitUntil([&] { return (*store)->last_error().IsIOError(); }));
  EXPECT_FALSE((*store)->connected());
  EXPECT_EQ((*store)->HeadPosition(), kNoPosition);

  TestFeedServer server(port);
  AppendN(server, 3);
  ASSERT_TRUE(WaitUntil([&] { return (*store)->connected(); }));
  Collector got;
  auto sub = (*store)->SubscribeToAll(kNoPosition, got.Handler());
  AppendN(server, 2);
  ASSERT_TRUE(WaitUntil([&] { return got.size() >= 5; }));
  sub->Stop();
  EXPECT_TRUE(sub->Wait().ok());
  ExpectSameAsServer(got, server);
  EXPECT_TRUE((*store)->last_error().ok());
}

std::string RawEvent(uint64_t position) {
  RecordedEvent e;
  e.stream = "acct-x";
  e.position = GlobalPosition(position);
  e.id = EventId::Random();
  e.type = "Forged";
  return "id: " + std::to_string(position) + "\nevent: event\ndata: " + EventToJson(e) + "\n\n";
}

TEST(FollowerStoreTest, GapInTheFeedIsCorruption) {
  TestFeedServer server;
  AppendN(server, 2);
  FollowerOptions options;
  options.backoff_initial = 600s;  // stays in the error state while we look
  auto store = FollowerStore::Open(server.url(), options);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(WaitUntil([&] { return (*store)->connected(); }));
  server.SendToLiveFeeds(RawEvent(5));  // expected 3
  ASSERT_TRUE(WaitUntil([&] { return !(*store)->connected(); }));
  EXPECT_TRUE((*store)->last_error().IsCorruption()) << (*store)->last_error();
  Result<std::vector<RecordedEvent>> read = (*store)->ReadAll(GlobalPosition(5), 10);
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(read->empty());  // the forged event was not kept
  (*store)->Close();           // returns although the feed thread is in a long backoff
}

// A filtered feed's checkpoint (or any event kind a newer server adds) is
// no event: the follower, which reads the unfiltered feed, skips it and goes
// on, even when its id is not the next position.
TEST(FollowerStoreTest, CheckpointMessagesAreIgnored) {
  TestFeedServer server;
  AppendN(server, 2);
  auto store = FollowerStore::Open(server.url(), FastRetry());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(WaitUntil([&] { return (*store)->HeadPosition() == GlobalPosition(2); }));
  server.SendToLiveFeeds("id: 9\nevent: checkpoint\ndata: {\"position\":9}\n\n");
  AppendN(server, 1);
  ASSERT_TRUE(WaitUntil([&] { return (*store)->HeadPosition() == GlobalPosition(3); }));
  EXPECT_TRUE((*store)->connected());
  EXPECT_TRUE((*store)->last_error().ok()) << (*store)->last_error();
  Result<std::vector<RecordedEvent>> read = (*store)->ReadAll(GlobalPosition(3), 10);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ(read->front().position, GlobalPosition(3));
}

TEST(FollowerStoreTest, PositionGoingBackIsCorruption) {
  TestFeedServer server;
  AppendN(server, 2);
  FollowerOptions options;
  options.backoff_initial = 600s;
  auto store = FollowerStore::Open(server.url(), options);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(WaitUntil([&] { return (*store)->connected(); }));
  AppendN(server, 1);
  ASSERT_TRUE(WaitUntil([&] { return (*store)->stats().events_received == 1; }));
  server.SendToLiveFeeds(RawEvent(3));  // a duplicate of the last one
  ASSERT_TRUE(WaitUntil([&] { return !(*store)->connected(); }));
  EXPECT_TRUE((*store)->last_error().IsCorruption()) << (*store)->last_error();
  EXPECT_EQ((*store)->stats().events_received, 1u);
}

TEST(FollowerStoreTest, ResumesCleanlyAfterACorruptFeed) {
  TestFeedServer server;
  AppendN(server, 2);
  auto store = FollowerStore::Open(server.url(), FastRetry());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(WaitUntil([&] { return (*store)->connected(); }));
  Collector got;
  auto sub = (*store)->SubscribeToAll(kNoPosition, got.Handler());
  server.SendToLiveFeeds(RawEvent(7));
  ASSERT_TRUE(WaitUntil([&] { return server.live_froms().size() >= 2; }));
  AppendN(server, 3);
  ASSERT_TRUE(WaitUntil([&] { return got.size() >= 5; }));
  sub->Stop();
  EXPECT_TRUE(sub->Wait().ok());
  ExpectSameAsServer(got, server);
  EXPECT_EQ(server.live_froms()[1], 3u);
}

TEST(FollowerStoreTest, ReadAllUsesTheWindowWhenItHoldsFromElseHttp) {
  TestFeedServer server;
  FollowerOptions options = FastRetry();
  options.window_max_events = 4;
  auto store = FollowerStore::Open(server.url(), options);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(WaitUntil([&] { return (*store)->connected(); }));
  AppendN(server, 10);
  ASSERT_TRUE(WaitUntil([&] { return (*store)->stats().events_received == 10; }));
  auto recent = (*store)->ReadAll(GlobalPosition(8), 100);
  ASSERT_TRUE(recent.ok()) << recent.status();
  ASSERT_EQ(recent->size(), 3u);
  EXPECT_EQ(recent->front().position, GlobalPosition(8));
  EXPECT_EQ((*store)->stats().window_reads, 1u);
  auto old = (*store)->ReadAll(GlobalPosition(2), 3);  // evicted from the window
  ASSERT_TRUE(old.ok()) << old.status();
  ASSERT_EQ(old->size(), 3u);
  EXPECT_EQ(old->front().position, GlobalPosition(2));
  EXPECT_EQ(old->back().position, GlobalPosition(4));
  EXPECT_EQ((*store)->stats().http_reads, 1u);
  auto future = (*store)->ReadAll(GlobalPosition(11), 5);
  ASSERT_TRUE(future.ok());
  EXPECT_TRUE(future->empty());
}

TEST(FollowerStoreTest, ReadAllRidesOutACommandNodeRestart) {
  auto server = std::make_unique<TestFeedServer>();
  const uint16_t port = server->port();
  AppendN(*server, 3);
  auto store = FollowerStore::Open(server->url(), FastRetry());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(WaitUntil([&] { return (*store)->HeadPosition() == GlobalPosition(3); }));
  server->Stop();
  std::atomic<bool> reading{false};
  Result<std::vector<RecordedEvent>> read = Status::IOError("not read yet");
  std::thread reader([&] {
    reading = true;
    read = (*store)->ReadAll(GlobalPosition(1), 10);
  });
  ASSERT_TRUE(WaitUntil([&] { return reading.load(); }));
  // The command node is back, holding its events before it accepts the retry.
  server = std::make_unique<TestFeedServer>(port, [](TestFeedServer& s) { AppendN(s, 3); });
  reader.join();
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_FALSE(read->empty());
  EXPECT_EQ(read->front().position, GlobalPosition(1));
}

TEST(FollowerStoreTest, ReadAllGivesUpAfterReadRetryFor) {
  TestFeedServer server;
  AppendN(server, 3);
  FollowerOptions options = FastRetry();
  options.read_retry_for = 50ms;
  auto store = FollowerStore::Open(server.url(), options);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(WaitUntil([&] { return (*store)->HeadPosition() == GlobalPosition(3); }));
  server.Stop();
  auto read = (*store)->ReadAll(GlobalPosition(1), 10);
  EXPECT_TRUE(read.status().IsIOError()) << read.status();
}

TEST(FollowerStoreTest, ReadStreamAndStreamHeadGoToTheCommandNode) {
  TestFeedServer server;
  AppendN(server, 7);  // acct-b: versions 0..3, acct-a: 0..2
  auto store = FollowerStore::Open(server.url(), FastRetry());
  ASSERT_TRUE(store.ok());
  auto forward = (*store)->ReadStream("acct-b", StreamVersion(1), 10, ReadDirection::kForward);
  ASSERT_TRUE(forward.ok()) << forward.status();
  ASSERT_EQ(forward->size(), 3u);
  EXPECT_EQ(forward->front().version, StreamVersion(1));
  EXPECT_EQ(forward->back().version, StreamVersion(3));
  auto backward = (*store)->ReadStream("acct-a", kStreamEnd, 2, ReadDirection::kBackward);
  ASSERT_TRUE(backward.ok()) << backward.status();
  ASSERT_EQ(backward->size(), 2u);
  EXPECT_EQ(backward->front().version, StreamVersion(2));
  EXPECT_EQ(backward->back().version, StreamVersion(1));
  EXPECT_EQ((*store)->StreamHead("acct-b"), StreamVersion(3));
  EXPECT_EQ((*store)->StreamHead("nope"), std::nullopt);
  auto missing = (*store)->ReadStream("nope", StreamVersion(0), 10, ReadDirection::kForward);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->empty());
}

TEST(FollowerStoreTest, ReadsFailWithIOErrorWhenTheCommandNodeIsDown) {
  auto store = FollowerStore::Open("http://127.0.0.1:" + std::to_string(FreePort()));
  ASSERT_TRUE(store.ok());
  auto read = (*store)->ReadStream("acct-1", StreamVersion(0), 10, ReadDirection::kForward);
  EXPECT_TRUE(read.status().IsIOError()) << read.status();
}

TEST(FollowerStoreTest, CloseWakesWaitForHead) {
  auto store = FollowerStore::Open("http://127.0.0.1:" + std::to_string(FreePort()));
  ASSERT_TRUE(store.ok());
  GlobalPosition seen(99);
  std::thread waiter([&] { seen = (*store)->WaitForHead(GlobalPosition(100), 600s); });
  std::this_thread::sleep_for(10ms);  // let it block (not required for correctness)
  (*store)->Close();
  waiter.join();
  EXPECT_EQ(seen, kNoPosition);
}

TEST(FollowerStoreTest, CloseStopsAConnectedFeed) {
  TestFeedServer server;
  auto store = FollowerStore::Open(server.url(), FastRetry());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE(WaitUntil([&] { return (*store)->connected(); }));
  (*store)->Close();
  EXPECT_FALSE((*store)->connected());
}

}  // namespace
}  // namespace duet::follow
