#include "readstore/sqlite_db.h"

#include <string>

namespace duet::readstore {

Status SqliteError(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_FULL: return Status::StorageFull(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Status::Busy(message);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return Status::Corruption(message);
    default: return Status::IOError(message);
  }
}

// ---------------------------------------------------------------- Statement

void Statement::NoteBind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Statement& Statement::BindText(int index, std::string_view text) {
  NoteBind(
      sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  return *this;
}

Statement& Statement::BindBlob(int index, std::string_view bytes) {
  // A zero-length blob must not bind as NULL: give it a non-null pointer.
  NoteBind(sqlite3_bind_blob64(stmt_, index, bytes.empty() ? "" : bytes.data(), bytes.size(),
                               SQLITE_TRANSIENT));
  return *this;
}

Statement& Statement::BindTextRef(int index, std::string_view text) {
  NoteBind(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
  return *this;
}

Statement& Statement::BindBlobRef(int index, std::string_view bytes) {
  NoteBind(sqlite3_bind_blob64(stmt_, index, bytes.empty() ? "" : bytes.data(), bytes.size(),
                               SQLITE_STATIC));
  return *this;
}

Statement& Statement::BindInt64(int index, int64_t value) {
  NoteBind(sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Result<bool> Statement::Step() {
  if (bind_rc_ != SQLITE_OK) {
    const int rc = bind_rc_;
    bind_rc_ = SQLITE_OK;
    return SqliteError(db_, rc, "bind");
  }
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status error = SqliteError(db_, rc, sqlite3_sql(stmt_));
  sqlite3_reset(stmt_);
  return error;
}

Status Statement::Run() {
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::OK();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

std::string_view Statement::ColumnText(int col) const {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (text == nullptr) return {};
  return std::string_view(text, size_t(sqlite3_column_bytes(stmt_, col)));
}

std::string_view Statement::ColumnBlob(int col) const {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  if (bytes == nullptr) return {};
  return std::string_view(bytes, size_t(sqlite3_column_bytes(stmt_, col)));
}

// --------------------------------------------------------------- Connection

Result<std::unique_ptr<Connection>> Connection::Open(const std::filesystem::path& file,
                                                     bool read_only) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                    (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status error = SqliteError(db, rc, "open " + file.string());
    sqlite3_close(db);
    return error;
  }
  // Waits out the short WAL-index locks a checkpoint or recovery takes.
  sqlite3_busy_timeout(db, 5000);
  return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
  statements_.clear();  // finalized before the close
  sqlite3_close(db_);
}

Status Connection::Exec(const char* sql) {
  char* error = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
  sqlite3_free(error);
  if (rc != SQLITE_OK) return SqliteError(db_, rc, sql);
  return Status::OK();
}

Status Connection::Run(std::string_view sql) {
  DUET_ASSIGN_OR_RETURN(Statement * stmt, Prepare(sql));
  Status status = stmt->Run();
  stmt->Reset();
  return status;
}

Result<Statement*> Connection::Prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteError(db_, rc, "prepare " + std::string(sql));
    it = statements_.emplace(std::string(sql), std::make_unique<Statement>(db_, stmt)).first;
  }
  it->second->Reset();
  return it->second.get();
}

Status Connection::InTransaction(const char* begin, const std::function<Status()>& body) {
  DUET_RETURN_IF_ERROR(Run(begin));
  Status status = body();
  ResetBusyStatements();
  if (status.ok()) status = Run("COMMIT");
  if (!status.ok() && !sqlite3_get_autocommit(db_)) {
    // The original failure is what the caller needs; a failed rollback
    // leaves SQLite to roll back on the next open.
    (void)Run("ROLLBACK");
  }
  return status;
}

void Connection::ResetBusyStatements() {
  for (sqlite3_stmt* stmt = sqlite3_next_stmt(db_, nullptr); stmt != nullptr;
       stmt = sqlite3_next_stmt(db_, stmt)) {
    if (sqlite3_stmt_busy(stmt)) sqlite3_reset(stmt);
  }
}

}  // namespace duet::readstore
