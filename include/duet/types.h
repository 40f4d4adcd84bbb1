// Value types shared by every layer: positions, versions, event ids, events.
//
// Positions and versions are strong types so they cannot be mixed:
// - GlobalPosition: 1-based, contiguous, monotonic position of an event in the
//   whole log. 0 (kNoPosition) means "before the first event".
// - StreamVersion: 0-based index of an event within its stream.
//
// All types here are thread-compatible values.
#ifndef DUET_TYPES_H_
#define DUET_TYPES_H_

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "duet/result.h"

namespace duet {

struct GlobalPosition {
  uint64_t value = 0;
  constexpr GlobalPosition() = default;
  constexpr explicit GlobalPosition(uint64_t v) : value(v) {}
  constexpr GlobalPosition Next() const { return GlobalPosition(value + 1); }
  friend constexpr auto operator<=>(GlobalPosition, GlobalPosition) = default;
};

// Before the first event; subscribing "after kNoPosition" starts at the start.
inline constexpr GlobalPosition kNoPosition{0};

struct StreamVersion {
  uint64_t value = 0;
  constexpr StreamVersion() = default;
  constexpr explicit StreamVersion(uint64_t v) : value(v) {}
  friend constexpr auto operator<=>(StreamVersion, StreamVersion) = default;
};

// For backward reads: start at the newest event of the stream.
inline constexpr StreamVersion kStreamEnd{UINT64_MAX};

// 128-bit event id (a UUID by convention), the key of idempotent appends.
struct EventId {
  uint64_t hi = 0;
  uint64_t lo = 0;

  // A random (version 4) UUID. Thread-safe.
  static EventId Random();
  // Parses the canonical 8-4-4-4-12 hex form; InvalidArgument otherwise.
  static Result<EventId> Parse(std::string_view text);
  bool IsNil() const { return hi == 0 && lo == 0; }
  std::string ToString() const;
  friend constexpr auto operator<=>(const EventId&, const EventId&) = default;
};

// The concurrency check of an append: what the writer believes the stream's
// current state is. A mismatch fails the append with kWrongExpectedVersion.
class ExpectedVersion {
 public:
  enum class Kind : uint8_t { kAny, kNoStream, kStreamExists, kExact };

  static constexpr ExpectedVersion Any() { return ExpectedVersion(Kind::kAny, 0); }
  static constexpr ExpectedVersion NoStream() { return ExpectedVersion(Kind::kNoStream, 0); }
  static constexpr ExpectedVersion StreamExists() {
    return ExpectedVersion(Kind::kStreamExists, 0);
  }
  // The version of the stream's last event.
  static constexpr ExpectedVersion Exact(StreamVersion v) {
    return ExpectedVersion(Kind::kExact, v.value);
  }
  // The writer's view of the stream: nullopt means it does not exist yet.
  static constexpr ExpectedVersion FromCurrent(std::optional<StreamVersion> v) {
    return v ? Exact(*v) : NoStream();
  }
  // "any", "no_stream", "stream_exists" or a decimal version; InvalidArgument otherwise.
  static Result<ExpectedVersion> Parse(std::string_view text);

  Kind kind() const { return kind_; }
  // REQUIRES: kind() == kExact.
  StreamVersion version() const { return StreamVersion(version_); }
  // Whether a stream whose last version is `current` (nullopt: none) matches.
  bool Matches(std::optional<StreamVersion> current) const;
  std::string ToString() const;
  friend constexpr bool operator==(const ExpectedVersion&, const ExpectedVersion&) = default;

 private:
  constexpr ExpectedVersion(Kind kind, uint64_t version) : kind_(kind), version_(version) {}
  Kind kind_;
  uint64_t version_;
};

// An event as the writer proposes it.
struct EventData {
  EventId id;            // nil: the store assigns a random id
  std::string type;      // stable persisted name, e.g. "AccountOpened"
  std::string data;      // payload bytes, JSON by convention
  std::string metadata;  // JSON by convention: correlation, causation, command id
};

// An event as the store recorded it.
struct RecordedEvent {
  std::string stream;
  StreamVersion version;
  GlobalPosition position;
  // Microseconds since the Unix epoch, at append; never decreases in
  // position order (clamped when the wall clock steps back).
  int64_t timestamp_us = 0;
  EventId id;
  std::string type;
  std::string data;
  std::string metadata;
};

}  // namespace duet

#endif  // DUET_TYPES_H_
