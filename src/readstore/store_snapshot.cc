#include "readstore/store_snapshot.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "readstore/sqlite_db.h"
#include "readstore/sqlite_store_file.h"
#include "util/file_util.h"
#include "util/lock_file.h"

namespace duet::readstore {

namespace fs = std::filesystem;

namespace {

constexpr int64_t kApplicationId = 0x44554554;  // "DUET", as sqlite_store_file.cc writes it

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbHandle = std::unique_ptr<sqlite3, CloseDb>;

struct FinalizeStmt {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StmtHandle = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

Result<DbHandle> OpenReadOnly(const fs::path& file) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(file.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  DbHandle db(raw);
  if (rc != SQLITE_OK) return SqliteError(raw, rc, "opening " + file.string());
  sqlite3_busy_timeout(raw, 5000);
  return db;
}

// CheckStoreFile's statements read nothing but the file under check, so an
// SQL-level error there (a schema SQLite cannot parse, "unsupported file
// format", a table that is not there) means the file is not a whole Duet
// store: corruption, as the header promises. I/O, memory and lock errors keep
// SqliteError's codes.
Status StoreFileError(sqlite3* db, int rc, std::string_view what) {
  switch (rc & 0xff) {
    case SQLITE_ERROR:
    case SQLITE_SCHEMA:
    case SQLITE_FORMAT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_TOOBIG:
      return Status::Corruption(std::string(what) + ": " +
                                (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    default: return SqliteError(db, rc, what);
  }
}

using SqliteErrorFn = Status (*)(sqlite3* db, int rc, std::string_view what);

Result<StmtHandle> Prepare(sqlite3* db, const std::string& sql, SqliteErrorFn error = SqliteError) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &raw, nullptr);
  StmtHandle stmt(raw);
  if (rc != SQLITE_OK) return error(db, rc, sql);
  return stmt;
}

Status SyncFile(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("opening " + file.string() + ": " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (rc != 0) return Status::IOError("fsync " + file.string() + ": " + std::strerror(error));
  return Status::OK();
}

// Every value the first column of `sql` yields must be "ok".
Status ExpectOk(sqlite3* db, const std::string& sql, const fs::path& file) {
  DUET_ASSIGN_OR_RETURN(StmtHandle stmt, Prepare(db, sql, StoreFileError));
  for (;;) {
    const int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) return Status::OK();
    if (rc != SQLITE_ROW) return StoreFileError(db, rc, sql + " on " + file.string());
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    if (text == nullptr || std::strcmp(text, "ok") != 0) {
      return Status::Corruption(file.string() + ": " + (text != nullptr ? text : "?"));
    }
  }
}

// For CheckStoreFile only: errors as StoreFileError.
Result<int64_t> QueryInt(sqlite3* db, const std::string& sql) {
  DUET_ASSIGN_OR_RETURN(StmtHandle stmt, Prepare(db, sql, StoreFileError));
  const int rc = sqlite3_step(stmt.get());
  if (rc == SQLITE_ROW) return sqlite3_column_int64(stmt.get(), 0);
  if (rc == SQLITE_DONE) return int64_t{0};
  return StoreFileError(db, rc, sql);
}

}  // namespace

Status SnapshotStoreFile(const fs::path& store_dir, const fs::path& to) {
  if (store_dir.empty()) {
    return Status::FailedPrecondition("a memory read store has no file to snapshot");
  }
  const fs::path file = store_dir / kStoreFileName;
  std::error_code ec;
  if (!fs::exists(file, ec)) return Status::NotFound("store", file.string() + " does not exist");
  if (fs::exists(to, ec)) return Status::FailedPrecondition(to.string() + " already exists");
  DUET_ASSIGN_OR_RETURN(DbHandle db, OpenReadOnly(file));
  // VACUUM INTO reads in one transaction: a consistent, compacted copy.
  DUET_ASSIGN_OR_RETURN(StmtHandle vacuum, Prepare(db.get(), "VACUUM INTO ?1"));
  sqlite3_bind_text(vacuum.get(), 1, to.c_str(), -1, SQLITE_TRANSIENT);
  const int rc = sqlite3_step(vacuum.get());
  if (rc != SQLITE_DONE) {
    Status error = SqliteError(db.get(), rc, "copying " + file.string());
    fs::remove(to, ec);
    return error;
  }
  Status synced = SyncFile(to);
  if (!synced.ok()) fs::remove(to, ec);
  return synced;
}

Result<GlobalPosition> CheckStoreFile(const fs::path& file, ReadStoreKind kind) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    return Status::Corruption(file.string() + " is missing");
  }
  DUET_ASSIGN_OR_RETURN(DbHandle db, OpenReadOnly(file));
  DUET_RETURN_IF_ERROR(ExpectOk(db.get(), "PRAGMA quick_check", file));
  DUET_ASSIGN_OR_RETURN(int64_t app_id, QueryInt(db.get(), "PRAGMA application_id"));
  if (app_id != kApplicationId) {
    return Status::Corruption(file.string() + " is not a Duet read store");
  }
  DUET_ASSIGN_OR_RETURN(StmtHandle meta,
                        Prepare(db.get(), "SELECT key, value FROM duet_meta", StoreFileError));
  std::optional<int64_t> version;
  std::optional<int64_t> checkpoint;
  std::string stored_kind;
  for (;;) {
    const int rc = sqlite3_step(meta.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      return StoreFileError(db.get(), rc, "reading duet_meta of " + file.string());
    }
    const auto* key = reinterpret_cast<const char*>(sqlite3_column_text(meta.get(), 0));
    const std::string_view k = key != nullptr ? key : "";
    if (k == "format_version") version = sqlite3_column_int64(meta.get(), 1);
    if (k == "checkpoint") checkpoint = sqlite3_column_int64(meta.get(), 1);
    if (k == "kind") {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(meta.get(), 1));
      stored_kind = text != nullptr ? text : "";
    }
  }
  if (!version || !checkpoint || *checkpoint < 0 || stored_kind.empty()) {
    return Status::Corruption(file.string() + ": duet_meta is incomplete");
  }
  if (*version != ReadStoreFormatVersion(kind) || stored_kind != ReadStoreKindName(kind)) {
    return Status::FailedPrecondition(file.string() + " holds a " + stored_kind +
                                      " store of format " + std::to_string(*version));
  }
  return GlobalPosition(uint64_t(*checkpoint));
}

namespace {

// A restore's staging copy, beside the file it replaces (docs/format.md).
constexpr std::string_view kStagedSuffix = ".tmp";

fs::path StoreFileWithSuffix(const fs::path& dir, std::string_view suffix) {
  return dir / (std::string(kStoreFileName) + std::string(suffix));
}

// Removes `dir`'s store files with these suffixes, in this order, then
// fsyncs `dir` if any was there.
Status RemoveStoreFiles(const fs::path& dir, std::initializer_list<std::string_view> suffixes) {
  bool removed = false;
  for (std::string_view suffix : suffixes) {
    const fs::path file = StoreFileWithSuffix(dir, suffix);
    std::error_code ec;
    removed = fs::remove(file, ec) || removed;
    if (ec) return ErrnoToStatus("removing", file, ec.value());
  }
  return removed ? SyncDirectory(dir) : Status::OK();
}

// SQLite's WAL and WAL index go before the database they belong to: a WAL
// left beside a missing or replaced store.db would be replayed into whatever
// file next takes that name.
Status RemoveAllStoreFiles(const fs::path& dir) {
  return RemoveStoreFiles(dir, {"-wal", "-shm", "", kStagedSuffix});
}

// Copies the snapshot's file to `staged`, fsyncs and checks it; on error
// nothing is left at `staged`.
Result<GlobalPosition> StageCopy(ReadStoreKind kind, const fs::path& snapshot_dir,
                                 const fs::path& staged) {
  const fs::path source = snapshot_dir / kStoreFileName;
  std::error_code ec;
  if (!fs::is_regular_file(source, ec)) {
    return Status::Corruption(snapshot_dir.string() + " holds no read store copy");
  }
  fs::copy_file(source, staged, fs::copy_options::overwrite_existing, ec);
  const Status copied = ec ? ErrnoToStatus("copying", source, ec.value()) : SyncFile(staged);
  Result<GlobalPosition> checkpoint =
      copied.ok() ? CheckStoreFile(staged, kind) : Result<GlobalPosition>(copied);
  if (!checkpoint.ok()) fs::remove(staged, ec);
  return checkpoint;
}

}  // namespace

}  // namespace duet::readstore

namespace duet {

namespace fs = std::filesystem;
using readstore::kLockFileName;
using readstore::kStoreFileName;

bool ReadStoreExists(const fs::path& dir) {
  std::error_code ec;
  return !dir.empty() && fs::exists(dir / kStoreFileName, ec);
}

Result<GlobalPosition> SnapshotReadStore(ReadStoreKind kind, const fs::path& store_dir,
                                         const fs::path& copy) {
  DUET_RETURN_IF_ERROR(readstore::SnapshotStoreFile(store_dir, copy));
  Result<GlobalPosition> checkpoint = readstore::CheckStoreFile(copy, kind);
  std::error_code ec;
  if (!checkpoint.ok()) fs::remove(copy, ec);
  return checkpoint;
}

Status InstallReadStoreSnapshot(const fs::path& copy, const fs::path& snapshot_dir) {
  std::error_code ec;
  fs::create_directories(snapshot_dir, ec);
  if (ec) return ErrnoToStatus("creating", snapshot_dir, ec.value());
  const fs::path file = snapshot_dir / kStoreFileName;
  if (fs::exists(file, ec)) {
    return Status::FailedPrecondition(snapshot_dir.string() + " already holds a snapshot");
  }
  fs::rename(copy, file, ec);
  if (ec) return ErrnoToStatus("renaming", copy, ec.value());
  return SyncDirectory(snapshot_dir);
}

Result<GlobalPosition> CheckReadStoreSnapshot(ReadStoreKind kind, const fs::path& snapshot_dir) {
  return readstore::CheckStoreFile(snapshot_dir / kStoreFileName, kind);
}

Result<GlobalPosition> RestoreReadStore(ReadStoreKind kind, const fs::path& snapshot_dir,
                                        const fs::path& store_dir) {
  std::error_code ec;
  fs::create_directories(store_dir, ec);
  if (ec) return ErrnoToStatus("creating", store_dir, ec.value());
  // Held throughout: an open store is never replaced under its connections,
  // and nobody opens the store while its files change.
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<LockFile> lock,
                        LockFile::Acquire(store_dir / kLockFileName));
  const fs::path staged = readstore::StoreFileWithSuffix(store_dir, readstore::kStagedSuffix);
  DUET_ASSIGN_OR_RETURN(GlobalPosition checkpoint,
                        readstore::StageCopy(kind, snapshot_dir, staged));
  // The old store's WAL and index go first (see RemoveAllStoreFiles); then
  // the rename replaces its database in one step.
  Status replaced = readstore::RemoveStoreFiles(store_dir, {"-wal", "-shm"});
  if (replaced.ok()) {
    fs::rename(staged, store_dir / kStoreFileName, ec);
    replaced = ec ? ErrnoToStatus("renaming", staged, ec.value()) : SyncDirectory(store_dir);
  }
  if (!replaced.ok()) {
    (void)readstore::RemoveAllStoreFiles(store_dir);  // the error below says what went wrong
    return replaced;
  }
  return checkpoint;
}

Status RemoveReadStore(const fs::path& dir) {
  std::error_code ec;
  std::unique_ptr<LockFile> lock;
  // No lock file: the store was never opened, so nobody has it open.
  // Acquiring would create one in a folder that never held a store.
  if (fs::exists(dir / kLockFileName, ec)) {
    DUET_ASSIGN_OR_RETURN(lock, LockFile::Acquire(dir / kLockFileName));
  }
  return readstore::RemoveAllStoreFiles(dir);
}

}  // namespace duet
