// A thin, owning layer over libpq: one connection, statements with binary
// parameters and binary results, and errors mapped to Status codes.
//
// Error mapping (what a caller can act on):
// - the connection is gone (it broke, the server shut down, or it could not
//   be opened): kUnavailable, and broken() turns true;
// - disk full on the server (SQLSTATE 53100): kStorageFull;
// - any other SQL error: kIOError with the server's message and SQLSTATE.
//
// Thread-compatible: one thread uses a connection at a time.
#ifndef DUET_PGSTORE_PG_CONNECTION_H_
#define DUET_PGSTORE_PG_CONNECTION_H_

#include <libpq-fe.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "duet/result.h"
#include "duet/types.h"

namespace duet::pgstore {

// PostgreSQL type oids of the values Duet sends and reads (pg_type.dat).
inline constexpr Oid kInt8Oid = 20;
inline constexpr Oid kTextOid = 25;
inline constexpr Oid kByteaOid = 17;
inline constexpr Oid kUuidOid = 2950;
inline constexpr Oid kInt8ArrayOid = 1016;
inline constexpr Oid kTextArrayOid = 1009;
inline constexpr Oid kByteaArrayOid = 1001;
inline constexpr Oid kUuidArrayOid = 2951;

// Statement parameters, every one in binary format.
class Params {
 public:
  void Int8(int64_t value);
  void Text(std::string_view value);
  void Bytea(std::string_view value);
  // A one-dimensional array of `element_oid` values, each already in its
  // binary form (see ArrayBuilder).
  void Array(Oid array_oid, std::string encoded);

  int size() const { return static_cast<int>(values_.size()); }
  const Oid* types() const { return types_.data(); }
  const char* const* values();
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void Add(Oid type, std::string bytes);
  std::vector<std::string> storage_;
  std::vector<const char*> values_;
  std::vector<int> lengths_;
  std::vector<int> formats_;
  std::vector<Oid> types_;
};

// The binary form of a one-dimensional array without NULLs.
class ArrayBuilder {
 public:
  explicit ArrayBuilder(Oid element_oid) : element_oid_(element_oid) {}
  void Add(std::string_view element_bytes);
  void AddInt8(int64_t value);
  void AddUuid(const EventId& id);
  std::string Finish() const;

 private:
  Oid element_oid_;
  int32_t count_ = 0;
  std::string elements_;
};

// An owned PGresult.
struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

// Binary result fields.
int64_t GetInt8(const PGresult* result, int row, int column);
std::string_view GetBytes(const PGresult* result, int row, int column);
EventId GetUuid(const PGresult* result, int row, int column);

// One statement of a pipeline.
struct Statement {
  std::string sql;
  Params params;
  // Parsed and planned once per connection (PQprepare) and executed by name
  // afterwards: for the statements a connection runs on every transaction.
  bool prepare = false;
};

class PgConnection {
 public:
  // Opens a connection to `url` (libpq's postgresql:// URI). kUnavailable
  // when it cannot be opened within `timeout` (libpq's reason in the message).
  static Result<std::unique_ptr<PgConnection>> Open(const std::string& url,
                                                    std::chrono::milliseconds timeout);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // One or more statements without parameters (simple protocol); the last
  // statement's result, text format.
  Result<PgResult> Exec(const std::string& sql);
  // One statement with binary parameters; binary results.
  Result<PgResult> ExecParams(const std::string& sql, Params& params);

  // `statements` in one round trip (libpq's pipeline mode), binary
  // results in order. The first failing statement's error is returned; the
  // server skips the statements after it. An explicit transaction (BEGIN
  // among them) is left aborted then: the caller rolls it back.
  Result<std::vector<PgResult>> Pipeline(std::span<Statement> statements);

  // Whether the connection is unusable (it must be reopened).
  bool broken() const;
  // The server process serving this connection (pg_stat_activity.pid).
  int backend_pid() const { return backend_pid_; }
  PGconn* raw() const { return conn_; }

 private:
  explicit PgConnection(PGconn* conn);
  Result<PgResult> Check(PGresult* result);
  // The name `statement` is prepared under on this connection, preparing it
  // the first time.
  Result<std::string> PreparedName(Statement& statement);
  // The Status of a failed result (see the mapping above).
  Status ErrorOf(const PGresult* result) const;

  PGconn* conn_;
  int backend_pid_ = 0;
  bool lost_ = false;  // a pipeline broke off: unusable whatever PQstatus says
  std::unordered_map<std::string, std::string> prepared_;  // SQL -> statement name
};

}  // namespace duet::pgstore

#endif  // DUET_PGSTORE_PG_CONNECTION_H_
