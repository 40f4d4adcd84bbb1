// Options of the embedded store.
#ifndef DUET_OPTIONS_H_
#define DUET_OPTIONS_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "duet/result.h"
#include "duet/status.h"

namespace duet {

class FileSystem;  // src/util/file_system.h, private: a test seam

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
  size_t max_event_bytes = 1 << 20;  // data + metadata of one event
  size_t max_events_per_append = 10'000;
  size_t max_append_bytes = 64 << 20;  // whole append, all streams
};

// Receives the store's write-path measurements (e.g. to feed metrics).
// Called synchronously on the store's threads, outside its locks, so an
// implementation must be thread-safe and quick (atomic increments, not I/O),
// and must not call back into the store.
// One group-commit round: `transactions` appends (AppendMulti calls that
// wrote events) carrying `events` events in `bytes` encoded bytes. `sync_time`
// is the round's fdatasync (sync durability); zero when the round was not
// synced by itself (interval and none durability).
struct CommitRound {
  uint64_t transactions = 0;
  uint64_t events = 0;
  uint64_t bytes = 0;
  std::chrono::nanoseconds sync_time{0};
};

class StoreObserver {
 public:
  virtual ~StoreObserver() = default;
  // One group-commit round was written (see CommitRound). Flusher thread.
  virtual void OnCommitRound(const CommitRound& round) = 0;
  // An fdatasync outside a round: interval durability's timer, or close.
  // Flusher thread.
  virtual void OnBackgroundSync(std::chrono::nanoseconds sync_time) { (void)sync_time; }
  // One AppendMulti returned: `latency` from the call to its return (for a
  // success, the acknowledgement); `outcome` is its status code (kOk, or the
  // error, e.g. kWrongExpectedVersion, kInvalidArgument, kIOError).
  // Appender's thread.
  virtual void OnAppend(std::chrono::nanoseconds latency, StatusCode outcome) = 0;
};

struct StoreOptions {
  Durability durability;
  uint64_t segment_size_bytes = 256ull << 20;
  // Write an index checkpoint after this many events since the last one
  // (and on clean close), so open re-indexes only the log after it.
  uint64_t index_checkpoint_interval = 1'000'000;
  Limits limits;
  // Not owned; nullptr: none. Must outlive the store.
  StoreObserver* observer = nullptr;
  // Where the store's files (log segments, index checkpoints) are written;
  // nullptr: the POSIX file system. Tests substitute one that fails calls or
  // forgets unsynced writes. Not owned; must outlive the store.
  FileSystem* file_system = nullptr;
};

}  // namespace duet

#endif  // DUET_OPTIONS_H_
