// The JSON form of a recorded event, shared by `duet read` (CLI), the HTTP
// API (GET /events, /events/live, /streams/{s}) and the query node's follower
// store, which decodes it back:
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
#ifndef DUET_SERVER_EVENT_JSON_H_
#define DUET_SERVER_EVENT_JSON_H_

#include <string>
#include <string_view>

#include "duet/result.h"
#include "duet/types.h"

#include <boost/json/object.hpp>

namespace duet::server {

// The form above as a JSON object (for embedding in a larger answer).
boost::json::object EventJson(const RecordedEvent& event);

// One line of JSON, no trailing newline.
std::string EventToJson(const RecordedEvent& event);

// Decodes the form above. Errors: kCorruption naming the bad field.
Result<RecordedEvent> EventFromJson(const boost::json::value& json);
Result<RecordedEvent> EventFromJsonText(std::string_view text);

}  // namespace duet::server

#endif  // DUET_SERVER_EVENT_JSON_H_
