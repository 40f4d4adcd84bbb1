#include "readstore/store_snapshot.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <memory>
#include <string>

#include "duet/read_store.h"
#include "tests/support/temp_dir.h"

namespace duet::readstore {
namespace {

namespace fs = std::filesystem;
using duet::testing::TempDir;

// A SQLite file written directly (not through a read store), so a test can
// leave out or damage what CheckStoreFile looks at.
void WriteDatabase(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

const std::string kGoodStore =
    "PRAGMA application_id=1146438996;"  // 0x44554554, "DUET"
    "CREATE TABLE duet_meta(key TEXT PRIMARY KEY NOT NULL, value NOT NULL) WITHOUT ROWID;"
    "INSERT INTO duet_meta VALUES('format_version', 1), ('checkpoint', 42), ('kind', 'document');";

TEST(CheckStoreFileTest, HandWrittenStoreFilePasses) {
  // Guards the helper: the checks below fail for what they change, nothing else.
  TempDir dir;
  const fs::path file = dir.path() / "store.db";
  WriteDatabase(file, kGoodStore);
  Result<GlobalPosition> checkpoint = CheckStoreFile(file, ReadStoreKind::kDocument);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(*checkpoint, GlobalPosition(42));
}

// Found by fuzz_snapshot (tests/fuzz/regressions/fuzz_snapshot/
// store_unsupported_schema_format): SQLite's "unsupported file format" came
// back as io_error, not the corruption the header promises for a damaged copy.
TEST(CheckStoreFileTest, UnsupportedSchemaFormatIsCorruption) {
  TempDir dir;
  const fs::path file = dir.path() / "store.db";
  WriteDatabase(file, kGoodStore);
  {
    // The schema format number, a big-endian u32 at byte 44 of the header: 1..4.
    std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(44);
    f.write("\0\0\0\x05", 4);
    ASSERT_TRUE(f.good());
  }
  Result<GlobalPosition> checkpoint = CheckStoreFile(file, ReadStoreKind::kDocument);
  EXPECT_TRUE(checkpoint.status().IsCorruption()) << checkpoint.status();
}

TEST(CheckStoreFileTest, FileWithoutMetaTableIsCorruption) {
  TempDir dir;
  const fs::path file = dir.path() / "store.db";
  WriteDatabase(file, "PRAGMA application_id=1146438996; CREATE TABLE other(x);");
  Result<GlobalPosition> checkpoint = CheckStoreFile(file, ReadStoreKind::kDocument);
  EXPECT_TRUE(checkpoint.status().IsCorruption()) << checkpoint.status();
}

// ------------------------------------- the public functions (duet/read_store.h)

// Commits one batch that puts `key` (document {"v": value}) at `checkpoint`.
Status PutCommitted(DocumentStore& store, const std::string& key, int64_t value,
                    uint64_t checkpoint) {
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<ReadStoreTxn> txn, store.Begin());
  DUET_RETURN_IF_ERROR(static_cast<DocumentTxn&>(*txn).Put(key, {{"v", value}}));
  return store.Commit(std::move(txn), GlobalPosition(checkpoint));
}

std::unique_ptr<DocumentStore> OpenDocuments(const fs::path& dir) {
  auto store = OpenDocumentStore(dir);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? std::move(store).value() : nullptr;
}

// The value of `key` in the store in `dir`, or -1 when there is no such document.
int64_t ValueIn(const fs::path& dir, const std::string& key) {
  auto store = OpenDocuments(dir);
  if (store == nullptr) return -2;
  auto read = store->Get(key);
  EXPECT_TRUE(read.ok()) << read.status();
  return read.ok() && read->doc ? read->doc->at("v").as_int64() : -1;
}

bool Exists(const fs::path& path) {
  std::error_code ec;
  return fs::exists(path, ec);
}

// What a crash leaves: the files of an open store, its last commits only in
// the WAL (16 KiB pages; the WAL checkpoints every 2048 pages, so a small
// store's commits stay there).
void CopyOpenStoreFolder(const fs::path& from, const fs::path& to) {
  ASSERT_TRUE(Exists(from / "store.db-wal"));
  ASSERT_GT(fs::file_size(from / "store.db-wal"), 0u);
  fs::copy(from, to, fs::copy_options::recursive);
}

TEST(ReadStoreFilesTest, SnapshotOfAnOpenStoreHoldsItsCommittedBatchesOnly) {
  TempDir dir;
  auto store = OpenDocuments(dir / "store");
  ASSERT_TRUE(PutCommitted(*store, "a", 1, 5).ok());
  ASSERT_TRUE(Exists(dir / "store" / "store.db-wal"));  // the commit is in the WAL only
  ASSERT_GT(fs::file_size(dir / "store" / "store.db-wal"), 0u);
  auto open_batch = store->Begin();  // not committed while the copy is taken
  ASSERT_TRUE(open_batch.ok());
  ASSERT_TRUE(static_cast<DocumentTxn&>(**open_batch).Put("b", {{"v", 2}}).ok());

  Result<GlobalPosition> copied =
      SnapshotReadStore(ReadStoreKind::kDocument, dir / "store", dir / "copy");
  ASSERT_TRUE(copied.ok()) << copied.status();
  EXPECT_EQ(*copied, GlobalPosition(5));
  ASSERT_TRUE(InstallReadStoreSnapshot(dir / "copy", dir / "snapshot").ok());
  EXPECT_FALSE(Exists(dir / "copy"));
  EXPECT_EQ(CheckReadStoreSnapshot(ReadStoreKind::kDocument, dir / "snapshot").value(),
            GlobalPosition(5));

  Result<GlobalPosition> restored =
      RestoreReadStore(ReadStoreKind::kDocument, dir / "snapshot", dir / "restored");
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_EQ(*restored, GlobalPosition(5));
  EXPECT_EQ(ValueIn(dir / "restored", "a"), 1);
  EXPECT_EQ(ValueIn(dir / "restored", "b"), -1);
}

TEST(ReadStoreFilesTest, SnapshotRefusesWhatItCannotCopyAndLeavesNoCopy) {
  TempDir dir;
  const fs::path copy = dir / "copy";
  EXPECT_EQ(SnapshotReadStore(ReadStoreKind::kDocument, {}, copy).status().code(),
            StatusCode::kFailedPrecondition);  // a memory store has no files
  EXPECT_TRUE(
      SnapshotReadStore(ReadStoreKind::kDocument, dir / "none", copy).status().IsNotFound());
  auto store = OpenDocuments(dir / "store");
  ASSERT_TRUE(PutCommitted(*store, "a", 1, 5).ok());
  EXPECT_EQ(SnapshotReadStore(ReadStoreKind::kSearch, dir / "store", copy).status().code(),
            StatusCode::kFailedPrecondition);  // another kind fails the check
  EXPECT_FALSE(Exists(copy));
  std::ofstream(copy) << "in the way";
  EXPECT_EQ(SnapshotReadStore(ReadStoreKind::kDocument, dir / "store", copy).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(ReadStoreFilesTest, InstallRefusesAFolderThatHoldsASnapshot) {
  TempDir dir;
  auto store = OpenDocuments(dir / "store");
  ASSERT_TRUE(PutCommitted(*store, "a", 1, 5).ok());
  ASSERT_TRUE(SnapshotReadStore(ReadStoreKind::kDocument, dir / "store", dir / "c1").ok());
  ASSERT_TRUE(SnapshotReadStore(ReadStoreKind::kDocument, dir / "store", dir / "c2").ok());
  ASSERT_TRUE(InstallReadStoreSnapshot(dir / "c1", dir / "snapshot").ok());
  EXPECT_EQ(InstallReadStoreSnapshot(dir / "c2", dir / "snapshot").code(),
            StatusCode::kFailedPrecondition);
}

TEST(ReadStoreFilesTest, RestoreReplacesACrashedStoreAndItsWal) {
  TempDir dir;
  {
    auto old_store = OpenDocuments(dir / "old");
    ASSERT_TRUE(PutCommitted(*old_store, "z", 26, 9).ok());
    CopyOpenStoreFolder(dir / "old", dir / "target");  // "z" only in target's WAL
  }
  auto store = OpenDocuments(dir / "store");
  ASSERT_TRUE(PutCommitted(*store, "a", 1, 5).ok());
  ASSERT_TRUE(SnapshotReadStore(ReadStoreKind::kDocument, dir / "store", dir / "copy").ok());
  ASSERT_TRUE(InstallReadStoreSnapshot(dir / "copy", dir / "snapshot").ok());

  Result<GlobalPosition> restored =
      RestoreReadStore(ReadStoreKind::kDocument, dir / "snapshot", dir / "target");
  ASSERT_TRUE(restored.ok()) << restored.status();
  EXPECT_FALSE(Exists(dir / "target" / "store.db-wal"));  // the old WAL was not replayed
  EXPECT_FALSE(Exists(dir / "target" / "store.db.tmp"));
  auto target = OpenDocuments(dir / "target");
  ASSERT_NE(target, nullptr);
  EXPECT_EQ(target->checkpoint(), GlobalPosition(5));
  EXPECT_EQ(target->Get("a")->doc->at("v").as_int64(), 1);
  EXPECT_FALSE(target->Get("z")->doc.has_value());
  // An open store is not replaced under its connections.
  EXPECT_EQ(
      RestoreReadStore(ReadStoreKind::kDocument, dir / "snapshot", dir / "target").status().code(),
      StatusCode::kBusy);
}

TEST(ReadStoreFilesTest, ACorruptSnapshotIsCorruptionAndLeavesTheOldStore) {
  TempDir dir;
  {
    auto store = OpenDocuments(dir / "store");
    ASSERT_TRUE(PutCommitted(*store, "a", 1, 5).ok());
    ASSERT_TRUE(SnapshotReadStore(ReadStoreKind::kDocument, dir / "store", dir / "copy").ok());
  }
  ASSERT_TRUE(InstallReadStoreSnapshot(dir / "copy", dir / "snapshot").ok());
  const fs::path file = dir / "snapshot" / "store.db";
  fs::resize_file(file, fs::file_size(file) / 2);
  EXPECT_TRUE(
      CheckReadStoreSnapshot(ReadStoreKind::kDocument, dir / "snapshot").status().IsCorruption());
  Result<GlobalPosition> restored =
      RestoreReadStore(ReadStoreKind::kDocument, dir / "snapshot", dir / "store");
  EXPECT_TRUE(restored.status().IsCorruption()) << restored.status();
  EXPECT_FALSE(Exists(dir / "store" / "store.db.tmp"));
  EXPECT_EQ(ValueIn(dir / "store", "a"), 1);  // the old store is kept

  fs::remove(file);  // a snapshot folder without its copy
  EXPECT_TRUE(
      CheckReadStoreSnapshot(ReadStoreKind::kDocument, dir / "snapshot").status().IsCorruption());
  EXPECT_TRUE(RestoreReadStore(ReadStoreKind::kDocument, dir / "snapshot", dir / "other")
                  .status()
                  .IsCorruption());
  EXPECT_FALSE(ReadStoreExists(dir / "other"));
}

TEST(ReadStoreFilesTest, RemoveLeavesNoWalOrIndexBehind) {
  TempDir dir;
  auto store = OpenDocuments(dir / "store");
  ASSERT_TRUE(PutCommitted(*store, "a", 1, 5).ok());
  CopyOpenStoreFolder(dir / "store", dir / "crashed");
  EXPECT_EQ(RemoveReadStore(dir / "store").code(), StatusCode::kBusy);  // open
  EXPECT_TRUE(ReadStoreExists(dir / "store"));

  ASSERT_TRUE(ReadStoreExists(dir / "crashed"));
  ASSERT_TRUE(RemoveReadStore(dir / "crashed").ok());
  EXPECT_FALSE(ReadStoreExists(dir / "crashed"));
  for (const char* name : {"store.db", "store.db-wal", "store.db-shm", "store.db.tmp"}) {
    EXPECT_FALSE(Exists(dir / "crashed" / name)) << name;
  }
  // The folder opens as a new, empty store: nothing of the old one comes back.
  EXPECT_EQ(ValueIn(dir / "crashed", "a"), -1);
  EXPECT_TRUE(RemoveReadStore(dir / "never-opened").ok());
  EXPECT_FALSE(Exists(dir / "never-opened" / "LOCK"));
}

}  // namespace
}  // namespace duet::readstore
