// The EventStore contract (include/duet/event_store.h), the same test bodies
// on every backend (tests/store/conformance_backend.h). Concurrent cases are
// in conformance_concurrency_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "duet/command_bus.h"
#include "duet/repository.h"
#include "tests/domain/tally.h"
#include "tests/store/conformance_backend.h"
#include "tests/store/store_test_util.h"
#include "tests/support/store_decorators.h"
#include "tests/support/subscription_collector.h"

namespace duet {
namespace {

using testing::MakeEvents;

class ConformanceTest : public testing::StoreConformanceTest {
 protected:
  // Appends `n` events with fresh ids; the result must be OK.
  AppendResult Put(const std::string& stream, ExpectedVersion expected, int n = 1) {
    std::vector<EventData> events = Events(n);
    auto appended = store_->Append(stream, expected, events);
    EXPECT_TRUE(appended.ok()) << appended.status();
    return appended.ok() ? *appended : AppendResult{};
  }

  static std::vector<EventData> Events(int n, const std::string& prefix = "e") {
    std::vector<EventData> events = MakeEvents(n, prefix);
    for (EventData& event : events) event.id = EventId::Random();
    return events;
  }

  std::vector<RecordedEvent> Stream(const std::string& stream) {
    auto read = store_->ReadStream(stream, StreamVersion(0), 100'000, ReadDirection::kForward);
    EXPECT_TRUE(read.ok()) << read.status();
    return read.ok() ? *read : std::vector<RecordedEvent>{};
  }

  std::vector<RecordedEvent> All() {
    auto read = store_->ReadAll(GlobalPosition(1), 100'000);
    EXPECT_TRUE(read.ok()) << read.status();
    return read.ok() ? *read : std::vector<RecordedEvent>{};
  }

  // A conflict on `stream` whose actual version is `actual`.
  static void ExpectConflict(const Status& status, const std::string& stream,
                             std::optional<uint64_t> actual) {
    EXPECT_TRUE(status.IsWrongExpectedVersion()) << status;
    EXPECT_EQ(status.subject(), stream) << status;
    EXPECT_EQ(status.actual_version(), actual) << status;
  }
};

// ---- expected versions ----

TEST_P(ConformanceTest, NoStreamAppendsToANewStreamAndConflictsOnceItExists) {
  const AppendResult first = Put("order-1", ExpectedVersion::NoStream(), 2);
  EXPECT_EQ(first.next_expected_version, StreamVersion(1));
  EXPECT_EQ(first.position, GlobalPosition(2));
  std::vector<EventData> more = Events(1);
  auto again = store_->Append("order-1", ExpectedVersion::NoStream(), more);
  ExpectConflict(again.status(), "order-1", 1);
  EXPECT_EQ(Stream("order-1").size(), 2u);
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(2));
}

TEST_P(ConformanceTest, StreamExistsConflictsOnAMissingStreamAndAppendsToAnExistingOne) {
  std::vector<EventData> events = Events(1);
  auto missing = store_->Append("order-1", ExpectedVersion::StreamExists(), events);
  ExpectConflict(missing.status(), "order-1", std::nullopt);
  EXPECT_TRUE(Stream("order-1").empty());
  EXPECT_EQ(store_->HeadPosition(), kNoPosition);
  Put("order-1", ExpectedVersion::NoStream());
  EXPECT_EQ(Put("order-1", ExpectedVersion::StreamExists()).next_expected_version,
            StreamVersion(1));
}

TEST_P(ConformanceTest, AnyAppendsWhateverTheStreamHolds) {
  EXPECT_EQ(Put("order-1", ExpectedVersion::Any()).next_expected_version, StreamVersion(0));
  EXPECT_EQ(Put("order-1", ExpectedVersion::Any(), 2).next_expected_version, StreamVersion(2));
  EXPECT_EQ(Stream("order-1").size(), 3u);
}

TEST_P(ConformanceTest, ExactVersionAppendsOnlyAtThatVersion) {
  Put("order-1", ExpectedVersion::NoStream(), 3);  // versions 0..2
  std::vector<EventData> stale = Events(1);
  auto behind = store_->Append("order-1", ExpectedVersion::Exact(StreamVersion(1)), stale);
  ExpectConflict(behind.status(), "order-1", 2);
  auto ahead = store_->Append("order-1", ExpectedVersion::Exact(StreamVersion(5)), stale);
  ExpectConflict(ahead.status(), "order-1", 2);
  auto none = store_->Append("order-2", ExpectedVersion::Exact(StreamVersion(0)), stale);
  ExpectConflict(none.status(), "order-2", std::nullopt);
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(3));
  const AppendResult ok = Put("order-1", ExpectedVersion::Exact(StreamVersion(2)));
  EXPECT_EQ(ok.next_expected_version, StreamVersion(3));
  EXPECT_EQ(ok.position, GlobalPosition(4));
}

// ---- multi-stream appends ----

TEST_P(ConformanceTest, MultiStreamAppendRecordsEveryStreamUnderOneCommit) {
  Put("stock-1", ExpectedVersion::NoStream());
  std::vector<StreamAppend> appends = {
      {"order-1", ExpectedVersion::NoStream(), Events(2)},
      {"stock-1", ExpectedVersion::Exact(StreamVersion(0)), Events(1)}};
  auto result = store_->AppendMulti(appends);
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_EQ(result->streams.size(), 2u);
  EXPECT_EQ(result->streams[0].next_expected_version, StreamVersion(1));
  EXPECT_EQ(result->streams[0].position, GlobalPosition(3));
  EXPECT_EQ(result->streams[1].next_expected_version, StreamVersion(1));
  EXPECT_EQ(result->streams[1].position, GlobalPosition(4));
  EXPECT_EQ(result->position, GlobalPosition(4));
  const std::vector<RecordedEvent> all = All();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[1].stream, "order-1");
  EXPECT_EQ(all[3].stream, "stock-1");
  EXPECT_EQ(all[3].id, appends[1].events[0].id);
}

TEST_P(ConformanceTest, OneConflictFailsTheWholeMultiStreamAppendAndNothingIsVisible) {
  Put("stock-1", ExpectedVersion::NoStream(), 2);
  std::vector<StreamAppend> appends = {
      {"order-1", ExpectedVersion::NoStream(), Events(2)},
      {"stock-1", ExpectedVersion::Exact(StreamVersion(0)), Events(1)},
      {"audit-1", ExpectedVersion::Any(), Events(1)}};
  auto result = store_->AppendMulti(appends);
  ExpectConflict(result.status(), "stock-1", 1);
  EXPECT_TRUE(Stream("order-1").empty());
  EXPECT_TRUE(Stream("audit-1").empty());
  EXPECT_EQ(Stream("stock-1").size(), 2u);
  EXPECT_EQ(store_->StreamHead("order-1"), std::nullopt);
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(2));
  EXPECT_EQ(All().size(), 2u);
  // The positions were not used up: the next commit continues at 3.
  EXPECT_EQ(Put("order-1", ExpectedVersion::NoStream()).position, GlobalPosition(3));
}

// ---- idempotent retries ----

TEST_P(ConformanceTest, RetryWithTheSameEventIdsReturnsTheOriginalResultAndWritesNothing) {
  Put("order-0", ExpectedVersion::NoStream());
  std::vector<EventData> events = Events(3);
  auto original = store_->Append("order-1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(original.ok()) << original.status();
  Put("order-1", ExpectedVersion::Exact(StreamVersion(2)));  // the stream moves on
  auto retry = store_->Append("order-1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->next_expected_version, original->next_expected_version);
  EXPECT_EQ(retry->position, original->position);
  EXPECT_EQ(Stream("order-1").size(), 4u);
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(5));
}

TEST_P(ConformanceTest, RetryAtAnExactVersionReturnsTheOriginalResult) {
  Put("order-1", ExpectedVersion::NoStream(), 2);
  std::vector<EventData> events = Events(2);
  auto original = store_->Append("order-1", ExpectedVersion::Exact(StreamVersion(1)), events);
  ASSERT_TRUE(original.ok()) << original.status();
  auto retry = store_->Append("order-1", ExpectedVersion::Exact(StreamVersion(1)), events);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->next_expected_version, StreamVersion(3));
  EXPECT_EQ(retry->position, original->position);
  EXPECT_EQ(All().size(), 4u);
}

TEST_P(ConformanceTest, MultiStreamRetryReturnsTheOriginalResult) {
  std::vector<StreamAppend> appends = {{"order-1", ExpectedVersion::NoStream(), Events(1)},
                                       {"stock-1", ExpectedVersion::NoStream(), Events(2)}};
  auto original = store_->AppendMulti(appends);
  ASSERT_TRUE(original.ok()) << original.status();
  auto retry = store_->AppendMulti(appends);
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(retry->position, original->position);
  ASSERT_EQ(retry->streams.size(), 2u);
  EXPECT_EQ(retry->streams[1].next_expected_version, StreamVersion(1));
  EXPECT_EQ(retry->streams[1].position, original->streams[1].position);
  EXPECT_EQ(All().size(), 3u);
}

TEST_P(ConformanceTest, PartialOverlapWithRecordedEventsIsAConflict) {
  std::vector<EventData> events = Events(2);
  ASSERT_TRUE(store_->Append("order-1", ExpectedVersion::NoStream(), events).ok());
  // The same first event, a new second one.
  std::vector<EventData> changed = {events[0], Events(1)[0]};
  ExpectConflict(store_->Append("order-1", ExpectedVersion::NoStream(), changed).status(),
                 "order-1", 1);
  // The recorded events plus one more.
  std::vector<EventData> longer = events;
  longer.push_back(Events(1)[0]);
  ExpectConflict(store_->Append("order-1", ExpectedVersion::NoStream(), longer).status(), "order-1",
                 1);
  // One stream a retry, the other new: not a retry of one commit.
  std::vector<StreamAppend> mixed = {{"order-1", ExpectedVersion::NoStream(), events},
                                     {"stock-1", ExpectedVersion::NoStream(), Events(1)}};
  ExpectConflict(store_->AppendMulti(mixed).status(), "order-1", 1);
  EXPECT_TRUE(Stream("stock-1").empty());
  EXPECT_EQ(All().size(), 2u);
}

TEST_P(ConformanceTest, EventsWithoutIdsGetOneAndAreNeverRetries) {
  std::vector<EventData> events = MakeEvents(1);  // nil id
  ASSERT_TRUE(store_->Append("order-1", ExpectedVersion::NoStream(), events).ok());
  EXPECT_FALSE(Stream("order-1")[0].id.IsNil());
  ExpectConflict(store_->Append("order-1", ExpectedVersion::NoStream(), events).status(), "order-1",
                 0);
  EXPECT_EQ(All().size(), 1u);
}

// ---- reads ----

TEST_P(ConformanceTest, RecordedEventsKeepEveryFieldByteForByte) {
  EventData event{EventId::Random(), "Odd.Type:v2", std::string("bin\0ary\xff\x01", 10),
                  std::string("{\"m\":\"\xc3\xa9\"}")};
  ASSERT_TRUE(store_->Append("$system-x_y.z:@1", ExpectedVersion::NoStream(), {&event, 1}).ok());
  const std::vector<RecordedEvent> read = Stream("$system-x_y.z:@1");
  ASSERT_EQ(read.size(), 1u);
  EXPECT_EQ(read[0].stream, "$system-x_y.z:@1");
  EXPECT_EQ(read[0].id, event.id);
  EXPECT_EQ(read[0].type, event.type);
  EXPECT_EQ(read[0].data, event.data);
  EXPECT_EQ(read[0].metadata, event.metadata);
  EXPECT_EQ(read[0].version, StreamVersion(0));
  EXPECT_EQ(read[0].position, GlobalPosition(1));
  EXPECT_GT(read[0].timestamp_us, 0);
}

TEST_P(ConformanceTest, ReadStreamForwardBackwardFromAndMaxCount) {
  Put("order-1", ExpectedVersion::NoStream(), 5);
  Put("order-2", ExpectedVersion::NoStream(), 2);
  Put("order-1", ExpectedVersion::Any(), 1);  // versions 0..5 of order-1
  auto forward = store_->ReadStream("order-1", StreamVersion(2), 3, ReadDirection::kForward);
  ASSERT_TRUE(forward.ok()) << forward.status();
  ASSERT_EQ(forward->size(), 3u);
  EXPECT_EQ((*forward)[0].version, StreamVersion(2));
  EXPECT_EQ((*forward)[2].version, StreamVersion(4));
  auto tail = store_->ReadStream("order-1", StreamVersion(4), 100, ReadDirection::kForward);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[1].position, GlobalPosition(8));
  auto backward = store_->ReadStream("order-1", kStreamEnd, 2, ReadDirection::kBackward);
  ASSERT_TRUE(backward.ok());
  ASSERT_EQ(backward->size(), 2u);
  EXPECT_EQ((*backward)[0].version, StreamVersion(5));
  EXPECT_EQ((*backward)[1].version, StreamVersion(4));
  auto from = store_->ReadStream("order-1", StreamVersion(1), 10, ReadDirection::kBackward);
  ASSERT_TRUE(from.ok());
  ASSERT_EQ(from->size(), 2u);
  EXPECT_EQ((*from)[1].version, StreamVersion(0));
  auto none = store_->ReadStream("order-1", StreamVersion(0), 0, ReadDirection::kForward);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto past = store_->ReadStream("order-1", StreamVersion(6), 10, ReadDirection::kForward);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->empty());
}

TEST_P(ConformanceTest, AMissingStreamReadsAsEmpty) {
  auto read = store_->ReadStream("order-9", StreamVersion(0), 10, ReadDirection::kForward);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->empty());
  auto back = store_->ReadStream("order-9", kStreamEnd, 10, ReadDirection::kBackward);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->empty());
  EXPECT_EQ(store_->StreamHead("order-9"), std::nullopt);
}

TEST_P(ConformanceTest, ReadAllPagesThroughTheLogInPositionOrder) {
  for (int i = 0; i < 7; ++i) Put("order-" + std::to_string(i % 3), ExpectedVersion::Any(), 3);
  std::vector<RecordedEvent> paged;
  GlobalPosition from(1);
  for (;;) {
    auto page = store_->ReadAll(from, 4);
    ASSERT_TRUE(page.ok()) << page.status();
    if (page->empty()) break;
    EXPECT_LE(page->size(), 4u);
    paged.insert(paged.end(), page->begin(), page->end());
    from = page->back().position.Next();
  }
  ASSERT_EQ(paged.size(), 21u);
  for (size_t i = 0; i < paged.size(); ++i) EXPECT_EQ(paged[i].position, GlobalPosition(i + 1));
  auto from_zero = store_->ReadAll(kNoPosition, 2);
  ASSERT_TRUE(from_zero.ok());
  ASSERT_EQ(from_zero->size(), 2u);
  EXPECT_EQ((*from_zero)[0].position, GlobalPosition(1));
  auto beyond = store_->ReadAll(GlobalPosition(22), 10);
  ASSERT_TRUE(beyond.ok());
  EXPECT_TRUE(beyond->empty());
}

TEST_P(ConformanceTest, StreamHeadAndHeadPositionFollowEveryCommit) {
  EXPECT_EQ(store_->HeadPosition(), kNoPosition);
  Put("order-1", ExpectedVersion::NoStream(), 2);
  Put("order-2", ExpectedVersion::NoStream(), 3);
  EXPECT_EQ(store_->StreamHead("order-1"), StreamVersion(1));
  EXPECT_EQ(store_->StreamHead("order-2"), StreamVersion(2));
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(5));
  // A second instance on the same storage sees the same (reopened for the
  // embedded store, a second node for PostgreSQL).
  store_.reset();
  auto again = OpenStore();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->HeadPosition(), GlobalPosition(5));
  EXPECT_EQ(again->StreamHead("order-2"), StreamVersion(2));
}

TEST_P(ConformanceTest, PositionsAreContiguousFromOneInCommitOrderAndTimestampsNeverDecrease) {
  std::vector<GlobalPosition> acknowledged;
  for (int i = 0; i < 20; ++i) {
    acknowledged.push_back(
        Put("s-" + std::to_string(i % 4), ExpectedVersion::Any(), 1 + i % 3).position);
  }
  EXPECT_TRUE(std::is_sorted(acknowledged.begin(), acknowledged.end()));
  const std::vector<RecordedEvent> all = All();
  ASSERT_EQ(all.size(), static_cast<size_t>(acknowledged.back().value));
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].position, GlobalPosition(i + 1));
    if (i > 0) {
      EXPECT_GE(all[i].timestamp_us, all[i - 1].timestamp_us);
    }
  }
}

// ---- waiting and subscriptions ----

TEST_P(ConformanceTest, WaitForHeadTimesOutBelowThePositionAndWakesOnACommit) {
  Put("order-1", ExpectedVersion::NoStream());
  EXPECT_EQ(store_->WaitForHead(GlobalPosition(1), std::chrono::milliseconds(0)),
            GlobalPosition(1));
  EXPECT_EQ(store_->WaitForHead(GlobalPosition(2), std::chrono::milliseconds(50)),
            GlobalPosition(1));
  GlobalPosition seen;
  std::thread waiter(
      [&] { seen = store_->WaitForHead(GlobalPosition(3), std::chrono::minutes(1)); });
  Put("order-1", ExpectedVersion::Any(), 2);
  waiter.join();
  EXPECT_EQ(seen, GlobalPosition(3));
}

TEST_P(ConformanceTest, SubscribeToAllCatchesUpThenGoesLiveWithoutGapOrDuplicate) {
  for (int i = 0; i < 10; ++i) Put("order-" + std::to_string(i % 3), ExpectedVersion::Any(), 2);
  testing::Collector collector;
  std::mutex mu;
  std::condition_variable cv;
  std::optional<GlobalPosition> caught_up;
  SubscriptionOptions options;
  options.batch_size = 3;
  options.on_caught_up = [&](GlobalPosition at) {
    std::lock_guard lock(mu);
    caught_up = at;
    cv.notify_all();
  };
  auto subscription = store_->SubscribeToAll(GlobalPosition(4), collector.Handler(), options);
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::minutes(1), [&] { return caught_up.has_value(); }));
  }
  EXPECT_EQ(*caught_up, GlobalPosition(20));
  for (int i = 0; i < 5; ++i) Put("live-" + std::to_string(i), ExpectedVersion::NoStream(), 3);
  for (int i = 0; i < 6000 && collector.size() < 31; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  subscription->Stop();
  EXPECT_TRUE(subscription->Wait().ok());
  std::lock_guard lock(collector.mu);
  ASSERT_EQ(collector.events.size(), 31u);  // 5..20 caught up, 21..35 live
  for (size_t i = 0; i < collector.events.size(); ++i) {
    EXPECT_EQ(collector.events[i].position, GlobalPosition(i + 5));
  }
  EXPECT_EQ(collector.events.back().stream, "live-4");
}

// ---- bad input ----

TEST_P(ConformanceTest, AnInvalidStreamNameIsRejectedAndNothingWritten) {
  const std::vector<std::string> names = {"", "has space", "a$b", "slash/no",
                                          std::string(256, 'x')};
  for (const std::string& name : names) {
    std::vector<EventData> events = Events(1);
    auto result = store_->Append(name, ExpectedVersion::Any(), events);
    EXPECT_TRUE(result.status().IsInvalidArgument()) << name << ": " << result.status();
    EXPECT_TRUE(store_->ReadStream(name, StreamVersion(0), 1, ReadDirection::kForward)
                    .status()
                    .IsInvalidArgument())
        << name;
  }
  EXPECT_EQ(store_->HeadPosition(), kNoPosition);
  EXPECT_TRUE(All().empty());
}

TEST_P(ConformanceTest, AnEmptyAppendIsRejectedAndNothingWritten) {
  EXPECT_TRUE(store_->Append("order-1", ExpectedVersion::Any(), {}).status().IsInvalidArgument());
  EXPECT_TRUE(store_->AppendMulti({}).status().IsInvalidArgument());
  std::vector<StreamAppend> one_empty = {{"order-1", ExpectedVersion::Any(), Events(1)},
                                         {"order-2", ExpectedVersion::Any(), {}}};
  EXPECT_TRUE(store_->AppendMulti(one_empty).status().IsInvalidArgument());
  EXPECT_TRUE(All().empty());
}

TEST_P(ConformanceTest, AnOversizedEventOrBadTypeIsRejectedAndNothingWritten) {
  std::vector<StreamAppend> big = {{"order-1", ExpectedVersion::Any(), Events(1)},
                                   {"order-2", ExpectedVersion::Any(), Events(1)}};
  big[1].events[0].data = std::string(Limits{}.max_event_bytes + 1, 'x');
  EXPECT_TRUE(store_->AppendMulti(big).status().IsInvalidArgument());
  std::vector<EventData> bad_type = Events(1);
  bad_type[0].type = "has space";
  EXPECT_TRUE(
      store_->Append("order-1", ExpectedVersion::Any(), bad_type).status().IsInvalidArgument());
  bad_type[0].type = "";
  EXPECT_TRUE(
      store_->Append("order-1", ExpectedVersion::Any(), bad_type).status().IsInvalidArgument());
  std::vector<StreamAppend> twice = {{"order-1", ExpectedVersion::Any(), Events(1)},
                                     {"order-1", ExpectedVersion::Any(), Events(1)}};
  EXPECT_TRUE(store_->AppendMulti(twice).status().IsInvalidArgument());
  EXPECT_TRUE(All().empty());
  EXPECT_EQ(store_->StreamHead("order-1"), std::nullopt);
}

// ---- through the domain layer ----

class DomainConformanceTest : public ConformanceTest {
 protected:
  void SetUp() override {
    ConformanceTest::SetUp();
    counting_ = std::make_unique<testing::CountingStore>(store_.get());
    repo_ = NewRepository();
    bus_ = std::make_unique<CommandBus>(repo_.get());
    ASSERT_TRUE(testing::tally::Register(*bus_).ok());
  }
  void TearDown() override {
    bus_.reset();
    repo_.reset();
    counting_.reset();
  }

  std::unique_ptr<Repository> NewRepository() {
    RepositoryOptions options;
    options.snapshot_dir = dir_ / "snapshots";
    options.snapshot_every = 10;
    return std::make_unique<Repository>(counting_.get(), options);
  }

  std::unique_ptr<testing::CountingStore> counting_;
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<CommandBus> bus_;
};

TEST_P(DomainConformanceTest, ACommandIdDispatchedTwiceHasOneEffect) {
  CommandOptions options;
  options.command_id = "cmd-42";
  auto first = bus_->Dispatch(testing::tally::Add{"1", 5}, options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->duplicate);
  const GlobalPosition head = store_->HeadPosition();
  auto second = bus_->Dispatch(testing::tally::Add{"1", 5}, options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->position, first->position);
  EXPECT_EQ(second->version, first->version);
  EXPECT_EQ(store_->HeadPosition(), head);
  EXPECT_EQ(Stream("tally-1").size(), 1u);
  // Another bus (another node's) over the same store knows it too.
  auto other_repo = NewRepository();
  CommandBus other(other_repo.get());
  ASSERT_TRUE(testing::tally::Register(other).ok());
  auto third = other.Dispatch(testing::tally::Add{"1", 5}, options);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_TRUE(third->duplicate);
  EXPECT_EQ(Stream("tally-1").size(), 1u);
}

TEST_P(DomainConformanceTest, SnapshotsAreWrittenAndUsedOnLoad) {
  int64_t total = 0;
  for (int i = 1; i <= 25; ++i) {
    total += i;
    ASSERT_TRUE(bus_->Dispatch(testing::tally::Add{"1", i}).ok());
  }
  EXPECT_GE(repo_->Stats().snapshots_written, 1u);
  // A fresh repository (an empty cache) starts from the snapshot.
  auto fresh = NewRepository();
  counting_->Reset();
  auto loaded = fresh->Load(testing::tally::kTally, "1");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->state.total, total);
  EXPECT_EQ(loaded->state.count, 25);
  EXPECT_EQ(loaded->version, StreamVersion(24));
  EXPECT_EQ(fresh->Stats().snapshots_loaded, 1u);
  EXPECT_LT(counting_->events_read(), 25u);
  EXPECT_LT(fresh->Stats().events_replayed, 10u);
}

DUET_INSTANTIATE_CONFORMANCE(ConformanceTest);
DUET_INSTANTIATE_CONFORMANCE(DomainConformanceTest);

}  // namespace
}  // namespace duet
