#include "duet/types.h"

#include <charconv>
#include <random>

#include "util/hex.h"

namespace duet {

EventId EventId::Random() {
  // One generator per thread: no lock on the append path.
  thread_local std::mt19937_64 rng([] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }());
  EventId id{rng(), rng()};
  id.hi = (id.hi & ~0xF000ull) | 0x4000ull;                  // version 4
  id.lo = (id.lo & ~(0xC000ull << 48)) | (0x8000ull << 48);  // RFC 4122 variant
  return id;
}

Result<EventId> EventId::Parse(std::string_view text) {
  constexpr size_t kLength = 36;
  if (text.size() != kLength)
    return Status::InvalidArgument("event_id", "must be a 36-character UUID");
  uint64_t words[2] = {0, 0};
  int digits = 0;
  for (size_t i = 0; i < kLength; ++i) {
    const bool dash_slot = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash_slot) {
      if (text[i] != '-')
        return Status::InvalidArgument("event_id", "dashes must be at 8-4-4-4-12");
      continue;
    }
    const int v = HexDigitValue(text[i]);
    if (v < 0)
      return Status::InvalidArgument("event_id", "must contain only hex digits and dashes");
    uint64_t& word = words[digits / 16];
    word = (word << 4) | static_cast<uint64_t>(v);
    ++digits;
  }
  return EventId{words[0], words[1]};
}

std::string EventId::ToString() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
    const uint64_t word = i < 16 ? hi : lo;
    out.push_back(kHex[(word >> (60 - 4 * (i % 16))) & 0xF]);
  }
  return out;
}

Result<ExpectedVersion> ExpectedVersion::Parse(std::string_view text) {
  if (text == "any") return Any();
  if (text == "no_stream") return NoStream();
  if (text == "stream_exists") return StreamExists();
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument("expected_version",
                                   "must be any, no_stream, stream_exists or a version number");
  }
  return Exact(StreamVersion(v));
}

bool ExpectedVersion::Matches(std::optional<StreamVersion> current) const {
  switch (kind_) {
    case Kind::kAny: return true;
    case Kind::kNoStream: return !current.has_value();
    case Kind::kStreamExists: return current.has_value();
    case Kind::kExact: return current.has_value() && current->value == version_;
  }
  return false;
}

std::string ExpectedVersion::ToString() const {
  switch (kind_) {
    case Kind::kAny: return "any";
    case Kind::kNoStream: return "no_stream";
    case Kind::kStreamExists: return "stream_exists";
    case Kind::kExact: return std::to_string(version_);
  }
  return "?";
}

}  // namespace duet
