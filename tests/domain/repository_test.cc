#include "duet/repository.h"

#include <gtest/gtest.h>

#include "domain/snapshot_store.h"
#include "duet/embedded_store.h"
#include "tests/domain/tally.h"
#include "tests/support/store_decorators.h"
#include "tests/support/temp_dir.h"
#include "util/file_util.h"

namespace duet {
namespace {

using testing::tally::AddedEvent;
using testing::tally::kTally;
using testing::tally::kTallyPlain;
using testing::tally::kTallyV2;

StoreOptions Fast() {
  StoreOptions options;
  options.durability.mode = Durability::Mode::kNone;
  return options;
}

class RepositoryTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenStore("data"); }

  void OpenStore(const std::string& name) {
    counting_.reset();
    store_.reset();
    store_ = EmbeddedStore::Open(dir_ / name, Fast()).value();
    counting_ = std::make_unique<testing::CountingStore>(store_.get());
  }

  RepositoryOptions Options(uint64_t every = 10, size_t cache = 100) {
    RepositoryOptions options;
    options.snapshot_dir = dir_ / "snapshots";
    options.snapshot_every = every;
    options.cache_capacity = cache;
    return options;
  }

  // Appends events with amounts first, first+1, ... to `stream`; returns their sum.
  int64_t Seed(const std::string& stream, int n, int64_t first = 1) {
    std::vector<EventData> events;
    int64_t sum = 0;
    for (int i = 0; i < n; ++i) {
      events.push_back(AddedEvent(first + i));
      sum += first + i;
    }
    EXPECT_TRUE(store_->Append(stream, ExpectedVersion::Any(), events).ok());
    return sum;
  }

  domain::SnapshotStore Snapshots() { return domain::SnapshotStore(dir_ / "snapshots"); }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
  std::unique_ptr<testing::CountingStore> counting_;
};

TEST_F(RepositoryTest, NewAggregateHasInitialStateAndNoVersion) {
  Repository repo(counting_.get(), Options());
  auto loaded = repo.Load(kTally, "1");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->state, testing::tally::State{});
  EXPECT_FALSE(loaded->version.has_value());
  EXPECT_EQ(loaded->position, kNoPosition);
}

TEST_F(RepositoryTest, LoadFoldsEveryEvent) {
  const int64_t sum = Seed("tally-1", 25);
  Repository repo(counting_.get(), Options(0));
  auto loaded = repo.Load(kTally, "1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->state.total, sum);
  EXPECT_EQ(loaded->state.count, 25);
  EXPECT_EQ(loaded->version, StreamVersion(24));
  EXPECT_EQ(loaded->position, store_->HeadPosition());
  EXPECT_EQ(counting_->events_read(), 25u);
}

TEST_F(RepositoryTest, LoadReadsInPages) {
  Seed("tally-1", 25);
  RepositoryOptions options = Options(0);
  options.read_page_size = 7;
  Repository repo(counting_.get(), options);
  ASSERT_EQ(repo.Load(kTally, "1")->state.count, 25);
  EXPECT_EQ(counting_->stream_reads(), 4u);  // 7 + 7 + 7 + 4
}

TEST_F(RepositoryTest, BadIdIsInvalidArgument) {
  Repository repo(counting_.get(), Options());
  EXPECT_TRUE(repo.Load(kTally, "no spaces").status().IsInvalidArgument());
}

TEST_F(RepositoryTest, UndecodableEventIsCorruptionNamingTheEvent) {
  Seed("tally-1", 2);
  EventData mystery{EventId::Random(), "Mystery", "{}", "{}"};
  ASSERT_TRUE(store_->Append("tally-1", ExpectedVersion::Any(), {&mystery, 1}).ok());
  Repository repo(counting_.get(), Options());
  auto loaded = repo.Load(kTally, "1");
  ASSERT_TRUE(loaded.status().IsCorruption());
  EXPECT_NE(loaded.status().message().find("tally-1@2"), std::string::npos);
}

TEST_F(RepositoryTest, LoadWritesSnapshotAfterNEvents) {
  Seed("tally-1", 25);
  Repository repo(counting_.get(), Options(10));
  ASSERT_TRUE(repo.Load(kTally, "1").ok());
  EXPECT_EQ(repo.Stats().snapshots_written, 1u);
  auto snapshot = Snapshots().Read("tally-1");
  ASSERT_TRUE(snapshot.ok() && snapshot->has_value());
  EXPECT_EQ((*snapshot)->version, StreamVersion(24));
  EXPECT_EQ((*snapshot)->schema_version, 1u);
}

TEST_F(RepositoryTest, FewerThanNEventsWriteNoSnapshot) {
  Seed("tally-1", 9);
  Repository repo(counting_.get(), Options(10));
  ASSERT_TRUE(repo.Load(kTally, "1").ok());
  EXPECT_EQ(repo.Stats().snapshots_written, 0u);
  EXPECT_FALSE(std::filesystem::exists(Snapshots().PathFor("tally-1")));
}

TEST_F(RepositoryTest, LoadStartsFromSnapshotAndReadsOnlyLaterEvents) {
  int64_t sum = Seed("tally-1", 25);
  {
    Repository writer(counting_.get(), Options(10));
    ASSERT_TRUE(writer.Load(kTally, "1").ok());
  }
  sum += Seed("tally-1", 5, 100);
  counting_->Reset();
  Repository repo(counting_.get(), Options(10));
  auto loaded = repo.Load(kTally, "1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->state.total, sum);
  EXPECT_EQ(loaded->state.count, 30);
  EXPECT_EQ(loaded->version, StreamVersion(29));
  // The snapshot's own last event (checked, not folded) plus the 5 after it.
  EXPECT_EQ(counting_->events_read(), 6u);
  EXPECT_EQ(repo.Stats().snapshots_loaded, 1u);
  EXPECT_EQ(repo.Stats().events_replayed, 5u);
}

TEST_F(RepositoryTest, SnapshotOfAnotherSchemaIsIgnoredAndRewritten) {
  const int64_t sum = Seed("tally-1", 25);
  {
    Repository writer(counting_.get(), Options(10));
    ASSERT_TRUE(writer.Load(kTally, "1").ok());
  }
  counting_->Reset();
  Repository repo(counting_.get(), Options(10));
  auto loaded = repo.Load(kTallyV2, "1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->state.total, sum);
  EXPECT_EQ(counting_->events_read(), 25u);
  EXPECT_EQ(repo.Stats().snapshots_rejected, 1u);
  EXPECT_EQ(repo.Stats().snapshots_written, 1u);
  EXPECT_EQ((*Snapshots().Read("tally-1"))->schema_version, 2u);
}

TEST_F(RepositoryTest, CorruptSnapshotIsIgnoredAndRewritten) {
  const int64_t sum = Seed("tally-1", 25);
  {
    Repository writer(counting_.get(), Options(10));
    ASSERT_TRUE(writer.Load(kTally, "1").ok());
  }
  const auto path = Snapshots().PathFor("tally-1");
  std::string bytes = ReadWholeFile(path).value();
  bytes[bytes.size() / 2] ^= 0x01;
  ASSERT_TRUE(WriteFileAtomically(path, bytes).ok());
  counting_->Reset();
  Repository repo(counting_.get(), Options(10));
  auto loaded = repo.Load(kTally, "1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->state.total, sum);
  EXPECT_EQ(counting_->events_read(), 25u);
  EXPECT_EQ(repo.Stats().snapshots_rejected, 1u);
  EXPECT_TRUE(Snapshots().Read("tally-1").ok());  // rewritten, readable again
}

TEST_F(RepositoryTest, SnapshotWhoseStateDoesNotDecodeIsIgnored) {
  const int64_t sum = Seed("tally-1", 25);
  {
    Repository writer(counting_.get(), Options(10));
    ASSERT_TRUE(writer.Load(kTally, "1").ok());
  }
  domain::Snapshot snapshot = **Snapshots().Read("tally-1");
  snapshot.payload = R"({"total":"not a number"})";
  ASSERT_TRUE(Snapshots().Write(snapshot).ok());
  Repository repo(counting_.get(), Options(10));
  auto loaded = repo.Load(kTally, "1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->state.total, sum);
  EXPECT_EQ(repo.Stats().snapshots_rejected, 1u);
}

TEST_F(RepositoryTest, SnapshotBeyondTheStreamHeadIsStale) {
  Seed("tally-1", 25);
  {
    Repository writer(counting_.get(), Options(10));
    ASSERT_TRUE(writer.Load(kTally, "1").ok());
  }
  OpenStore("other-data");  // same snapshot folder, a different (shorter) log
  const int64_t sum = Seed("tally-1", 5, 1000);
  Repository repo(counting_.get(), Options(10));
  auto loaded = repo.Load(kTally, "1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->state.total, sum);
  EXPECT_EQ(loaded->version, StreamVersion(4));
  EXPECT_EQ(repo.Stats().snapshots_rejected, 1u);
  EXPECT_EQ((*Snapshots().Read("tally-1"))->version, StreamVersion(4));  // rewritten
}

TEST_F(RepositoryTest, SnapshotOfOtherEventsAtThatVersionIsStale) {
  Seed("tally-1", 25);
  {
    Repository writer(counting_.get(), Options(10));
    ASSERT_TRUE(writer.Load(kTally, "1").ok());
  }
  OpenStore("other-data");  // as long a stream, but other events (other ids)
  const int64_t sum = Seed("tally-1", 30, 1000);
  Repository repo(counting_.get(), Options(10));
  auto loaded = repo.Load(kTally, "1");
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded->state.total, sum);
  EXPECT_EQ(repo.Stats().snapshots_loaded, 0u);
  EXPECT_EQ(repo.Stats().snapshots_rejected, 1u);
}

TEST_F(RepositoryTest, DeciderWithoutStateCodecIsNeverSnapshotted) {
  Seed("tally-1", 25);
  Repository repo(counting_.get(), Options(10));
  ASSERT_TRUE(repo.Load(kTallyPlain, "1").ok());
  EXPECT_EQ(repo.Stats().snapshots_written, 0u);
}

TEST_F(RepositoryTest, PerCategorySettingOverridesTheDefault) {
  Seed("tally-1", 6);
  RepositoryOptions options = Options(0);
  options.snapshot_every_by_category["tally"] = 5;
  Repository repo(counting_.get(), options);
  ASSERT_TRUE(repo.Load(kTally, "1").ok());
  EXPECT_EQ(repo.Stats().snapshots_written, 1u);
}

TEST_F(RepositoryTest, CachedAggregateReadsNothing) {
  Seed("tally-1", 3);
  Repository repo(counting_.get(), Options());
  ASSERT_TRUE(repo.Load(kTally, "1").ok());
  counting_->Reset();
  auto again = repo.Load(kTally, "1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->state.count, 3);
  EXPECT_EQ(counting_->stream_reads(), 0u);
  EXPECT_EQ(repo.Stats().cache_hits, 1u);
}

TEST_F(RepositoryTest, CacheIsBoundedAndEvictsLeastRecentlyUsed) {
  for (const char* s : {"tally-a", "tally-b", "tally-c"}) Seed(s, 2);
  Repository repo(counting_.get(), Options(10, /*cache=*/2));
  ASSERT_TRUE(repo.Load(kTally, "a").ok());
  ASSERT_TRUE(repo.Load(kTally, "b").ok());
  ASSERT_TRUE(repo.Load(kTally, "a").ok());  // a is now the most recent
  ASSERT_TRUE(repo.Load(kTally, "c").ok());  // evicts b
  EXPECT_EQ(repo.Stats().cache_size, 2u);
  EXPECT_EQ(repo.Stats().cache_evictions, 1u);
  counting_->Reset();
  ASSERT_TRUE(repo.Load(kTally, "a").ok());
  EXPECT_EQ(counting_->stream_reads(), 0u);
  ASSERT_TRUE(repo.Load(kTally, "b").ok());
  EXPECT_GT(counting_->stream_reads(), 0u);
}

TEST_F(RepositoryTest, ZeroCapacityCachesNothing) {
  Seed("tally-1", 2);
  Repository repo(counting_.get(), Options(10, 0));
  ASSERT_TRUE(repo.Load(kTally, "1").ok());
  counting_->Reset();
  ASSERT_TRUE(repo.Load(kTally, "1").ok());
  EXPECT_GT(counting_->stream_reads(), 0u);
}

TEST_F(RepositoryTest, InvalidateForcesAReload) {
  Seed("tally-1", 2);
  Repository repo(counting_.get(), Options());
  ASSERT_TRUE(repo.Load(kTally, "1").ok());
  Seed("tally-1", 1, 50);                             // written behind the repository's back
  EXPECT_EQ(repo.Load(kTally, "1")->state.count, 2);  // stale hint, as documented
  repo.Invalidate("tally-1");
  EXPECT_EQ(repo.Load(kTally, "1")->state.count, 3);
}

}  // namespace
}  // namespace duet
