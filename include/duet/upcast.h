// Upcasting: reading events written in an older shape with today's code.
//
// An event type's shape has a schema version (EventType::schema_version,
// default 1). The writer stores it with each event in the reserved metadata
// key "$schema_version" (absent: 1, so every event written before versions
// existed reads as version 1, and events of version 1 are stored exactly as
// before). Events on disk are never rewritten: an old event is brought to
// today's shape each time it is read, by a chain of upcasters.
//
// An Upcaster reads events of one type at one schema version and returns the
// events they are now: zero (a dropped event), one (reshaped data, or a
// renamed type), or several (a split). An event it returns of the same type
// must be of the next version (from_version + 1), so a chain goes one version
// at a time; one of another type (a rename or a split) may be of any version
// of that type, and goes on through that type's chain. The UpcasterChain
// applies upcasters until every event is at its type's current version (one
// past the newest upcaster registered for the type; 1 without any).
//
// A Domain lists its upcasters (duet/app.h); the App builds one chain from
// every domain's and gives it to the repository (aggregate loading, and the
// events after a snapshot: a snapshot is of state and needs none) and the
// projection engine (live runners, rebuilds, Verify, BuildAt) alike. Each of
// them hands the chain the events it reads from the store: events read
// straight from the store (EventStore::ReadAll, the HTTP feed, `duet read`)
// show what is stored.
//
// The events a split yields share the stored event's stream, version,
// position, id and timestamp; their metadata is the stored event's with
// "$schema_version" set to their own version.
//
// Errors are kUpcastFailed, subject the event type: at UpcasterChain::Make
// for an ill-formed chain (an empty type, a version 0, a missing function, a
// type registered twice at one version, a gap: versions 1..N-1 of a type must
// all have an upcaster), and while upcasting for a loop (an event that comes
// back to a type and version it went through), an upcaster that throws or
// fails, returns data that is not a JSON object, a type that is not a valid
// event type, or a version out of order; also for a stored event whose data
// is not a JSON object or whose "$schema_version" is not a positive integer.
//
// Upcasters must be pure functions (plain function pointers; a captureless
// lambda converts): the same stored event must always read the same, or a
// rebuilt read model would differ from the live one.
//
// An UpcasterChain is immutable once made, and thread-safe.
#ifndef DUET_UPCAST_H_
#define DUET_UPCAST_H_

#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/result.h"
#include "duet/status.h"
#include "duet/types.h"

namespace duet {

// The reserved metadata key that holds an event's schema version.
inline constexpr std::string_view kSchemaVersionKey = "$schema_version";

// One event as an upcaster reads and returns it.
struct UpcastEvent {
  std::string type;
  uint32_t schema_version = 1;
  boost::json::value data;  // a JSON object
};

struct Upcaster {
  std::string type;           // the stored event type it reads
  uint32_t from_version = 1;  // the schema version it reads
  // The events `event` is at the next version; zero drops it. An error
  // status (or an exception) fails the read with kUpcastFailed.
  Result<std::vector<UpcastEvent>> (*upcast)(const UpcastEvent& event) = nullptr;
};

class UpcasterChain {
 public:
  // The chain of `upcasters`; kUpcastFailed naming the type when it is
  // ill-formed (see above).
  static Result<std::shared_ptr<const UpcasterChain>> Make(std::vector<Upcaster> upcasters);

  // The version today's code reads events of `type` at: one past the newest
  // upcaster of `type`, 1 without any.
  uint32_t CurrentVersion(std::string_view type) const;

  // Whether `stored` must go through an upcaster: its type has one at the
  // version it was written with (or that version does not parse, which
  // Upcast then reports). False for almost every event of a log, cheaply:
  // the metadata is parsed only for types that have upcasters.
  bool NeedsUpcast(const RecordedEvent& stored) const;

  // The events `stored` is in today's shapes, in order (see above).
  Result<std::vector<RecordedEvent>> Upcast(const RecordedEvent& stored) const;

 private:
  UpcasterChain() = default;
  using Key = std::pair<std::string, uint32_t>;
  struct KeyLess {
    using is_transparent = void;
    bool operator()(const Key& a, const Key& b) const { return a < b; }
    bool operator()(const Key& a, const std::pair<std::string_view, uint32_t>& b) const {
      return std::pair<std::string_view, uint32_t>(a.first, a.second) < b;
    }
    bool operator()(const std::pair<std::string_view, uint32_t>& a, const Key& b) const {
      return a < std::pair<std::string_view, uint32_t>(b.first, b.second);
    }
  };
  const Upcaster* Find(std::string_view type, uint32_t version) const;
  // Brings `event` (reached through `path`) to its type's current version,
  // appending the results to `out`.
  Status Step(UpcastEvent event, std::vector<Key>& path, std::vector<UpcastEvent>& out) const;

  std::map<Key, Upcaster, KeyLess> upcasters_;
  std::map<std::string, uint32_t, std::less<>> current_;  // types with upcasters only
};

// The schema version `metadata` (an event's metadata JSON) records: its
// "$schema_version", 1 when the key is absent or the metadata is not a JSON
// object. kUpcastFailed when the key holds anything but an integer in
// 1..UINT32_MAX.
Result<uint32_t> StoredSchemaVersion(std::string_view metadata);

// `metadata` with "$schema_version" set to `version`. Version 1 leaves
// metadata without the key unchanged (the stored form of every event before
// schema versions). Metadata that is empty or not a JSON object becomes
// {"$schema_version": version} (nothing else was readable in it).
std::string WithSchemaVersion(std::string_view metadata, uint32_t version);

}  // namespace duet

#endif  // DUET_UPCAST_H_
