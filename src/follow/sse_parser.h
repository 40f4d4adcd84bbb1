// SseParser: an incremental parser of the text/event-stream format
// (server-sent events, WHATWG HTML "Server-sent events"), fed with bytes in
// whatever chunks the network delivers.
//
// Supported: fields id, event and data (several data lines joined with "\n"),
// comment lines (":...") and unknown fields ignored, one optional space after
// the colon removed, lines ended by LF or CRLF, an event dispatched on a blank
// line (only when it has at least one data line, as the standard says).
// Not supported: lines ended by a lone CR; the `retry` field (ignored).
//
// Thread-compatible.
#ifndef DUET_FOLLOW_SSE_PARSER_H_
#define DUET_FOLLOW_SSE_PARSER_H_

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "duet/status.h"

namespace duet::follow {

struct SseEvent {
  std::string id;     // this event's id field; empty when it had none
  std::string event;  // the event field; empty means the default "message"
  std::string data;
};

class SseParser {
 public:
  using Handler = std::function<Status(SseEvent&& event)>;

  // `max_event_bytes` bounds the bytes of one event (its lines, before
  // dispatch), so a peer cannot make the parser buffer without limit.
  explicit SseParser(size_t max_event_bytes = size_t{64} << 20);

  // Parses `bytes`, calling `handler` for each event completed by them.
  // Returns the first non-OK status of `handler` (parsing stops there), or
  // kCorruption when an event exceeds the maximum size. After an error the
  // parser refuses more input until Reset().
  Status Feed(std::string_view bytes, const Handler& handler);

  // Forgets any partial line or event (e.g. after a reconnect).
  void Reset();

 private:
  Status Line(std::string_view line, const Handler& handler);

  const size_t max_event_bytes_;
  std::string line_;        // a line not yet ended
  SseEvent event_;          // fields of the event being built
  bool has_data_ = false;   // event_ has at least one data line
  size_t event_bytes_ = 0;  // bytes of the completed lines of event_
  bool at_start_ = true;    // no byte seen yet (a leading BOM is skipped)
  Status error_;
};

}  // namespace duet::follow

#endif  // DUET_FOLLOW_SSE_PARSER_H_
