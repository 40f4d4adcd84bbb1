// What every SQLite read store shares (src/readstore/sqlite_store_file.h):
// the folder lock, identity checks on open, durability across reopen, and
// the mapping of SQLite errors.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <fstream>

#include "duet/read_store.h"
#include "readstore/sqlite_db.h"
#include "tests/readstore/read_store_test_util.h"

namespace duet {
namespace {

std::filesystem::path DbFile(const testing::TempDir& dir) { return dir.path() / "store.db"; }

// Runs `sql` on the store file directly, as a damaged or foreign file would.
void Tamper(const std::filesystem::path& file, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
}

Status CommitPut(DocumentStore& store, std::string_view key, boost::json::object doc,
                 uint64_t checkpoint, std::optional<ParkedEvent> park = std::nullopt) {
  DUET_ASSIGN_OR_RETURN(auto txn, store.Begin());
  auto* docs = static_cast<DocumentTxn*>(txn.get());
  DUET_RETURN_IF_ERROR(docs->Put(key, std::move(doc), {{"all", "x", std::string(key)}}));
  if (park) DUET_RETURN_IF_ERROR(docs->Park(*park));
  return store.Commit(std::move(txn), GlobalPosition(checkpoint));
}

TEST(SqliteStoreTest, ReopenResumesDataCheckpointAndParked) {
  testing::TempDir dir;
  {
    auto store = OpenDocumentStore(dir.path());
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE(CommitPut(**store, "a", {{"v", 1}}, 5).ok());
    ASSERT_TRUE(
        CommitPut(**store, "b", {{"v", 2}}, 9, ParkedEvent{GlobalPosition(8), "s", "T", "x"}).ok());
  }
  EXPECT_TRUE(std::filesystem::exists(DbFile(dir)));
  auto store = OpenDocumentStore(dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->checkpoint(), GlobalPosition(9));
  auto read = (*store)->Get("a");
  ASSERT_TRUE(read.ok() && read->doc);
  EXPECT_EQ(read->doc->at("v").to_number<int>(), 1);
  EXPECT_EQ(read->position, GlobalPosition(9));
  EXPECT_EQ((*store)->List(testing::Req("all", "x"))->items.size(), 2u);
  auto parked = (*store)->Parked();
  ASSERT_TRUE(parked.ok());
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ((*parked)[0].position, GlobalPosition(8));
  // A lower checkpoint stays refused after the reopen.
  EXPECT_EQ(CommitPut(**store, "c", {}, 8).code(), StatusCode::kFailedPrecondition);
}

TEST(SqliteStoreTest, UncommittedTxnLeavesNothingAfterReopen) {
  testing::TempDir dir;
  {
    auto store = OpenDocumentStore(dir.path());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(CommitPut(**store, "a", {{"v", 1}}, 1).ok());
    auto txn = (*store)->Begin();
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(static_cast<DocumentTxn*>(txn->get())->Put("b", {{"v", 2}}).ok());
  }  // txn destroyed, then the store
  auto store = OpenDocumentStore(dir.path());
  ASSERT_TRUE(store.ok());
  EXPECT_FALSE((*store)->Get("b")->doc.has_value());
  EXPECT_EQ((*store)->checkpoint(), GlobalPosition(1));
}

TEST(SqliteStoreTest, SecondOpenOfTheSameFolderIsBusy) {
  testing::TempDir dir;
  auto first = OpenDocumentStore(dir.path());
  ASSERT_TRUE(first.ok());
  auto second = OpenDocumentStore(dir.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kBusy) << second.status();
  first->reset();
  EXPECT_TRUE(OpenDocumentStore(dir.path()).ok()) << "the lock goes with the store";
}

TEST(SqliteStoreTest, OpeningAsAnotherKindFails) {
  testing::TempDir dir;
  ASSERT_TRUE(OpenDocumentStore(dir.path()).ok());
  auto search = OpenSearchStore(dir.path());
  ASSERT_FALSE(search.ok());
  EXPECT_EQ(search.status().code(), StatusCode::kFailedPrecondition) << search.status();
  auto analytics = OpenReadStore(ReadStoreKind::kAnalytics, dir.path());
  EXPECT_EQ(analytics.status().code(), StatusCode::kFailedPrecondition);
}

TEST(SqliteStoreTest, AnotherFormatVersionFails) {
  testing::TempDir dir;
  ASSERT_TRUE(OpenDocumentStore(dir.path()).ok());
  Tamper(DbFile(dir), "UPDATE duet_meta SET value = 2 WHERE key = 'format_version'");
  auto store = OpenDocumentStore(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition) << store.status();
}

TEST(SqliteStoreTest, AnAnalyticsStoreOfFormatOneFails) {
  testing::TempDir dir;
  ASSERT_TRUE(OpenAnalyticsStore(dir.path()).ok());
  // Format 1 kept minute rollups only: its answers for hours and days would
  // be empty under format 2, so it must be rebuilt, not read.
  Tamper(DbFile(dir), "UPDATE duet_meta SET value = 1 WHERE key = 'format_version'");
  auto store = OpenAnalyticsStore(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition) << store.status();
}

TEST(SqliteStoreTest, MissingMetaIsCorruption) {
  testing::TempDir dir;
  ASSERT_TRUE(OpenDocumentStore(dir.path()).ok());
  Tamper(DbFile(dir), "DELETE FROM duet_meta WHERE key = 'checkpoint'");
  EXPECT_TRUE(OpenDocumentStore(dir.path()).status().IsCorruption());
}

TEST(SqliteStoreTest, ANonSqliteFileIsCorruption) {
  testing::TempDir dir;
  std::ofstream(DbFile(dir)) << std::string(8192, 'x');
  auto store = OpenDocumentStore(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsCorruption()) << store.status();
}

TEST(SqliteStoreTest, AForeignSqliteFileIsCorruption) {
  testing::TempDir dir;
  Tamper(DbFile(dir), "CREATE TABLE t(x)");
  auto store = OpenDocumentStore(dir.path());
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsCorruption()) << store.status();
}

TEST(SqliteStoreTest, OpenReadStoreOpensEachKind) {
  for (ReadStoreKind kind :
       {ReadStoreKind::kDocument, ReadStoreKind::kSearch, ReadStoreKind::kAnalytics}) {
    testing::TempDir dir;
    auto store = OpenReadStore(kind, dir.path());
    ASSERT_TRUE(store.ok()) << ReadStoreKindName(kind) << ": " << store.status();
    EXPECT_EQ((*store)->kind(), kind);
  }
}

TEST(SqliteStoreTest, UnwritableFolderIsAnError) {
  testing::TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  auto store = OpenDocumentStore(dir.path() / "file" / "sub");
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(store.status().IsIOError()) << store.status();
}

// ------------------------------------------------- every kind, same rules

// Writes one entry into a transaction of any kind.
Status WriteOne(ReadStoreTxn& txn, ReadStoreKind kind, const std::string& key) {
  switch (kind) {
    case ReadStoreKind::kDocument: return static_cast<DocumentTxn&>(txn).Put(key, {{"k", key}});
    case ReadStoreKind::kSearch:
      return static_cast<SearchTxn&>(txn).Upsert(key, SearchDocument{{{"t", key}}, {}, {}});
    case ReadStoreKind::kAnalytics: return static_cast<AnalyticsTxn&>(txn).Record(key, {}, 0, 1);
  }
  return Status::OK();
}

std::vector<std::string> EntryKeys(ReadStore& store) {
  std::vector<std::string> keys;
  Status s =
      store.ForEachEntry([&](std::string_view k, std::string_view) { keys.emplace_back(k); });
  EXPECT_TRUE(s.ok()) << s;
  return keys;
}

class EveryKindTest : public ::testing::TestWithParam<ReadStoreKind> {
 protected:
  std::unique_ptr<ReadStore> Open() {
    return testing::ValueOrThrow(OpenReadStore(GetParam(), dir_.path()));
  }
  Status CommitOne(ReadStore& store, const std::string& key, uint64_t checkpoint,
                   std::optional<ParkedEvent> park = std::nullopt) {
    DUET_ASSIGN_OR_RETURN(auto txn, store.Begin());
    DUET_RETURN_IF_ERROR(WriteOne(*txn, GetParam(), key));
    if (park) DUET_RETURN_IF_ERROR(txn->Park(*park));
    return store.Commit(std::move(txn), GlobalPosition(checkpoint));
  }
  testing::TempDir dir_;
};

TEST_P(EveryKindTest, CheckpointBehindIsRefusedAndChangesNothing) {
  auto store = Open();
  ASSERT_TRUE(CommitOne(*store, "a", 10).ok());
  Status s = CommitOne(*store, "b", 9);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(store->checkpoint(), GlobalPosition(10));
  EXPECT_EQ(EntryKeys(*store).size(), 1u);
  EXPECT_TRUE(CommitOne(*store, "c", 10).ok()) << "the store is usable after a refusal";
}

TEST_P(EveryKindTest, DestroyedTxnLeavesNothingAndFreesTheStore) {
  auto store = Open();
  ASSERT_TRUE(CommitOne(*store, "a", 1).ok());
  {
    auto txn = store->Begin();
    ASSERT_TRUE(txn.ok()) << txn.status();
    ASSERT_TRUE(WriteOne(**txn, GetParam(), "b").ok());
    ASSERT_TRUE((*txn)->Park({GlobalPosition(2), "s", "T", "e"}).ok());
    EXPECT_EQ(store->Begin().status().code(), StatusCode::kFailedPrecondition);
  }
  EXPECT_EQ(EntryKeys(*store).size(), 1u);
  EXPECT_TRUE(store->Parked()->empty());
  EXPECT_EQ(store->checkpoint(), GlobalPosition(1));
  ASSERT_TRUE(CommitOne(*store, "c", 3).ok());
  EXPECT_EQ(EntryKeys(*store).size(), 2u);
}

TEST_P(EveryKindTest, EntriesCheckpointAndParkedSurviveReopen) {
  std::vector<std::string> before;
  {
    auto store = Open();
    ASSERT_TRUE(CommitOne(*store, "b", 4, ParkedEvent{GlobalPosition(3), "st", "Ty", "err"}).ok());
    ASSERT_TRUE(CommitOne(*store, "a", 6).ok());
    before = EntryKeys(*store);
  }
  auto store = Open();
  EXPECT_EQ(store->checkpoint(), GlobalPosition(6));
  EXPECT_EQ(EntryKeys(*store), before);
  EXPECT_TRUE(std::is_sorted(before.begin(), before.end())) << "entries come in key order";
  auto parked = store->Parked();
  ASSERT_TRUE(parked.ok()) << parked.status();
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ((*parked)[0].stream, "st");
  EXPECT_EQ((*parked)[0].error, "err");
}

TEST_P(EveryKindTest, SecondOpenIsBusy) {
  auto store = Open();
  EXPECT_EQ(OpenReadStore(GetParam(), dir_.path()).status().code(), StatusCode::kBusy);
}

INSTANTIATE_TEST_SUITE_P(AllKinds, EveryKindTest,
                         ::testing::Values(ReadStoreKind::kDocument, ReadStoreKind::kSearch,
                                           ReadStoreKind::kAnalytics),
                         [](const auto& info) {
                           return std::string(ReadStoreKindName(info.param));
                         });

TEST(SqliteErrorTest, MapsResultCodes) {
  EXPECT_EQ(readstore::SqliteError(nullptr, SQLITE_FULL, "w").code(), StatusCode::kStorageFull);
  EXPECT_EQ(readstore::SqliteError(nullptr, SQLITE_BUSY, "w").code(), StatusCode::kBusy);
  EXPECT_EQ(readstore::SqliteError(nullptr, SQLITE_LOCKED, "w").code(), StatusCode::kBusy);
  EXPECT_EQ(readstore::SqliteError(nullptr, SQLITE_CORRUPT, "w").code(), StatusCode::kCorruption);
  EXPECT_EQ(readstore::SqliteError(nullptr, SQLITE_NOTADB, "w").code(), StatusCode::kCorruption);
  EXPECT_EQ(readstore::SqliteError(nullptr, SQLITE_IOERR_WRITE, "w").code(), StatusCode::kIOError);
  EXPECT_EQ(readstore::SqliteError(nullptr, SQLITE_BUSY_SNAPSHOT, "w").code(), StatusCode::kBusy);
  EXPECT_NE(readstore::SqliteError(nullptr, SQLITE_FULL, "writing").message().find("writing"),
            std::string::npos);
}

}  // namespace
}  // namespace duet
