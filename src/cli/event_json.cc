#include "cli/event_json.h"

#include <boost/json.hpp>

namespace duet::cli {
namespace {

boost::json::value JsonOrString(const std::string& bytes) {
  if (bytes.empty()) return nullptr;
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(bytes, ec);
  if (!ec) return parsed;
  return boost::json::string(bytes);
}

}  // namespace

std::string EventToJson(const RecordedEvent& event) {
  boost::json::object o;
  o["position"] = event.position.value;
  o["stream"] = event.stream;
  o["version"] = event.version.value;
  o["timestamp_us"] = event.timestamp_us;
  o["id"] = event.id.ToString();
  o["type"] = event.type;
  o["data"] = JsonOrString(event.data);
  o["metadata"] = JsonOrString(event.metadata);
  return boost::json::serialize(o);
}

}  // namespace duet::cli
