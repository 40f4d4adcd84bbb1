// A thin RAII layer over the SQLite C API for the read stores: a connection
// with a cache of prepared statements, and statements with bind/step/column
// helpers whose failures come back as Status.
//
// SQLite result codes map to Status codes as: SQLITE_FULL -> kStorageFull,
// SQLITE_BUSY/SQLITE_LOCKED -> kBusy, SQLITE_CORRUPT/SQLITE_NOTADB ->
// kCorruption, anything else -> kIOError with sqlite3_errmsg.
//
// Thread-compatible: a Connection and its statements are used by one thread
// at a time (connections are opened with SQLITE_OPEN_NOMUTEX).
#ifndef DUET_READSTORE_SQLITE_DB_H_
#define DUET_READSTORE_SQLITE_DB_H_

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "duet/result.h"
#include "duet/status.h"
#include "readstore/bytes.h"

namespace duet::readstore {

// The Status for result code `rc` of an operation described by `what`.
Status SqliteError(sqlite3* db, int rc, std::string_view what);

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Binds parameter `index` (1-based). A failed bind is reported by the next
  // Step or Run. Text and blobs are copied.
  Statement& BindText(int index, std::string_view text);
  Statement& BindBlob(int index, std::string_view bytes);
  // As above without the copy, for hot paths: `text` must stay unchanged
  // and alive until the statement is stepped to the end or Reset.
  Statement& BindTextRef(int index, std::string_view text);
  Statement& BindBlobRef(int index, std::string_view bytes);
  Statement& BindInt64(int index, int64_t value);

  // One step: true when a row is available, false when done.
  Result<bool> Step();
  // Steps until done (statements without results).
  Status Run();
  // Ready for new bindings and a new run.
  void Reset();

  // Columns of the current row (0-based). Views stay valid until the next
  // Step or Reset.
  int64_t ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }
  double ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }
  std::string_view ColumnText(int col) const;
  std::string_view ColumnBlob(int col) const;

 private:
  void NoteBind(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  int bind_rc_ = SQLITE_OK;
};

class Connection {
 public:
  // Opens (or with `create`, creates) the database file. `read_only`
  // connections still share the writer's WAL.
  static Result<std::unique_ptr<Connection>> Open(const std::filesystem::path& file,
                                                  bool read_only);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more SQL statements without results.
  Status Exec(const char* sql);
  // Runs one statement without results through the statement cache: for
  // the BEGIN and COMMIT of every batch and read, compiled once.
  Status Run(std::string_view sql);
  // A prepared statement for `sql`, cached on this connection and reset, so
  // hot statements are compiled once. Valid for the connection's lifetime;
  // do not use the same SQL text twice at once.
  Result<Statement*> Prepare(std::string_view sql);
  // Runs `body` between `begin` ("BEGIN" or "BEGIN IMMEDIATE") and COMMIT;
  // rolls back when `body` or the COMMIT fails.
  Status InTransaction(const char* begin, const std::function<Status()>& body);
  // Resets every statement still in progress (one whose rows were not all
  // read), so the transaction can end.
  void ResetBusyStatements();

  sqlite3* raw() const { return db_; }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<Statement>, StringHash, std::equal_to<>>
      statements_;
};

}  // namespace duet::readstore

#endif  // DUET_READSTORE_SQLITE_DB_H_
