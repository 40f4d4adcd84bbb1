#include "duet/embedded_store.h"

#include <gtest/gtest.h>

#include "tests/store/store_test_util.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

using testing::FastOptions;
using testing::MakeEvent;
using testing::MakeEvents;
using testing::TempDir;

class EmbeddedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen(StoreOptions options = FastOptions()) {
    store_.reset();
    auto opened = EmbeddedStore::Open(dir_.path(), options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(opened).value();
  }
  AppendResult MustAppend(const std::string& stream, ExpectedVersion expected, int n) {
    auto result = store_->Append(stream, expected, MakeEvents(n, stream));
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : AppendResult{};
  }

  TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
};

TEST_F(EmbeddedStoreTest, FirstAppendGetsPositionOneAndVersionZero) {
  AppendResult r = MustAppend("account-1", ExpectedVersion::NoStream(), 1);
  EXPECT_EQ(r.position, GlobalPosition(1));
  EXPECT_EQ(r.next_expected_version, StreamVersion(0));
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(1));
  EXPECT_EQ(store_->StreamHead("account-1"), StreamVersion(0));
}

TEST_F(EmbeddedStoreTest, BatchGetsContiguousPositionsAndVersions) {
  AppendResult r = MustAppend("s-1", ExpectedVersion::Any(), 5);
  EXPECT_EQ(r.position, GlobalPosition(5));
  EXPECT_EQ(r.next_expected_version, StreamVersion(4));
  auto events = store_->ReadStream("s-1", StreamVersion(0), 100, ReadDirection::kForward);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 5u);
  for (uint64_t i = 0; i < 5; ++i) {
    EXPECT_EQ((*events)[i].version, StreamVersion(i));
    EXPECT_EQ((*events)[i].position, GlobalPosition(i + 1));
    EXPECT_EQ((*events)[i].data, "{\"s-1\":" + std::to_string(i) + "}");
    EXPECT_FALSE((*events)[i].id.IsNil());
  }
}

TEST_F(EmbeddedStoreTest, NoStreamConflictsWhenStreamExists) {
  MustAppend("s-1", ExpectedVersion::NoStream(), 2);
  auto r = store_->Append("s-1", ExpectedVersion::NoStream(), MakeEvents(1));
  ASSERT_TRUE(r.status().IsWrongExpectedVersion());
  EXPECT_EQ(r.status().actual_version(), 1u);
  EXPECT_EQ(r.status().subject(), "s-1");
}

TEST_F(EmbeddedStoreTest, StreamExistsConflictsWhenStreamMissing) {
  auto r = store_->Append("s-1", ExpectedVersion::StreamExists(), MakeEvents(1));
  ASSERT_TRUE(r.status().IsWrongExpectedVersion());
  EXPECT_EQ(r.status().actual_version(), std::nullopt);
  MustAppend("s-1", ExpectedVersion::Any(), 1);
  MustAppend("s-1", ExpectedVersion::StreamExists(), 1);
  EXPECT_EQ(store_->StreamHead("s-1"), StreamVersion(1));
}

TEST_F(EmbeddedStoreTest, ExactVersionMustMatchLastVersion) {
  MustAppend("s-1", ExpectedVersion::NoStream(), 3);
  auto stale = store_->Append("s-1", ExpectedVersion::Exact(StreamVersion(1)), MakeEvents(1));
  ASSERT_TRUE(stale.status().IsWrongExpectedVersion());
  EXPECT_EQ(stale.status().actual_version(), 2u);
  auto ahead = store_->Append("s-1", ExpectedVersion::Exact(StreamVersion(7)), MakeEvents(1));
  ASSERT_TRUE(ahead.status().IsWrongExpectedVersion());
  AppendResult ok = MustAppend("s-1", ExpectedVersion::Exact(StreamVersion(2)), 1);
  EXPECT_EQ(ok.next_expected_version, StreamVersion(3));
}

TEST_F(EmbeddedStoreTest, ExactVersionOnMissingStreamConflicts) {
  auto r = store_->Append("s-1", ExpectedVersion::Exact(StreamVersion(0)), MakeEvents(1));
  ASSERT_TRUE(r.status().IsWrongExpectedVersion());
  EXPECT_EQ(store_->HeadPosition(), kNoPosition);
}

TEST_F(EmbeddedStoreTest, AnyAlwaysAppends) {
  MustAppend("s-1", ExpectedVersion::Any(), 1);
  MustAppend("s-1", ExpectedVersion::Any(), 1);
  EXPECT_EQ(store_->StreamHead("s-1"), StreamVersion(1));
}

TEST_F(EmbeddedStoreTest, ReappendingSameIdsAtSamePlaceIsIdempotent) {
  std::vector<EventData> events = {MakeEvent("A", "1", EventId::Random()),
                                   MakeEvent("B", "2", EventId::Random())};
  MustAppend("other-1", ExpectedVersion::Any(), 1);
  auto first = store_->Append("s-1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(first.ok());
  MustAppend("other-1", ExpectedVersion::Any(), 1);
  auto again = store_->Append("s-1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->position, first->position);
  EXPECT_EQ(again->next_expected_version, first->next_expected_version);
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(4));
}

TEST_F(EmbeddedStoreTest, IdempotentAtExactVersionAfterLaterAppends) {
  MustAppend("s-1", ExpectedVersion::NoStream(), 2);
  std::vector<EventData> events = {MakeEvent("A", "1", EventId::Random())};
  auto first = store_->Append("s-1", ExpectedVersion::Exact(StreamVersion(1)), events);
  ASSERT_TRUE(first.ok());
  MustAppend("s-1", ExpectedVersion::Any(), 1);
  auto again = store_->Append("s-1", ExpectedVersion::Exact(StreamVersion(1)), events);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->position, first->position);
  EXPECT_EQ(store_->StreamHead("s-1"), StreamVersion(3));
}

TEST_F(EmbeddedStoreTest, SameIdsWithDifferentIdAtPlaceConflicts) {
  std::vector<EventData> events = {MakeEvent("A", "1", EventId::Random())};
  ASSERT_TRUE(store_->Append("s-1", ExpectedVersion::NoStream(), events).ok());
  events[0].id = EventId::Random();
  auto r = store_->Append("s-1", ExpectedVersion::NoStream(), events);
  EXPECT_TRUE(r.status().IsWrongExpectedVersion());
}

TEST_F(EmbeddedStoreTest, StoreAssignedIdsAreNeverIdempotent) {
  MustAppend("s-1", ExpectedVersion::NoStream(), 1);
  auto r = store_->Append("s-1", ExpectedVersion::NoStream(), MakeEvents(1, "s-1"));
  EXPECT_TRUE(r.status().IsWrongExpectedVersion());
}

TEST_F(EmbeddedStoreTest, IdempotencySurvivesReopen) {
  std::vector<EventData> events = {MakeEvent("A", "1", EventId::Random())};
  auto first = store_->Append("s-1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(first.ok());
  Reopen();
  auto again = store_->Append("s-1", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->position, first->position);
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(1));
}

TEST_F(EmbeddedStoreTest, MultiStreamAppendIsOneCommit) {
  std::vector<StreamAppend> appends = {
      {"account-a", ExpectedVersion::NoStream(), MakeEvents(1, "a")},
      {"account-b", ExpectedVersion::NoStream(), MakeEvents(2, "b")}};
  auto r = store_->AppendMulti(appends);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->position, GlobalPosition(3));
  EXPECT_EQ(r->streams[0].next_expected_version, StreamVersion(0));
  EXPECT_EQ(r->streams[0].position, GlobalPosition(1));
  EXPECT_EQ(r->streams[1].next_expected_version, StreamVersion(1));
  EXPECT_EQ(r->streams[1].position, GlobalPosition(3));
}

TEST_F(EmbeddedStoreTest, MultiStreamConflictOnOneWritesNothingToAny) {
  MustAppend("account-b", ExpectedVersion::NoStream(), 1);
  std::vector<StreamAppend> appends = {
      {"account-a", ExpectedVersion::NoStream(), MakeEvents(1, "a")},
      {"account-b", ExpectedVersion::NoStream(), MakeEvents(1, "b")}};
  auto r = store_->AppendMulti(appends);
  ASSERT_TRUE(r.status().IsWrongExpectedVersion());
  EXPECT_EQ(r.status().subject(), "account-b");
  EXPECT_EQ(store_->StreamHead("account-a"), std::nullopt);
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(1));
  Reopen();
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(1));
}

TEST_F(EmbeddedStoreTest, MultiStreamRejectsSameStreamTwice) {
  std::vector<StreamAppend> appends = {{"s-1", ExpectedVersion::Any(), MakeEvents(1)},
                                       {"s-1", ExpectedVersion::Any(), MakeEvents(1)}};
  auto r = store_->AppendMulti(appends);
  ASSERT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(store_->HeadPosition(), kNoPosition);
}

TEST_F(EmbeddedStoreTest, ReadStreamForwardFromVersionWithLimit) {
  MustAppend("s-1", ExpectedVersion::Any(), 10);
  auto events = store_->ReadStream("s-1", StreamVersion(3), 4, ReadDirection::kForward);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ(events->front().version, StreamVersion(3));
  EXPECT_EQ(events->back().version, StreamVersion(6));
}

TEST_F(EmbeddedStoreTest, ReadStreamBackwardFromEnd) {
  MustAppend("s-1", ExpectedVersion::Any(), 5);
  auto events = store_->ReadStream("s-1", kStreamEnd, 3, ReadDirection::kBackward);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].version, StreamVersion(4));
  EXPECT_EQ((*events)[2].version, StreamVersion(2));
}

TEST_F(EmbeddedStoreTest, ReadStreamBackwardFromVersionReachesZero) {
  MustAppend("s-1", ExpectedVersion::Any(), 5);
  auto events = store_->ReadStream("s-1", StreamVersion(1), 10, ReadDirection::kBackward);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[1].version, StreamVersion(0));
}

TEST_F(EmbeddedStoreTest, ReadMissingStreamIsEmpty) {
  auto events = store_->ReadStream("nobody-1", StreamVersion(0), 10, ReadDirection::kForward);
  ASSERT_TRUE(events.ok());
  EXPECT_TRUE(events->empty());
  EXPECT_EQ(store_->StreamHead("nobody-1"), std::nullopt);
}

TEST_F(EmbeddedStoreTest, ReadAllInterleavesStreamsInPositionOrder) {
  MustAppend("a-1", ExpectedVersion::Any(), 2);
  MustAppend("b-1", ExpectedVersion::Any(), 1);
  MustAppend("a-1", ExpectedVersion::Any(), 1);
  auto events = store_->ReadAll(GlobalPosition(2), 10);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].stream, "a-1");
  EXPECT_EQ((*events)[1].stream, "b-1");
  EXPECT_EQ((*events)[2].stream, "a-1");
  EXPECT_EQ((*events)[2].version, StreamVersion(2));
  auto none = store_->ReadAll(GlobalPosition(5), 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(EmbeddedStoreTest, InvalidStreamNamesAreNamedErrorsAndWriteNothing) {
  for (std::string bad :
       {std::string(), std::string("has space"), std::string("a/b"), std::string("x$"),
        std::string("$"), std::string(256, 'a'), std::string("tab\there")}) {
    auto r = store_->Append(bad, ExpectedVersion::Any(), MakeEvents(1));
    ASSERT_TRUE(r.status().IsInvalidArgument()) << bad;
    EXPECT_EQ(r.status().subject(), "stream");
  }
  EXPECT_EQ(store_->HeadPosition(), kNoPosition);
  EXPECT_TRUE(store_->Append("$system-1", ExpectedVersion::Any(), MakeEvents(1)).ok());
}

TEST_F(EmbeddedStoreTest, InvalidEventTypeAndSizeAreNamedErrors) {
  auto no_type =
      store_->Append("s-1", ExpectedVersion::Any(), std::vector<EventData>{MakeEvent("", "{}")});
  ASSERT_TRUE(no_type.status().IsInvalidArgument());
  EXPECT_EQ(no_type.status().subject(), "type");
  auto spaced =
      store_->Append("s-1", ExpectedVersion::Any(), std::vector<EventData>{MakeEvent("A B", "{}")});
  EXPECT_EQ(spaced.status().subject(), "type");
  auto big =
      store_->Append("s-1", ExpectedVersion::Any(),
                     std::vector<EventData>{MakeEvent("A", std::string((1 << 20) + 1, 'x'))});
  ASSERT_TRUE(big.status().IsInvalidArgument());
  EXPECT_EQ(big.status().subject(), "data");
  auto empty = store_->Append("s-1", ExpectedVersion::Any(), {});
  EXPECT_EQ(empty.status().subject(), "events");
  EXPECT_EQ(store_->HeadPosition(), kNoPosition);
}

TEST_F(EmbeddedStoreTest, SecondOpenOfSameFolderIsBusy) {
  auto second = EmbeddedStore::Open(dir_.path(), FastOptions());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
}

TEST_F(EmbeddedStoreTest, EventsSurviveReopen) {
  MustAppend("a-1", ExpectedVersion::Any(), 3);
  MustAppend("b-1", ExpectedVersion::Any(), 2);
  Reopen();
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(5));
  EXPECT_EQ(store_->StreamHead("a-1"), StreamVersion(2));
  AppendResult r = MustAppend("b-1", ExpectedVersion::Exact(StreamVersion(1)), 1);
  EXPECT_EQ(r.position, GlobalPosition(6));
}

TEST_F(EmbeddedStoreTest, CleanCloseLeavesCheckpointSoReopenReadsNoLog) {
  MustAppend("a-1", ExpectedVersion::Any(), 7);
  Reopen();
  EXPECT_EQ(store_->open_report().index_checkpoint, GlobalPosition(7));
  EXPECT_EQ(store_->open_report().events_reindexed, 0u);
  EXPECT_EQ(store_->StreamHead("a-1"), StreamVersion(6));
}

TEST_F(EmbeddedStoreTest, ReopenReindexesOnlyAfterCheckpoint) {
  MustAppend("a-1", ExpectedVersion::Any(), 4);
  ASSERT_TRUE(store_->CheckpointIndex().ok());
  MustAppend("a-1", ExpectedVersion::Any(), 3);
  MustAppend("b-1", ExpectedVersion::Any(), 1);
  // Drop the close-time checkpoint to see the periodic one used.
  store_.reset();
  std::filesystem::remove(dir_ / "index/00000000000000000008.idx");
  Reopen();
  EXPECT_EQ(store_->open_report().index_checkpoint, GlobalPosition(4));
  EXPECT_EQ(store_->open_report().events_reindexed, 4u);
  EXPECT_EQ(store_->StreamHead("a-1"), StreamVersion(6));
  EXPECT_EQ(store_->StreamHead("b-1"), StreamVersion(0));
}

TEST_F(EmbeddedStoreTest, CorruptCheckpointIsIgnoredAndIndexRebuilt) {
  MustAppend("a-1", ExpectedVersion::Any(), 5);
  store_.reset();
  const auto path = dir_ / "index/00000000000000000005.idx";
  {
    std::FILE* f = std::fopen(path.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    std::fseek(f, 40, SEEK_SET);
    std::fputc('Z', f);
    std::fclose(f);
  }
  Reopen();
  EXPECT_EQ(store_->open_report().index_checkpoint, kNoPosition);
  EXPECT_EQ(store_->open_report().events_reindexed, 5u);
  EXPECT_EQ(store_->StreamHead("a-1"), StreamVersion(4));
}

TEST_F(EmbeddedStoreTest, CheckpointAheadOfLogIsDiscarded) {
  MustAppend("a-1", ExpectedVersion::Any(), 2);
  store_.reset();
  // A checkpoint claiming events the log does not hold (lost unsynced tail).
  std::filesystem::copy_file(dir_ / "index/00000000000000000002.idx",
                             dir_ / "index/00000000000000000009.idx");
  Reopen();
  EXPECT_FALSE(std::filesystem::exists(dir_ / "index/00000000000000000009.idx"));
  EXPECT_EQ(store_->open_report().index_checkpoint, GlobalPosition(2));
  EXPECT_EQ(store_->HeadPosition(), GlobalPosition(2));
}

TEST_F(EmbeddedStoreTest, ReadsSpanSegmentRolls) {
  StoreOptions options = FastOptions();
  options.segment_size_bytes = 4096;
  Reopen(options);
  for (int i = 0; i < 200; ++i) MustAppend("s-" + std::to_string(i % 7), ExpectedVersion::Any(), 1);
  EXPECT_GT(store_->Stats().segments, 3u);
  Reopen(options);
  auto all = store_->ReadAll(GlobalPosition(1), 1000);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 200u);
  for (uint64_t i = 0; i < 200; ++i) EXPECT_EQ((*all)[i].position, GlobalPosition(i + 1));
  auto s3 = store_->ReadStream("s-3", StreamVersion(0), 1000, ReadDirection::kForward);
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ(s3->size(), 29u);
}

TEST_F(EmbeddedStoreTest, StatsCountStreamsEventsAndBytes) {
  MustAppend("a-1", ExpectedVersion::Any(), 2);
  MustAppend("b-1", ExpectedVersion::Any(), 1);
  StoreStats stats = store_->Stats();
  EXPECT_EQ(stats.streams, 2u);
  EXPECT_EQ(stats.events, 3u);
  EXPECT_EQ(stats.head, GlobalPosition(3));
  EXPECT_GT(stats.log_bytes, 0u);
  store_.reset();
  auto verified = VerifyDataFolder(dir_.path());
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_EQ(verified->events, 3u);
}

TEST_F(EmbeddedStoreTest, SyncDurabilityAppendsAndReadsBack) {
  StoreOptions options;  // sync is the default
  Reopen(options);
  MustAppend("s-1", ExpectedVersion::NoStream(), 3);
  Reopen(options);
  EXPECT_EQ(store_->StreamHead("s-1"), StreamVersion(2));
}

}  // namespace
}  // namespace duet
