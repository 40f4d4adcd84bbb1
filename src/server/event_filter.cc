#include "server/event_filter.h"

#include <algorithm>

namespace duet::server {
namespace {

// `status` (about a stream name or an event type) re-addressed to the query
// parameter that carried the value.
Status AsParameter(const Status& status, std::string_view parameter) {
  return Status::InvalidArgument(parameter, status.message());
}

Result<std::vector<std::string>> ParseTypes(std::string_view list, const Limits& limits) {
  std::vector<std::string> types;
  for (;;) {
    const size_t comma = list.find(',');
    const std::string_view type = list.substr(0, comma);
    if (Status valid = ValidateEventType(type, limits); !valid.ok()) {
      return AsParameter(valid, "types");
    }
    if (types.size() == kMaxFilterTypes) {
      return Status::InvalidArgument("types",
                                     "more than " + std::to_string(kMaxFilterTypes) + " types");
    }
    types.emplace_back(type);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return types;
}

}  // namespace

bool EventFilter::Matches(const RecordedEvent& event) const {
  if (stream && event.stream != *stream) return false;
  if (category) {
    const std::string_view name = event.stream;
    if (name.size() <= category->size() || name.compare(0, category->size(), *category) != 0 ||
        name[category->size()] != '-') {
      return false;
    }
  }
  return types.empty() || std::find(types.begin(), types.end(), event.type) != types.end();
}

Result<EventFilter> ParseEventFilter(const HttpRequest& request, const Limits& limits) {
  EventFilter filter;
  if (auto it = request.query.find("stream"); it != request.query.end()) {
    if (Status valid = ValidateStreamName(it->second, limits); !valid.ok()) {
      return AsParameter(valid, "stream");
    }
    filter.stream = it->second;
  }
  if (auto it = request.query.find("category"); it != request.query.end()) {
    if (Status valid = ValidateStreamName(it->second, limits); !valid.ok()) {
      return AsParameter(valid, "category");
    }
    if (it->second.find('-') != std::string::npos) {
      return Status::InvalidArgument(
          "category",
          "is the part of a stream name before its first '-' (account for "
          "account-alice), so it holds no '-'");
    }
    filter.category = it->second;
  }
  if (auto it = request.query.find("types"); it != request.query.end()) {
    DUET_ASSIGN_OR_RETURN(filter.types, ParseTypes(it->second, limits));
  }
  return filter;
}

}  // namespace duet::server
