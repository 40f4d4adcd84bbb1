// EventFilter: which events of the log a reader of GET /events or
// GET /events/live wants, from the query parameters `stream`, `category` and
// `types`. The filters combine with AND; the types listed are OR'ed.
//
// A category is the part of a stream name before its first '-' (the
// `category-id` convention of DESIGN.md, and KurrentDB's $by_category):
// category=account matches account-alice and account-bob-2, not accounts-x
// and not a stream named just "account".
//
// Filtered reads scan the log in position order and skip what does not
// match (no index serves them); each read is bounded by a scan budget, and
// answers how far it scanned so the reader resumes from there.
//
// Thread-compatible value type.
#ifndef DUET_SERVER_EVENT_FILTER_H_
#define DUET_SERVER_EVENT_FILTER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/event_store.h"
#include "duet/options.h"
#include "duet/result.h"
#include "server/http_message.h"

namespace duet::server {

struct EventFilter {
  std::optional<std::string> stream;    // exact stream name
  std::optional<std::string> category;  // stream-name part before the first '-'
  std::vector<std::string> types;       // any of these; empty: every type

  // True when no filter was given: every event matches.
  bool all() const { return !stream && !category && types.empty(); }
  bool Matches(const RecordedEvent& event) const;
};

// The most types one `types` parameter may list.
inline constexpr size_t kMaxFilterTypes = 100;

// Reads the filter from `request`'s query parameters. Errors:
// InvalidArgument naming the parameter ("stream", "category" or "types") for
// an empty or invalid value, a category holding '-', or more than
// kMaxFilterTypes types.
Result<EventFilter> ParseEventFilter(const HttpRequest& request, const Limits& limits);

}  // namespace duet::server

#endif  // DUET_SERVER_EVENT_FILTER_H_
