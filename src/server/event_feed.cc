// GET /events/live: the event feed as Server-Sent Events, catch-up then live,
// the same mechanism for both (read after the last position sent; when
// nothing is left, wait for the head to move). Query nodes follow it.
//
// Memory per feed is one batch: the stream thread reads the next batch only
// after the client has taken the previous one.
#include <boost/json.hpp>

#include "follow/event_json.h"
#include "server/api_routes.h"
#include "server/problem.h"

namespace duet::server {
namespace {

constexpr size_t kFeedBatch = 512;
constexpr std::chrono::milliseconds kHeartbeat{1000};

std::string HeadMessage(GlobalPosition head) {
  return "event: head\ndata: {\"head\":" + std::to_string(head.value) + "}\n\n";
}

// The first position to send: Last-Event-ID (a reconnecting client) wins
// over ?from=.
Result<GlobalPosition> FeedStart(const HttpRequest& request) {
  if (std::string_view last = request.Header("last-event-id"); !last.empty()) {
    DUET_ASSIGN_OR_RETURN(uint64_t id, ParseUint(last, "Last-Event-ID", 0, UINT64_MAX - 1));
    return GlobalPosition(id + 1);
  }
  DUET_ASSIGN_OR_RETURN(uint64_t from, UintParam(request, "from", 1, 1, UINT64_MAX));
  return GlobalPosition(from);
}

HttpResponse Feed(EventStore& store, const HttpRequest& request, StreamWriter& writer) {
  Result<GlobalPosition> start = FeedStart(request);
  if (!start.ok()) return ProblemResponse(start.status());
  GlobalPosition sent(start->value - 1);
  if (!writer.Write(HeadMessage(store.HeadPosition()))) return {};
  std::string chunk;
  while (!writer.stopping()) {
    Result<std::vector<RecordedEvent>> events =
        store.ReadAll(GlobalPosition(sent.value + 1), kFeedBatch);
    if (!events.ok()) {
      writer.Write("event: error\ndata: " +
                   boost::json::serialize(boost::json::string(events.status().ToString())) +
                   "\n\n");
      return {};
    }
    if (events->empty()) {
      const GlobalPosition head = store.WaitForHead(GlobalPosition(sent.value + 1), kHeartbeat);
      if (head.value <= sent.value && !writer.Write(HeadMessage(head))) return {};
      continue;
    }
    chunk.clear();
    for (const RecordedEvent& event : *events) {
      chunk += "id: " + std::to_string(event.position.value) + "\nevent: event\ndata: ";
      chunk += follow::EventToJson(event);
      chunk += "\n\n";
    }
    sent = events->back().position;
    if (!writer.Write(std::move(chunk))) return {};
  }
  return {};
}

}  // namespace

void AddEventFeedRoute(const ApiBackends& backends, Router* router) {
  if (backends.store == nullptr) return;
  router->Add({.method = "GET",
               .pattern = "/events/live",
               .scope = Scope::kQuery,
               .execution = Execution::kStream,
               .stream = [store = backends.store](
                             const HttpRequest& request,
                             StreamWriter& writer) { return Feed(*store, request, writer); },
               .summary = "follow all events as Server-Sent Events"});
}

}  // namespace duet::server
