#include "readstore/sqlite_store_file.h"

#include <string>
#include <system_error>

#include "util/file_util.h"

namespace duet::readstore {
namespace {

// "DUET" in the SQLite header's application_id: tells a Duet read store
// apart from any other SQLite file before its tables are trusted.
constexpr int64_t kApplicationId = 0x44554554;

constexpr const char* kSharedSchema = R"sql(
CREATE TABLE duet_meta(key TEXT PRIMARY KEY NOT NULL, value NOT NULL) WITHOUT ROWID;
CREATE TABLE duet_parked(
  seq INTEGER PRIMARY KEY,
  position INTEGER NOT NULL,
  stream TEXT NOT NULL,
  type TEXT NOT NULL,
  error TEXT NOT NULL);
CREATE INDEX duet_parked_by_position ON duet_parked(position);
)sql";

constexpr const char* kWriterPragmas = "PRAGMA wal_autocheckpoint=2048;";

Status ConfigureConnection(Connection& db, bool writer) {
  // WAL: readers and the writer do not block each other. synchronous=NORMAL:
  // a commit is not fsynced, but data and checkpoint roll back together, so
  // after a power loss the store is older yet consistent and the runner
  // replays from its checkpoint (docs/decisions.md).
  if (writer) {
    // Takes effect only on a new, empty file: 16 KiB pages halve the b-tree
    // depth and quarter the WAL frames (one write call each) of a commit
    // that touches many small documents.
    DUET_RETURN_IF_ERROR(db.Exec("PRAGMA page_size=16384"));
    DUET_ASSIGN_OR_RETURN(Statement * mode, db.Prepare("PRAGMA journal_mode=WAL"));
    DUET_ASSIGN_OR_RETURN(bool row, mode->Step());
    if (!row || mode->ColumnText(0) != "wal") {
      return Status::IOError("store.db: cannot switch to WAL mode");
    }
    mode->Reset();
    // A checkpoint (WAL pages copied into store.db, then fsync) every
    // 2048 pages (32 MiB) instead of SQLite's 1000: a replay rewrites the
    // same pages batch after batch, and each checkpoint writes a page once
    // however many batches changed it.
    DUET_RETURN_IF_ERROR(db.Exec(kWriterPragmas));
  }
  // Page cache: 32 MiB for the one writer, whose batches rewrite the same
  // pages; 4 MiB for each of up to kMaxReaders readers, which mostly read
  // what the OS page cache already holds. The bound matters on a query node:
  // seven stores with eight busy readers each at 32 MiB would be 2 GiB (the
  // soak saw query nodes grow with their data); at 4 MiB it is 0.4 GiB.
  DUET_RETURN_IF_ERROR(db.Exec(writer ? "PRAGMA cache_size=-32768;" : "PRAGMA cache_size=-4096;"));
  return db.Exec("PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;");
}

Result<int64_t> QueryInt(Connection& db, const char* sql) {
  DUET_ASSIGN_OR_RETURN(Statement * stmt, db.Prepare(sql));
  DUET_ASSIGN_OR_RETURN(bool row, stmt->Step());
  const int64_t value = row ? stmt->ColumnInt64(0) : 0;
  stmt->Reset();
  return value;
}

Status CreateSchema(Connection& db, ReadStoreKind kind, const char* schema_sql) {
  return db.InTransaction("BEGIN IMMEDIATE", [&]() -> Status {
    DUET_RETURN_IF_ERROR(db.Exec(kSharedSchema));
    DUET_RETURN_IF_ERROR(db.Exec(schema_sql));
    DUET_RETURN_IF_ERROR(
        db.Exec(("PRAGMA application_id=" + std::to_string(kApplicationId) + ";").c_str()));
    DUET_ASSIGN_OR_RETURN(Statement * meta,
                          db.Prepare("INSERT INTO duet_meta(key, value) VALUES(?1, ?2)"));
    DUET_RETURN_IF_ERROR(
        meta->BindText(1, "format_version").BindInt64(2, ReadStoreFormatVersion(kind)).Run());
    meta->Reset();
    DUET_RETURN_IF_ERROR(meta->BindText(1, "kind").BindText(2, ReadStoreKindName(kind)).Run());
    meta->Reset();
    return meta->BindText(1, "checkpoint").BindInt64(2, 0).Run();
  });
}

// Checks an existing file's identity; returns its checkpoint.
Result<GlobalPosition> CheckExisting(Connection& db, ReadStoreKind kind) {
  DUET_ASSIGN_OR_RETURN(int64_t app_id, QueryInt(db, "PRAGMA application_id"));
  if (app_id != kApplicationId) {
    return Status::Corruption("store.db is a SQLite file but not a Duet read store");
  }
  DUET_ASSIGN_OR_RETURN(Statement * meta, db.Prepare("SELECT key, value FROM duet_meta"));
  std::optional<int64_t> version;
  std::optional<int64_t> checkpoint;
  std::string stored_kind;
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool row, meta->Step());
    if (!row) break;
    const std::string_view key = meta->ColumnText(0);
    if (key == "format_version") version = meta->ColumnInt64(1);
    if (key == "checkpoint") checkpoint = meta->ColumnInt64(1);
    if (key == "kind") stored_kind = meta->ColumnText(1);
  }
  meta->Reset();
  if (!version || !checkpoint || stored_kind.empty() || *checkpoint < 0) {
    return Status::Corruption("store.db: duet_meta is incomplete");
  }
  if (*version != ReadStoreFormatVersion(kind)) {
    return Status::FailedPrecondition("store.db has read store format version " +
                                      std::to_string(*version) + "; this build reads version " +
                                      std::to_string(ReadStoreFormatVersion(kind)));
  }
  if (stored_kind != ReadStoreKindName(kind)) {
    return Status::FailedPrecondition("store.db holds a " + stored_kind + " store, not a " +
                                      std::string(ReadStoreKindName(kind)) + " store");
  }
  return GlobalPosition(uint64_t(*checkpoint));
}

}  // namespace

Result<std::unique_ptr<SqliteStoreFile>> SqliteStoreFile::Open(const std::filesystem::path& dir,
                                                               ReadStoreKind kind,
                                                               const char* schema_sql) {
  DUET_RETURN_IF_ERROR(CreateDirectoriesDurably(dir));
  DUET_ASSIGN_OR_RETURN(auto lock, LockFile::Acquire(dir / kLockFileName));
  const std::filesystem::path file = dir / kStoreFileName;
  DUET_ASSIGN_OR_RETURN(auto writer, Connection::Open(file, /*read_only=*/false));
  DUET_RETURN_IF_ERROR(ConfigureConnection(*writer, /*writer=*/true));
  DUET_ASSIGN_OR_RETURN(int64_t tables, QueryInt(*writer, "SELECT count(*) FROM sqlite_schema"));
  GlobalPosition checkpoint;
  if (tables == 0) {
    DUET_RETURN_IF_ERROR(CreateSchema(*writer, kind, schema_sql));
  } else {
    DUET_ASSIGN_OR_RETURN(checkpoint, CheckExisting(*writer, kind));
  }
  return std::unique_ptr<SqliteStoreFile>(
      new SqliteStoreFile(std::move(lock), file, std::move(writer), checkpoint));
}

SqliteStoreFile::SqliteStoreFile(std::unique_ptr<LockFile> lock, std::filesystem::path file,
                                 std::unique_ptr<Connection> writer, GlobalPosition checkpoint)
    : lock_(std::move(lock)),
      file_(std::move(file)),
      writer_(std::move(writer)),
      checkpoint_(checkpoint.value) {}

SqliteStoreFile::~SqliteStoreFile() {
  // Readers first: the last connection to close checkpoints the WAL into
  // the database file and removes it.
  idle_readers_.clear();
  writer_.reset();
}

Status SqliteStoreFile::BeginBatch() {
  std::lock_guard lock(writer_mu_);
  if (batch_open_) return Status::FailedPrecondition("a batch of this read store is already open");
  // IMMEDIATE takes the write lock now, where SQLite waits (busy_timeout)
  // for a reader that holds it for a moment (one that found the WAL index
  // header mid-update does); a deferred BEGIN that has read first gets
  // SQLITE_BUSY at once on the upgrade instead, failing the batch
  // (StoreConcurrencyTest.AnalyticsAnswersMatchTheirPosition, once in CI).
  DUET_RETURN_IF_ERROR(writer_->Run("BEGIN IMMEDIATE"));
  batch_open_ = true;
  return Status::OK();
}

void SqliteStoreFile::AbortBatch() {
  std::lock_guard lock(writer_mu_);
  RollbackLocked();
}

void SqliteStoreFile::RollbackLocked() {
  if (!batch_open_) return;
  batch_open_ = false;
  writer_->ResetBusyStatements();
  // A failed rollback leaves nothing committed either: SQLite rolls the
  // transaction back when the connection closes or the file is next opened.
  if (!sqlite3_get_autocommit(writer_->raw())) (void)writer_->Run("ROLLBACK");
}

Status SqliteStoreFile::Commit(GlobalPosition checkpoint, const std::vector<ParkOp>& park_ops,
                               const std::function<Status(Connection&)>& write,
                               const std::function<Status(const CommitFn&)>& publish) {
  std::lock_guard lock(writer_mu_);
  if (!batch_open_) return Status::FailedPrecondition("no batch of this read store is open");
  Connection& db = *writer_;
  auto body = [&]() -> Status {
    if (checkpoint.value < checkpoint_.load()) {
      return CheckpointBehind(checkpoint, GlobalPosition(checkpoint_.load()));
    }
    DUET_RETURN_IF_ERROR(write(db));
    DUET_RETURN_IF_ERROR(ApplyParkOps(db, park_ops));
    DUET_ASSIGN_OR_RETURN(Statement * meta,
                          db.Prepare("UPDATE duet_meta SET value = ?1 WHERE key = 'checkpoint'"));
    return meta->BindInt64(1, int64_t(checkpoint.value)).Run();
  };
  Status status = body();
  db.ResetBusyStatements();
  if (status.ok()) {
    CommitFn commit = [&]() -> Status {
      DUET_RETURN_IF_ERROR(db.Run("COMMIT"));
      batch_open_ = false;
      checkpoint_.store(checkpoint.value);
      return Status::OK();
    };
    status = publish ? publish(commit) : commit();
  }
  if (!status.ok()) RollbackLocked();
  return status;
}

Status SqliteStoreFile::ApplyParkOps(Connection& db, const std::vector<ParkOp>& ops) {
  for (const ParkOp& op : ops) {
    if (const auto* event = std::get_if<ParkedEvent>(&op)) {
      DUET_ASSIGN_OR_RETURN(Statement * park,
                            db.Prepare("INSERT INTO duet_parked(position, stream, type, error) "
                                       "VALUES(?1, ?2, ?3, ?4)"));
      DUET_RETURN_IF_ERROR(park->BindInt64(1, int64_t(event->position.value))
                               .BindText(2, event->stream)
                               .BindText(3, event->type)
                               .BindText(4, event->error)
                               .Run());
    } else {
      DUET_ASSIGN_OR_RETURN(Statement * unpark,
                            db.Prepare("DELETE FROM duet_parked WHERE position = ?1"));
      const auto position = std::get<GlobalPosition>(op);
      DUET_RETURN_IF_ERROR(unpark->BindInt64(1, int64_t(position.value)).Run());
    }
  }
  return Status::OK();
}

Status SqliteStoreFile::UseWriter(const std::function<Status(Connection&)>& fn) {
  std::lock_guard lock(writer_mu_);
  return fn(*writer_);
}

Result<std::unique_ptr<Connection>> SqliteStoreFile::AcquireReader() {
  {
    std::unique_lock lock(readers_mu_);
    reader_freed_.wait(lock, [&] { return !idle_readers_.empty() || open_readers_ < kMaxReaders; });
    if (!idle_readers_.empty()) {
      auto reader = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return reader;
    }
    ++open_readers_;  // reserved; opened outside the lock
  }
  auto opened = Connection::Open(file_, /*read_only=*/true);
  Status status = opened.status();
  if (status.ok()) status = ConfigureConnection(**opened, /*writer=*/false);
  if (!status.ok()) {
    std::lock_guard lock(readers_mu_);
    --open_readers_;
    reader_freed_.notify_one();
    return status;
  }
  return std::move(opened).value();
}

void SqliteStoreFile::ReleaseReader(std::unique_ptr<Connection> reader) {
  std::lock_guard lock(readers_mu_);
  idle_readers_.push_back(std::move(reader));
  reader_freed_.notify_one();
}

Status SqliteStoreFile::Read(const std::function<Status(Connection&, GlobalPosition)>& read) {
  DUET_ASSIGN_OR_RETURN(auto reader, AcquireReader());
  Status status = reader->InTransaction("BEGIN", [&]() -> Status {
    // The first SELECT fixes the snapshot: the checkpoint and the data that
    // `read` sees come from the same commit.
    DUET_ASSIGN_OR_RETURN(
        int64_t checkpoint,
        QueryInt(*reader, "SELECT value FROM duet_meta WHERE key = 'checkpoint'"));
    return read(*reader, GlobalPosition(uint64_t(checkpoint)));
  });
  ReleaseReader(std::move(reader));
  return status;
}

Result<std::vector<ParkedEvent>> SqliteStoreFile::Parked() {
  std::vector<ParkedEvent> parked;
  DUET_RETURN_IF_ERROR(Read([&](Connection& db, GlobalPosition) -> Status {
    DUET_ASSIGN_OR_RETURN(
        Statement * stmt,
        db.Prepare("SELECT position, stream, type, error FROM duet_parked ORDER BY seq"));
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) return Status::OK();
      parked.push_back(ParkedEvent{
          GlobalPosition(uint64_t(stmt->ColumnInt64(0))), std::string(stmt->ColumnText(1)),
          std::string(stmt->ColumnText(2)), std::string(stmt->ColumnText(3))});
    }
  }));
  return parked;
}

}  // namespace duet::readstore
