// The query side: named queries with typed parameters, each answered from
// one projection's read model and never from the event store.
//
// Every answer carries the position of the read model that produced it, so
// staleness is visible. Read-your-writes: a request may carry `min_position`
// (the position a command returned); the bus waits, up to a bounded timeout,
// until the read model has applied it, and otherwise answers kTimeout
// ("not yet", Status::NotYet) with the current position in the error's
// `position`.
//
// Registration happens before the bus is shared; Execute is thread-safe.
#ifndef DUET_QUERY_BUS_H_
#define DUET_QUERY_BUS_H_

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/deferrer.h"
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
  std::string name{};
  ParamType type = ParamType::kString;
  bool required = true;
  size_t max_length = 256;  // kString only
  // kString only: when not empty, the value must be one of these (checked
  // by the bus, so a bad value is refused before any wait).
  std::vector<std::string> choices{};
  std::string description{};  // one line, for the API docs and --help
};

// Validated parameters, by name: only the declared ones, converted to their
// type. Absent optional parameters are absent here, except kLimit, which is
// always present (50 when the request has none).
class QueryParams {
 public:
  bool Has(std::string_view name) const;
  // REQUIRES: the parameter was declared with a string-like type.
  std::string String(std::string_view name, std::string_view fallback = {}) const;
  // REQUIRES: declared kInteger or kLimit.
  int64_t Integer(std::string_view name, int64_t fallback = 0) const;
  // REQUIRES: declared kBucket. kDay when absent.
  TimeBucket Bucket(std::string_view name) const;

  void Set(std::string name, boost::json::value value);  // used by the bus

 private:
  std::map<std::string, boost::json::value, std::less<>> values_;
};

// What a handler answers: the JSON the caller receives and the checkpoint
// that the store read behind it reported (DocumentRead::position,
// DocumentPage::position, SearchResult::position, AnalyticsResult::position).
// Taking the position from the read itself, not from a separate checkpoint()
// call, keeps it exact while the runner commits concurrently.
struct QueryResult {
  boost::json::value value{};
  GlobalPosition position{};
};

// Answers one query from `store` (the serving store of the query's read
// model).
using QueryHandler =
    std::function<Result<QueryResult>(const QueryParams& params, ReadStore& store)>;

// A handler written against one kind of store (DocumentStore, SearchStore or
// AnalyticsStore), adapted to a QueryHandler: kFailedPrecondition when the
// read model's store is of another kind.
template <typename Store>
QueryHandler On(std::function<Result<QueryResult>(const QueryParams&, Store&)> handler) {
  return [handler = std::move(handler)](const QueryParams& params,
                                        ReadStore& store) -> Result<QueryResult> {
    auto* typed = dynamic_cast<Store*>(&store);
    if (typed == nullptr) {
      return Status::FailedPrecondition("the read model's store is a " +
                                        std::string(ReadStoreKindName(store.kind())) + " store");
    }
    return handler(params, *typed);
  };
}

// ISO-8601 UTC text of a timestamp in microseconds since the Unix epoch:
// "2026-11-23T12:00:00Z", with ".ffffff" before the Z when the microseconds
// are not zero. For answers (analytics bucket starts, event times).
std::string FormatUtcTimestamp(int64_t timestamp_us);

// Common answer shapes, so every domain's queries answer alike.
// {"<items_name>": items, "next_cursor": "..." (only when there is a next page)}
boost::json::object PageAnswer(boost::json::array items, const std::string& next_cursor,
                               std::string_view items_name = "items");
// {"hits": [each hit's stored fields plus "score"]}, best first.
boost::json::object SearchHitsAnswer(std::vector<SearchHit> hits);
// One {"bucket_start" (ISO-8601 UTC), "count", "sum", "min", "max"} per row.
boost::json::array AnalyticsRowsAnswer(const std::vector<AnalyticsRow>& rows);
// Builders of JSON Schemas (draft 2020-12) for QueryDefinition::result_schema,
// so every domain declares its answers alike. A description left empty is
// left out.
namespace answer_schema {
// An object with exactly these properties; `required` names those always
// written (additionalProperties is false).
boost::json::object Object(boost::json::object properties, boost::json::array required);
boost::json::object String(std::string_view description = {});
boost::json::object Int64(std::string_view description = {});
// ISO-8601 UTC text, as FormatUtcTimestamp writes it.
boost::json::object Timestamp(std::string_view description = {});
boost::json::object Enum(std::initializer_list<std::string_view> values,
                         std::string_view description = {});
boost::json::object ArrayOf(boost::json::object item);
}  // namespace answer_schema

// The paging parameters: optional "cursor" (kCursor) and "limit" (kLimit).
QueryParam CursorParam();
QueryParam LimitParam();

struct QueryDefinition {
  std::string name{};        // e.g. "balance"; [a-z0-9-]
  std::string read_model{};  // the projection whose store answers
  std::vector<QueryParam> params{};
  QueryHandler handler{};
  std::string description{};  // one line, for listings and the API docs
  // The JSON Schema (draft 2020-12) of the answer's `result` (`data` over
  // HTTP), for the API docs; a null value documents it as any JSON value.
  boost::json::value result_schema{};
};

struct QueryRequest {
  std::string name{};
  boost::json::object params{};          // raw, validated by the bus
  GlobalPosition min_position{};         // kNoPosition: answer from what is there
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

  // Errors: kInvalidArgument (bad name, no read model, no handler, a
  // parameter without a name or declared twice), kFailedPrecondition (name
  // taken).
  Status Register(QueryDefinition definition);

  // Errors: kNotFound("query") for an unknown name; kInvalidArgument(param)
  // for a missing, unknown or ill-typed parameter; kTimeout when the read
  // model has not reached min_position in time (position() says where it
  // is); whatever the handler returns.
  Result<QueryAnswer> Execute(const QueryRequest& request) const;

  // Execute without a thread waiting for min_position: `done` is called
  // once with what Execute would return. Without min_position, or when the
  // read model has reached it, on this thread before the call returns; else
  // through `defer` once it reaches it (ProjectionEngine::WhenApplied) or
  // the timeout passes, whichever comes first. The bus must outlive the
  // deferred calls.
  void ExecuteAsync(QueryRequest request, const Deferrer& defer,
                    std::function<void(Result<QueryAnswer>)> done) const;

  const std::vector<QueryDefinition>& definitions() const { return definitions_; }

  // ExecuteAsync calls waiting for min_position now. Thread-safe.
  uint64_t waiting() const { return waiting_.load(std::memory_order_relaxed); }

  // Upper bound on QueryRequest::timeout (longer waits are cut to it).
  static constexpr std::chrono::milliseconds kMaxWait{30000};

 private:
  const QueryDefinition* Find(std::string_view name) const;

  ProjectionEngine* engine_;
  std::vector<QueryDefinition> definitions_;
  mutable std::atomic<uint64_t> waiting_{0};
};

}  // namespace duet

#endif  // DUET_QUERY_BUS_H_
