// GET /queries/{name}, GET /streams/{stream}, GET /events: the read side.
// Reads run inline (memory, the log or a read store); a query waiting for
// read-your-writes holds no thread while it waits (QueryBus::ExecuteAsync).
#include <boost/json.hpp>
#include <cctype>

#include "follow/event_json.h"
#include "server/api_routes.h"
#include "server/event_filter.h"
#include "server/http_headers.h"
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

// W/"<read model>-<position>-<digest of the answer>". The position alone
// would not do: a rebuild or a new version of the projection can answer
// differently at the same position, and a query may read more than its read
// model. The digest makes the tag change whenever the answer does; the read
// model and position make it readable.
std::string QueryEtag(const QueryAnswer& answer, std::string_view body) {
  std::string name;
  for (char c : answer.read_model) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') {
      name.push_back(c);
    }
  }
  return "W/\"" + name + "-" + std::to_string(answer.position.value) + "-" + DigestHex(body) + "\"";
}

HttpResponse AnswerResponse(const Result<QueryAnswer>& answer) {
  if (!answer.ok()) return ProblemResponse(answer.status());
  json::object body;
  body["data"] = answer->result;
  body["position"] = answer->position.value;
  body["read_model"] = answer->read_model;
  HttpResponse response = JsonOk(JsonText(body));
  response.headers.emplace_back("ETag", QueryEtag(*answer, response.body));
  return response;
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
  HttpResponse response = JsonOk(JsonText(body));
  // Events never change once written: the page's digest is its validator.
  response.headers.emplace_back("ETag", "W/\"" + DigestHex(response.body) + "\"");
  return response;
}

// A filtered read examines at most this many events (in batches of
// kMaxPage) before answering with what matched so far.
constexpr uint64_t kMaxScan = 10 * kMaxPage;

// `limit` events from `from` on that match `filter`, scanning at most
// kMaxScan events. `scanned_to` is the last position examined (from - 1
// when there was none): the next page starts after it.
struct FilteredPage {
  std::vector<RecordedEvent> events;
  GlobalPosition scanned_to;
};

Result<FilteredPage> ReadFiltered(EventStore& store, const EventFilter& filter, GlobalPosition from,
                                  uint64_t limit) {
  FilteredPage page;
  page.scanned_to = GlobalPosition(from.value - 1);
  uint64_t scanned = 0;
  while (page.events.size() < limit && scanned < kMaxScan) {
    const uint64_t batch = filter.all() ? limit - page.events.size() : kMaxPage;
    DUET_ASSIGN_OR_RETURN(
        std::vector<RecordedEvent> events,
        store.ReadAll(page.scanned_to.Next(), std::min(batch, kMaxScan - scanned)));
    if (events.empty()) break;
    for (RecordedEvent& event : events) {
      ++scanned;
      page.scanned_to = event.position;
      if (filter.Matches(event)) page.events.push_back(std::move(event));
      if (page.events.size() == limit) break;
    }
  }
  return page;
}

HttpResponse ReadAll(EventStore& store, const Limits& limits, const HttpRequest& request) {
  Result<uint64_t> from = UintParam(request, "from", 1, 1, UINT64_MAX);
  if (!from.ok()) return ProblemResponse(from.status());
  Result<uint64_t> limit = UintParam(request, "limit", kDefaultPage, 1, kMaxPage);
  if (!limit.ok()) return ProblemResponse(limit.status());
  Result<EventFilter> filter = ParseEventFilter(request, limits);
  if (!filter.ok()) return ProblemResponse(filter.status());
  const GlobalPosition head = store.HeadPosition();
  Result<FilteredPage> page = ReadFiltered(store, *filter, GlobalPosition(*from), *limit);
  if (!page.ok()) return ProblemResponse(page.status());
  json::object body;
  body["events"] = EventsJson(page->events);
  // An event read past `head` was appended meanwhile; `scanned_to` itself
  // may lie beyond the log (from - 1 when nothing was read).
  const GlobalPosition last_read = page->scanned_to.value >= *from ? page->scanned_to : kNoPosition;
  body["head"] = std::max(head, last_read).value;
  body["scanned_to"] = page->scanned_to.value;
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
  router->Add(
      {.method = "GET",
       .pattern = "/events",
       .scope = Scope::kQuery,
       .execution = Execution::kInline,
       .handle = [store = backends.store, limits = backends.limits](
                     const HttpRequest& request) { return ReadAll(*store, limits, request); },
       .summary = "read all events, or those a filter selects, in position order"});
}

}  // namespace duet::server
