#include "follow/sse_parser.h"

#include <utility>

namespace duet::follow {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

}  // namespace

SseParser::SseParser(size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

void SseParser::Reset() {
  line_.clear();
  event_ = SseEvent();
  has_data_ = false;
  event_bytes_ = 0;
  at_start_ = true;
  error_ = Status::OK();
}

Status SseParser::Feed(std::string_view bytes, const Handler& handler) {
  DUET_RETURN_IF_ERROR(error_);
  while (!bytes.empty()) {
    const size_t lf = bytes.find('\n');
    const std::string_view piece = bytes.substr(0, lf);
    if (event_bytes_ + line_.size() + piece.size() > max_event_bytes_) {
      error_ = Status::Corruption("event stream: an event is larger than " +
                                  std::to_string(max_event_bytes_) + " bytes");
      return error_;
    }
    line_.append(piece);
    if (at_start_ && line_.size() >= kBom.size()) {
      if (line_.starts_with(kBom)) line_.erase(0, kBom.size());
      at_start_ = false;
    }
    if (lf == std::string_view::npos) break;
    bytes.remove_prefix(lf + 1);
    at_start_ = false;
    std::string line = std::move(line_);
    line_.clear();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    Status status = Line(line, handler);
    if (!status.ok()) {
      error_ = status;
      return status;
    }
  }
  return Status::OK();
}

Status SseParser::Line(std::string_view line, const Handler& handler) {
  if (line.empty()) {
    SseEvent event = std::move(event_);
    const bool dispatch = has_data_;
    event_ = SseEvent();
    has_data_ = false;
    event_bytes_ = 0;
    return dispatch ? handler(std::move(event)) : Status::OK();
  }
  event_bytes_ += line.size() + 1;
  if (line.front() == ':') return Status::OK();  // comment (keep-alive)
  const size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
  if (value.starts_with(' ')) value.remove_prefix(1);
  if (field == "data") {
    if (has_data_) event_.data.push_back('\n');
    event_.data.append(value);
    has_data_ = true;
  } else if (field == "event") {
    event_.event = std::string(value);
  } else if (field == "id") {
    // The standard ignores an id containing NUL.
    if (value.find('\0') == std::string_view::npos) event_.id = std::string(value);
  }
  return Status::OK();
}

}  // namespace duet::follow
