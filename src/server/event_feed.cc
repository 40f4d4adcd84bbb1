// GET /events/live: the event feed as Server-Sent Events, catch-up then live,
// the same mechanism for both (read after the last position sent; when
// nothing is left, wait for the head to move). Query nodes follow it.
//
// Memory per feed is one batch: the stream thread reads the next batch only
// after the client has taken the previous one. With a filter (stream,
// category, types: event_filter.h) the same scan runs and only matching
// events are sent, with checkpoints between them.
#include <boost/json.hpp>

#include "follow/event_json.h"
#include "server/api_routes.h"
#include "server/event_filter.h"
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

std::string CheckpointMessage(GlobalPosition scanned) {
  const std::string position = std::to_string(scanned.value);
  return "id: " + position + "\nevent: checkpoint\ndata: {\"position\":" + position + "}\n\n";
}

// A filtered feed sends only the events that match; when at least
// kCheckpointEvery events went by without one matching, or the log is idle,
// it sends a checkpoint: the position scanned up to, as the message id, so
// that a client reconnecting with Last-Event-ID resumes after it and does
// not scan those events again. The unfiltered feed sends every event and so
// never needs one: its messages are unchanged.
constexpr uint64_t kCheckpointEvery = kFeedBatch;

HttpResponse Feed(EventStore& store, const Limits& limits, const HttpRequest& request,
                  StreamWriter& writer) {
  Result<GlobalPosition> start = FeedStart(request);
  if (!start.ok()) return ProblemResponse(start.status());
  Result<EventFilter> filter = ParseEventFilter(request, limits);
  if (!filter.ok()) return ProblemResponse(filter.status());
  GlobalPosition scanned(start->value - 1);  // every event up to here was handled
  GlobalPosition told = scanned;             // the last id the client was sent
  if (!writer.Write(HeadMessage(store.HeadPosition()))) return {};
  std::string chunk;
  while (!writer.stopping()) {
    Result<std::vector<RecordedEvent>> events =
        store.ReadAll(GlobalPosition(scanned.value + 1), kFeedBatch);
    if (!events.ok()) {
      writer.Write("event: error\ndata: " +
                   boost::json::serialize(boost::json::string(events.status().ToString())) +
                   "\n\n");
      return {};
    }
    if (events->empty()) {
      const GlobalPosition head = store.WaitForHead(GlobalPosition(scanned.value + 1), kHeartbeat);
      if (head.value > scanned.value) continue;
      if (told < scanned) {  // idle: say how far the scan got
        told = scanned;
        if (!writer.Write(CheckpointMessage(scanned))) return {};
      }
      if (!writer.Write(HeadMessage(head))) return {};
      continue;
    }
    chunk.clear();
    for (const RecordedEvent& event : *events) {
      if (!filter->Matches(event)) continue;
      chunk += "id: " + std::to_string(event.position.value) + "\nevent: event\ndata: ";
      chunk += follow::EventToJson(event);
      chunk += "\n\n";
      told = event.position;
    }
    scanned = events->back().position;
    if (scanned.value - told.value >= kCheckpointEvery) {
      chunk += CheckpointMessage(scanned);
      told = scanned;
    }
    if (!chunk.empty() && !writer.Write(std::move(chunk))) return {};
  }
  return {};
}

}  // namespace

void AddEventFeedRoute(const ApiBackends& backends, Router* router) {
  if (backends.store == nullptr) return;
  router->Add(
      {.method = "GET",
       .pattern = "/events/live",
       .scope = Scope::kQuery,
       .execution = Execution::kStream,
       .stream = [store = backends.store, limits = backends.limits](
                     const HttpRequest& request,
                     StreamWriter& writer) { return Feed(*store, limits, request, writer); },
       .summary = "follow all events, or those a filter selects, as Server-Sent Events"});
}

}  // namespace duet::server
