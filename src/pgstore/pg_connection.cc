#include "pgstore/pg_connection.h"

#include <endian.h>

#include <cstring>

namespace duet::pgstore {
namespace {

std::string BigEndian64(int64_t value) {
  const uint64_t be = htobe64(static_cast<uint64_t>(value));
  return std::string(reinterpret_cast<const char*>(&be), sizeof(be));
}

void PutBigEndian32(int32_t value, std::string* out) {
  const uint32_t be = htobe32(static_cast<uint32_t>(value));
  out->append(reinterpret_cast<const char*>(&be), sizeof(be));
}

std::string UuidBytes(const EventId& id) { return BigEndian64(id.hi) + BigEndian64(id.lo); }

uint64_t ReadBigEndian64(const char* p) {
  uint64_t be;
  std::memcpy(&be, p, sizeof(be));
  return be64toh(be);
}

std::string TrimmedMessage(const char* message) {
  std::string text = message == nullptr ? "" : message;
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

}  // namespace

void Params::Add(Oid type, std::string bytes) {
  storage_.push_back(std::move(bytes));
  lengths_.push_back(static_cast<int>(storage_.back().size()));
  formats_.push_back(1);
  types_.push_back(type);
  values_.push_back(nullptr);  // filled by values(): storage_ may still move
}

void Params::Int8(int64_t value) { Add(kInt8Oid, BigEndian64(value)); }
void Params::Text(std::string_view value) { Add(kTextOid, std::string(value)); }
void Params::Bytea(std::string_view value) { Add(kByteaOid, std::string(value)); }
void Params::Array(Oid array_oid, std::string encoded) { Add(array_oid, std::move(encoded)); }

const char* const* Params::values() {
  for (size_t i = 0; i < storage_.size(); ++i) values_[i] = storage_[i].data();
  return values_.data();
}

void ArrayBuilder::Add(std::string_view element_bytes) {
  PutBigEndian32(static_cast<int32_t>(element_bytes.size()), &elements_);
  elements_.append(element_bytes);
  ++count_;
}

void ArrayBuilder::AddInt8(int64_t value) { Add(BigEndian64(value)); }
void ArrayBuilder::AddUuid(const EventId& id) { Add(UuidBytes(id)); }

// array_send's layout: dimensions, has-nulls flag, element type, then per
// dimension its length and lower bound, then each element as length + bytes.
std::string ArrayBuilder::Finish() const {
  std::string out;
  out.reserve(20 + elements_.size());
  PutBigEndian32(1, &out);
  PutBigEndian32(0, &out);
  PutBigEndian32(static_cast<int32_t>(element_oid_), &out);
  PutBigEndian32(count_, &out);
  PutBigEndian32(1, &out);
  out.append(elements_);
  return out;
}

int64_t GetInt8(const PGresult* result, int row, int column) {
  return static_cast<int64_t>(ReadBigEndian64(PQgetvalue(result, row, column)));
}

std::string_view GetBytes(const PGresult* result, int row, int column) {
  return std::string_view(PQgetvalue(result, row, column),
                          static_cast<size_t>(PQgetlength(result, row, column)));
}

EventId GetUuid(const PGresult* result, int row, int column) {
  const char* p = PQgetvalue(result, row, column);
  return EventId{ReadBigEndian64(p), ReadBigEndian64(p + 8)};
}

Result<std::unique_ptr<PgConnection>> PgConnection::Open(const std::string& url,
                                                         std::chrono::milliseconds timeout) {
  const std::string seconds = std::to_string(std::max<int64_t>(1, (timeout.count() + 999) / 1000));
  // expand_dbname = 1: `dbname` is the whole URI; the other keywords add to it.
  const char* keys[] = {"dbname", "connect_timeout", "application_name", nullptr};
  const char* values[] = {url.c_str(), seconds.c_str(), "duet", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, 1);
  if (conn == nullptr) return Status::Unavailable("postgresql: out of memory for a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    Status failed = Status::Unavailable("postgresql: " + TrimmedMessage(PQerrorMessage(conn)));
    PQfinish(conn);
    return failed;
  }
  std::unique_ptr<PgConnection> connection(new PgConnection(conn));
  // An append is acknowledged once durable, whatever the server's default.
  // Duet's statements are index lookups whose best plan does not depend on
  // the values: planned once per prepared statement, not on every bind.
  DUET_RETURN_IF_ERROR(connection
                           ->Exec("SET synchronous_commit = on; SET client_min_messages = warning;"
                                  "SET plan_cache_mode = force_generic_plan")
                           .status());
  return connection;
}

PgConnection::PgConnection(PGconn* conn) : conn_(conn), backend_pid_(PQbackendPID(conn)) {}

PgConnection::~PgConnection() { PQfinish(conn_); }

bool PgConnection::broken() const { return lost_ || PQstatus(conn_) != CONNECTION_OK; }

Result<PgResult> PgConnection::Exec(const std::string& sql) {
  return Check(PQexec(conn_, sql.c_str()));
}

Result<PgResult> PgConnection::ExecParams(const std::string& sql, Params& params) {
  return Check(PQexecParams(conn_, sql.c_str(), params.size(), params.types(), params.values(),
                            params.lengths(), params.formats(), /*resultFormat=*/1));
}

Result<PgResult> PgConnection::Check(PGresult* raw) {
  PgResult result(raw);
  const ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
  return ErrorOf(result.get());
}

Status PgConnection::ErrorOf(const PGresult* result) const {
  if (broken() || result == nullptr) {
    return Status::Unavailable("postgresql: connection lost: " +
                               TrimmedMessage(PQerrorMessage(conn_)));
  }
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const std::string sqlstate = state == nullptr ? "" : state;
  const std::string message = "postgresql: " + TrimmedMessage(PQresultErrorMessage(result)) +
                              " (SQLSTATE " + sqlstate + ")";
  if (sqlstate == "53100") return Status::StorageFull(message);
  // Class 08 (connection exception) and 57P (operator intervention: the
  // server shutting down, a terminated backend): the server is away.
  if (sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P", 0) == 0) {
    return Status::Unavailable(message);
  }
  return Status::IOError(message);
}

Result<std::string> PgConnection::PreparedName(Statement& statement) {
  if (auto found = prepared_.find(statement.sql); found != prepared_.end()) return found->second;
  std::string name = "duet_" + std::to_string(prepared_.size() + 1);
  DUET_RETURN_IF_ERROR(Check(PQprepare(conn_, name.c_str(), statement.sql.c_str(),
                                       statement.params.size(), statement.params.types()))
                           .status());
  prepared_.emplace(statement.sql, name);
  return name;
}

Result<std::vector<PgResult>> PgConnection::Pipeline(std::span<Statement> statements) {
  // The pipeline broke off midway (results unread, still in pipeline mode):
  // the connection is not used again, even if libpq has not seen EOF yet.
  const auto lost = [this] {
    lost_ = true;
    return Status::Unavailable("postgresql: connection lost: " +
                               TrimmedMessage(PQerrorMessage(conn_)));
  };
  std::vector<std::string> names(statements.size());
  for (size_t i = 0; i < statements.size(); ++i) {
    if (!statements[i].prepare) continue;
    DUET_ASSIGN_OR_RETURN(names[i], PreparedName(statements[i]));
  }
  if (PQenterPipelineMode(conn_) != 1) return lost();
  for (size_t i = 0; i < statements.size(); ++i) {
    Params& p = statements[i].params;
    const int sent =
        names[i].empty()
            ? PQsendQueryParams(conn_, statements[i].sql.c_str(), p.size(), p.types(), p.values(),
                                p.lengths(), p.formats(), /*resultFormat=*/1)
            : PQsendQueryPrepared(conn_, names[i].c_str(), p.size(), p.values(), p.lengths(),
                                  p.formats(), /*resultFormat=*/1);
    if (sent != 1) return lost();
  }
  if (PQpipelineSync(conn_) != 1) return lost();
  std::vector<PgResult> results;
  Status first_error;
  for (size_t i = 0; i < statements.size(); ++i) {
    PgResult result(PQgetResult(conn_));
    if (result == nullptr || broken()) return lost();
    const ExecStatusType status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && first_error.ok()) {
      first_error = status == PGRES_PIPELINE_ABORTED
                        ? Status::IOError("postgresql: statement skipped after an error")
                        : ErrorOf(result.get());
    }
    results.push_back(std::move(result));
    // Each statement's results end with a null result.
    while (PGresult* extra = PQgetResult(conn_)) PQclear(extra);
  }
  PgResult sync(PQgetResult(conn_));
  if (sync == nullptr || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) return lost();
  if (PQexitPipelineMode(conn_) != 1) return lost();
  if (!first_error.ok()) return first_error;
  return results;
}

}  // namespace duet::pgstore
