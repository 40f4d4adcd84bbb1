// Options of the embedded store.
#ifndef DUET_OPTIONS_H_
#define DUET_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "duet/result.h"

namespace duet {

// When an append is acknowledged, relative to the disk.
struct Durability {
  enum class Mode : uint8_t {
    kSync,      // acknowledged after fdatasync: survives power loss (default)
    kInterval,  // acknowledged after write(); fdatasync every `interval`
    kNone,      // acknowledged after write(); never synced (tests only)
  };
  Mode mode = Mode::kSync;
  std::chrono::milliseconds interval{0};

  // "sync", "interval:<ms>" (ms > 0) or "none"; InvalidArgument otherwise.
  static Result<Durability> Parse(std::string_view text);
  std::string ToString() const;
};

// Limits on what an append may carry. Violations are kInvalidArgument errors
// naming the field, and nothing is written.
struct Limits {
  size_t max_stream_name_bytes = 255;
  size_t max_event_type_bytes = 255;
  size_t max_event_bytes = 1 << 20;         // data + metadata of one event
  size_t max_events_per_append = 10'000;
  size_t max_append_bytes = 64 << 20;       // whole append, all streams
};

struct StoreOptions {
  Durability durability;
  uint64_t segment_size_bytes = 256ull << 20;
  // Write an index checkpoint after this many events since the last one
  // (and on clean close), so open re-indexes only the log after it.
  uint64_t index_checkpoint_interval = 1'000'000;
  Limits limits;
};

}  // namespace duet

#endif  // DUET_OPTIONS_H_
