// The query side: named queries with typed parameters, each answered from
// one projection's read model and never from the event store.
//
// Every answer carries the position of the read model that produced it, so
// staleness is visible. Read-your-writes: a request may carry `min_position`
// (the position a command returned); the bus waits, up to a bounded timeout,
// until the read model has applied it, and otherwise answers kTimeout
// ("not yet") with the current position in the error's `position`.
//
// Registration happens before the bus is shared; Execute is thread-safe.
#ifndef DUET_QUERY_BUS_H_
#define DUET_QUERY_BUS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "duet/projection_engine.h"
#include "duet/read_store.h"
#include "duet/result.h"
#include "duet/status.h"
#include "duet/types.h"

namespace duet {

enum class ParamType : uint8_t {
  kString,   // 1..max_length bytes of UTF-8
  kInteger,  // int64, from a JSON number or a decimal string
  kBucket,   // "minute", "hour" or "day"
  kCursor,   // an opaque paging cursor ("" for the first page)
  kLimit,    // page size, 1..1000, default 50
};

struct QueryParam {
  std::string name;
  ParamType type = ParamType::kString;
  bool required = true;
  size_t max_length = 256;  // kString only
};

// Validated parameters, by name: only the declared ones, converted to their
// type. Absent optional parameters are absent here.
class QueryParams {
 public:
  bool Has(std::string_view name) const;
  // REQUIRES: the parameter was declared with a string-like type.
  std::string String(std::string_view name, std::string_view fallback = {}) const;
  // REQUIRES: declared kInteger or kLimit.
  int64_t Integer(std::string_view name, int64_t fallback = 0) const;
  TimeBucket Bucket(std::string_view name) const;

  void Set(std::string name, boost::json::value value);  // used by the bus

 private:
  std::map<std::string, boost::json::value, std::less<>> values_;
};

// Answers one query from `store` (the serving store of the query's read
// model, of the declared kind). The result is the JSON the caller receives.
using QueryHandler =
    std::function<Result<boost::json::value>(const QueryParams& params, ReadStore& store)>;

struct QueryDefinition {
  std::string name;        // e.g. "balance"; [a-z0-9-]
  std::string read_model;  // the projection whose store answers
  std::vector<QueryParam> params;
  QueryHandler handler;
  std::string description;  // one line, for listings and the API docs
};

struct QueryRequest {
  std::string name;
  boost::json::object params;            // raw, validated by the bus
  GlobalPosition min_position;           // kNoPosition: answer from what is there
  std::chrono::milliseconds timeout{0};  // how long min_position may be awaited
};

struct QueryAnswer {
  boost::json::value result;
  GlobalPosition position;  // the checkpoint of the read model that answered
  std::string read_model;
};

class QueryBus {
 public:
  // `engine` must outlive the bus.
  explicit QueryBus(ProjectionEngine* engine);

  // Errors: kInvalidArgument (bad name, no handler), kFailedPrecondition
  // (name taken).
  Status Register(QueryDefinition definition);

  // Errors: kNotFound("query") for an unknown name; kInvalidArgument(param)
  // for a missing, unknown or ill-typed parameter; kTimeout when the read
  // model has not reached min_position in time (position() says where it
  // is); whatever the handler returns.
  Result<QueryAnswer> Execute(const QueryRequest& request) const;

  const std::vector<QueryDefinition>& definitions() const { return definitions_; }

  // Upper bound on QueryRequest::timeout (longer waits are cut to it).
  static constexpr std::chrono::milliseconds kMaxWait{30000};

 private:
  ProjectionEngine* engine_;
  std::vector<QueryDefinition> definitions_;
};

}  // namespace duet

#endif  // DUET_QUERY_BUS_H_
