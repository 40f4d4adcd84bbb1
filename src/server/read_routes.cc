// GET /queries/{name}, GET /streams/{stream}, GET /events: the read side.
// Reads run inline (memory, the log or a read store); a query waiting for
// read-your-writes holds no thread while it waits (QueryBus::ExecuteAsync).
#include <boost/json.hpp>

#include "follow/event_json.h"
#include "server/api_routes.h"
#include "server/problem.h"
#include "util/json_text.h"

namespace duet::server {
namespace {

namespace json = boost::json;

constexpr uint64_t kMaxPage = 1000;
constexpr uint64_t kDefaultPage = 100;

struct QueryWaits {
  std::chrono::milliseconds fallback;  // min_position without timeout_ms
  std::chrono::milliseconds max;       // longer timeout_ms are cut to it
};

HttpResponse AnswerResponse(const Result<QueryAnswer>& answer) {
  if (!answer.ok()) return ProblemResponse(answer.status());
  json::object body;
  body["data"] = answer->result;
  body["position"] = answer->position.value;
  body["read_model"] = answer->read_model;
  return JsonOk(JsonText(body));
}

// Answers at once from the read model, or once it has reached min_position
// (or the wait timed out) without a thread waiting meanwhile.
void RunQuery(const QueryBus& bus, QueryWaits waits, const HttpRequest& request,
              std::shared_ptr<Reply> reply) {
  QueryRequest query;
  query.name = std::string(request.PathParam("name"));
  for (const auto& [key, value] : request.query) {
    if (key == "min_position" || key == "timeout_ms") continue;
    query.params[key] = value;
  }
  Result<uint64_t> min_position = UintParam(request, "min_position", 0, 0, UINT64_MAX);
  if (!min_position.ok()) return reply->Send(ProblemResponse(min_position.status()));
  Result<uint64_t> timeout =
      UintParam(request, "timeout_ms", waits.fallback.count(), 0, UINT32_MAX);
  if (!timeout.ok()) return reply->Send(ProblemResponse(timeout.status()));
  query.min_position = GlobalPosition(*min_position);
  query.timeout = std::min(std::chrono::milliseconds(*timeout), waits.max);
  bus.ExecuteAsync(std::move(query), DeferOn(reply),
                   [reply](Result<QueryAnswer> answer) { reply->Send(AnswerResponse(answer)); });
}

json::array EventsJson(const std::vector<RecordedEvent>& events) {
  json::array array;
  array.reserve(events.size());
  for (const RecordedEvent& event : events) array.push_back(follow::EventJson(event));
  return array;
}

HttpResponse ReadStream(EventStore& store, const Limits& limits, const HttpRequest& request) {
  const std::string_view stream = request.PathParam("stream");
  if (Status valid = ValidateStreamName(stream, limits); !valid.ok()) return ProblemResponse(valid);
  ReadDirection direction = ReadDirection::kForward;
  if (auto it = request.query.find("direction"); it != request.query.end()) {
    if (it->second == "backward") {
      direction = ReadDirection::kBackward;
    } else if (it->second != "forward") {
      return ProblemResponse(Status::InvalidArgument("direction", "must be forward or backward"));
    }
  }
  const uint64_t start = direction == ReadDirection::kForward ? 0 : kStreamEnd.value;
  Result<uint64_t> from = UintParam(request, "from", start, 0, UINT64_MAX);
  if (!from.ok()) return ProblemResponse(from.status());
  Result<uint64_t> limit = UintParam(request, "limit", kDefaultPage, 1, kMaxPage);
  if (!limit.ok()) return ProblemResponse(limit.status());
  if (!store.StreamHead(stream))
    return ProblemResponse(Status::NotFound("stream", std::string(stream)));
  Result<std::vector<RecordedEvent>> events =
      store.ReadStream(stream, StreamVersion(*from), *limit, direction);
  if (!events.ok()) return ProblemResponse(events.status());
  json::object body{{"stream", stream}};
  body["events"] = EventsJson(*events);
  return JsonOk(JsonText(body));
}

HttpResponse ReadAll(EventStore& store, const HttpRequest& request) {
  Result<uint64_t> from = UintParam(request, "from", 1, 1, UINT64_MAX);
  if (!from.ok()) return ProblemResponse(from.status());
  Result<uint64_t> limit = UintParam(request, "limit", kDefaultPage, 1, kMaxPage);
  if (!limit.ok()) return ProblemResponse(limit.status());
  const GlobalPosition head = store.HeadPosition();
  Result<std::vector<RecordedEvent>> events = store.ReadAll(GlobalPosition(*from), *limit);
  if (!events.ok()) return ProblemResponse(events.status());
  json::object body;
  body["events"] = EventsJson(*events);
  body["head"] = std::max(head, events->empty() ? head : events->back().position).value;
  return JsonOk(JsonText(body));
}

}  // namespace

void AddReadRoutes(const ApiBackends& backends, Router* router) {
  if (backends.queries != nullptr) {
    router->Add({.method = "GET",
                 .pattern = "/queries/{name}",
                 .scope = Scope::kQuery,
                 .execution = Execution::kAsync,
                 .handle_async =
                     [bus = backends.queries,
                      waits = QueryWaits{backends.default_query_wait, backends.max_query_wait}](
                         const HttpRequest& request, std::shared_ptr<Reply> reply) {
                       RunQuery(*bus, waits, request, std::move(reply));
                     },
                 .summary = "answer a query from its read model"});
  }
  if (backends.store == nullptr) return;
  router->Add(
      {.method = "GET",
       .pattern = "/streams/{stream}",
       .scope = Scope::kQuery,
       .execution = Execution::kInline,
       .handle = [store = backends.store, limits = backends.limits](
                     const HttpRequest& request) { return ReadStream(*store, limits, request); },
       .summary = "read a stream's events"});
  router->Add({.method = "GET",
               .pattern = "/events",
               .scope = Scope::kQuery,
               .execution = Execution::kInline,
               .handle = [store = backends.store](
                             const HttpRequest& request) { return ReadAll(*store, request); },
               .summary = "read all events in position order"});
}

}  // namespace duet::server
