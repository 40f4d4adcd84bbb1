// POST /commands/{type} and POST /streams/{stream}: the write side. Both are
// asynchronous: parsed, decided and queued on the I/O thread, answered from
// the store's commit thread once durable, with no thread waiting meanwhile.
#include <boost/json.hpp>

#include "server/api_routes.h"
#include "server/problem.h"
#include "util/json_text.h"

namespace duet::server {
namespace {

namespace json = boost::json;

HttpResponse CommandResponse(const Result<CommandResult>& result) {
  if (!result.ok()) return ProblemResponse(result.status());
  json::object body;
  body["stream"] = result->stream;
  if (result->version) {
    body["version"] = result->version->value;
  } else {
    body["version"] = nullptr;
  }
  body["position"] = result->position.value;
  json::array streams;
  for (const StreamRevision& revision : result->streams) {
    streams.push_back(
        json::object{{"stream", revision.stream}, {"version", revision.version.value}});
  }
  body["streams"] = std::move(streams);
  body["duplicate"] = result->duplicate;
  return JsonOk(JsonText(body));
}

void DispatchCommand(CommandBus& bus, const HttpRequest& request, std::shared_ptr<Reply> reply) {
  CommandOptions options;
  options.command_id = std::string(request.Header("idempotency-key"));
  bus.DispatchAsync(
      request.PathParam("type"), request.body, options, DeferOn(reply),
      [reply](Result<CommandResult> result) { reply->Send(CommandResponse(result)); });
}

std::string Field(size_t index, std::string_view name) {
  return "events[" + std::to_string(index) + "]" + (name.empty() ? "" : "." + std::string(name));
}

// One element of the body of POST /streams/{stream}.
Result<EventData> DecodeEvent(const json::value& value, size_t index) {
  const json::object* object = value.if_object();
  if (object == nullptr) return Status::InvalidArgument(Field(index, ""), "must be an object");
  EventData event;
  for (const auto& [key, field] : *object) {
    if (key == "type") {
      if (!field.is_string()) return Status::InvalidArgument(Field(index, key), "must be a string");
      event.type = std::string(field.get_string());
    } else if (key == "data") {
      event.data = json::serialize(field);
    } else if (key == "metadata") {
      if (!field.is_object())
        return Status::InvalidArgument(Field(index, key), "must be an object");
      event.metadata = json::serialize(field);
    } else if (key == "id") {
      if (!field.is_string())
        return Status::InvalidArgument(Field(index, key), "must be a UUID string");
      Result<EventId> id = EventId::Parse(field.get_string());
      if (!id.ok())
        return Status::InvalidArgument(Field(index, key), "must be a UUID (8-4-4-4-12 hex)");
      event.id = *id;
    } else {
      return Status::InvalidArgument(Field(index, key), "unknown field");
    }
  }
  if (event.type.empty()) return Status::InvalidArgument(Field(index, "type"), "is required");
  if (!object->contains("data"))
    return Status::InvalidArgument(Field(index, "data"), "is required");
  return event;
}

Result<std::vector<EventData>> DecodeEvents(std::string_view body) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec) return Status::InvalidArgument("body", "not JSON: " + ec.message());
  const json::array* array = parsed.if_array();
  if (array == nullptr || array->empty()) {
    return Status::InvalidArgument("body", "must be a non-empty JSON array of events");
  }
  std::vector<EventData> events;
  events.reserve(array->size());
  for (size_t i = 0; i < array->size(); ++i) {
    DUET_ASSIGN_OR_RETURN(EventData event, DecodeEvent((*array)[i], i));
    events.push_back(std::move(event));
  }
  return events;
}

void AppendEvents(EventStore& store, const Limits& limits, const HttpRequest& request,
                  std::shared_ptr<Reply> reply) {
  const std::string stream(request.PathParam("stream"));
  if (Status valid = ValidateStreamName(stream, limits); !valid.ok()) {
    return reply->Send(ProblemResponse(valid));
  }
  ExpectedVersion expected = ExpectedVersion::Any();
  if (std::string_view header = request.Header("expected-version"); !header.empty()) {
    Result<ExpectedVersion> parsed = ExpectedVersion::Parse(header);
    if (!parsed.ok()) {
      return reply->Send(ProblemResponse(Status::InvalidArgument(
          "Expected-Version", "must be any, no_stream, stream_exists or a version number")));
    }
    expected = *parsed;
  }
  Result<std::vector<EventData>> events = DecodeEvents(request.body);
  if (!events.ok()) return reply->Send(ProblemResponse(events.status()));
  StreamAppend append{stream, expected, std::move(events).value()};
  store.AppendMultiAsync(std::span(&append, 1), [reply, stream](Result<MultiAppendResult> result) {
    if (!result.ok()) return reply->Send(ProblemResponse(result.status()));
    json::object body{{"stream", stream},
                      {"version", result->streams.front().next_expected_version.value},
                      {"position", result->streams.front().position.value}};
    reply->Send(JsonOk(JsonText(body)));
  });
}

// On a query node the write routes exist only to say where writes go:
// 421 Misdirected Request, naming the command node.
void AddMisdirectedWriteRoutes(const std::string& command_node_url, Router* router) {
  for (const char* pattern : {"/commands/{type}", "/streams/{stream}"}) {
    router->Add({.method = "POST",
                 .pattern = pattern,
                 .scope = Scope::kCommand,
                 .execution = Execution::kInline,
                 .handle =
                     [command_node_url](const HttpRequest&) {
                       // A follower names its command node; a query node
                       // reading PostgreSQL names the store's command nodes.
                       const std::string where = command_node_url.starts_with("http")
                                                     ? "the command node at " + command_node_url
                                                     : command_node_url;
                       return ProtocolProblem(
                           421, "wrong_role",
                           "this is a query node; send commands and appends to " + where);
                     },
                 .summary = "refused: writes go to the command node"});
  }
}

}  // namespace

void AddCommandRoutes(const ApiBackends& backends, Router* router) {
  if (backends.commands == nullptr && !backends.command_node_url.empty()) {
    return AddMisdirectedWriteRoutes(backends.command_node_url, router);
  }
  if (backends.commands != nullptr) {
    router->Add(
        {.method = "POST",
         .pattern = "/commands/{type}",
         .scope = Scope::kCommand,
         .execution = Execution::kAsync,
         .handle_async =
             [bus = backends.commands](const HttpRequest& request, std::shared_ptr<Reply> reply) {
               DispatchCommand(*bus, request, std::move(reply));
             },
         .summary = "dispatch a command"});
  }
  if (backends.commands != nullptr && backends.store != nullptr) {
    router->Add({.method = "POST",
                 .pattern = "/streams/{stream}",
                 .scope = Scope::kCommand,
                 .execution = Execution::kAsync,
                 .handle_async =
                     [store = backends.store, limits = backends.limits](
                         const HttpRequest& request, std::shared_ptr<Reply> reply) {
                       AppendEvents(*store, limits, request, std::move(reply));
                     },
                 .summary = "append events to a stream"});
  }
}

}  // namespace duet::server
