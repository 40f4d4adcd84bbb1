// The JSON form of a recorded event: the wire format of the event feed. The
// HTTP API writes it (GET /events, /events/live, /streams/{s}; src/server),
// as does `duet read` (CLI); the query node's follower store decodes it back.
// It lives here, with its decoder, so that what the feed writes and what the
// follower parses are one codec; the server depends on this area, not the
// other way round.
//   {"position":p,"stream":s,"version":v,"timestamp_us":t,"id":"<uuid>",
//    "type":t,"data":<JSON, or a string when not JSON>,"metadata":<same>}
// Empty data/metadata are written as null.
//
// Round trip: data that is JSON comes back re-serialized by Boost.JSON (same
// value, possibly other spacing or number spelling); data that is not JSON
// comes back byte for byte; a JSON string literal as data comes back as its
// contents (the encoding cannot tell them apart).
//
// Stateless functions; thread-safe.
#ifndef DUET_FOLLOW_EVENT_JSON_H_
#define DUET_FOLLOW_EVENT_JSON_H_

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "duet/result.h"
#include "duet/types.h"

namespace duet::follow {

// The form above as a JSON object (for embedding in a larger answer).
boost::json::object EventJson(const RecordedEvent& event);

// One line of JSON, no trailing newline.
std::string EventToJson(const RecordedEvent& event);

// Decodes the form above. Errors: kCorruption naming the bad field.
Result<RecordedEvent> EventFromJson(const boost::json::value& json);
Result<RecordedEvent> EventFromJsonText(std::string_view text);

}  // namespace duet::follow

#endif  // DUET_FOLLOW_EVENT_JSON_H_
