#include "follow/event_json.h"

#include <boost/json.hpp>

#include "util/json_text.h"

namespace duet::follow {
namespace {

boost::json::value JsonOrString(const std::string& bytes) {
  if (bytes.empty()) return nullptr;
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(bytes, ec);
  if (!ec) return parsed;
  return boost::json::string(bytes);
}

Status Bad(std::string_view field, std::string_view reason) {
  return Status::Corruption("event JSON: \"" + std::string(field) + "\" " + std::string(reason));
}

Result<uint64_t> Unsigned(const boost::json::object& o, std::string_view field) {
  const boost::json::value* v = o.if_contains(field);
  if (v == nullptr) return Bad(field, "is missing");
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
  return Bad(field, "must be a non-negative integer");
}

Result<std::string> String(const boost::json::object& o, std::string_view field) {
  const boost::json::value* v = o.if_contains(field);
  if (v == nullptr || !v->is_string()) return Bad(field, "must be a string");
  return std::string(v->get_string());
}

// Inverse of JsonOrString: null is empty, a string is the bytes themselves,
// anything else is JSON text.
std::string Payload(const boost::json::object& o, std::string_view field) {
  const boost::json::value* v = o.if_contains(field);
  if (v == nullptr || v->is_null()) return {};
  if (v->is_string()) return std::string(v->get_string());
  return boost::json::serialize(*v);
}

}  // namespace

boost::json::object EventJson(const RecordedEvent& event) {
  boost::json::object o;
  o["position"] = event.position.value;
  o["stream"] = event.stream;
  o["version"] = event.version.value;
  o["timestamp_us"] = event.timestamp_us;
  o["id"] = event.id.ToString();
  o["type"] = event.type;
  o["data"] = JsonOrString(event.data);
  o["metadata"] = JsonOrString(event.metadata);
  return o;
}

std::string EventToJson(const RecordedEvent& event) { return JsonText(EventJson(event)); }

Result<RecordedEvent> EventFromJson(const boost::json::value& json) {
  const boost::json::object* o = json.if_object();
  if (o == nullptr) return Status::Corruption("event JSON: not an object");
  RecordedEvent event;
  DUET_ASSIGN_OR_RETURN(uint64_t position, Unsigned(*o, "position"));
  if (position == 0) return Bad("position", "must be at least 1");
  event.position = GlobalPosition(position);
  DUET_ASSIGN_OR_RETURN(event.stream, String(*o, "stream"));
  DUET_ASSIGN_OR_RETURN(uint64_t version, Unsigned(*o, "version"));
  event.version = StreamVersion(version);
  const boost::json::value* ts = o->if_contains("timestamp_us");
  if (ts == nullptr || !(ts->is_int64() || ts->is_uint64())) {
    return Bad("timestamp_us", "must be an integer");
  }
  event.timestamp_us = ts->is_int64() ? ts->get_int64() : static_cast<int64_t>(ts->get_uint64());
  DUET_ASSIGN_OR_RETURN(std::string id, String(*o, "id"));
  Result<EventId> parsed_id = EventId::Parse(id);
  if (!parsed_id.ok()) return Bad("id", "is not a UUID");
  event.id = *parsed_id;
  DUET_ASSIGN_OR_RETURN(event.type, String(*o, "type"));
  event.data = Payload(*o, "data");
  event.metadata = Payload(*o, "metadata");
  return event;
}

Result<RecordedEvent> EventFromJsonText(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value json = boost::json::parse(text, ec);
  if (ec) return Status::Corruption("event JSON: " + ec.message());
  return EventFromJson(json);
}

}  // namespace duet::follow
