// The embedded event store: one data folder, no server.
//
//   data/log/        segment files (src/log, docs/format.md)
//   data/index/      stream-index checkpoints
//   data/LOCK        held by the one process that writes this folder
//
// Every file but LOCK (an flock, not data) goes through
// StoreOptions::file_system.
//
// Thread-safe.
#ifndef DUET_EMBEDDED_STORE_H_
#define DUET_EMBEDDED_STORE_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "duet/event_store.h"
#include "duet/options.h"
#include "duet/result.h"

namespace duet {

struct StoreStats {
  uint64_t streams = 0;
  uint64_t events = 0;
  uint64_t log_bytes = 0;
  uint64_t segments = 0;
  GlobalPosition head;
};

// What open found and did, for the operator.
struct OpenReport {
  uint64_t truncated_bytes = 0;     // torn tail cut off the last segment
  std::string truncated_segment;    // its file name, if any
  GlobalPosition index_checkpoint;  // newest index checkpoint used (0: none)
  uint64_t events_reindexed = 0;    // log events read after that checkpoint
};

class EmbeddedStore : public EventStore {
 public:
  // Opens (creating if missing) the store in `data_dir`, recovering the log.
  // Errors: kBusy (another process has the folder), kCorruption (names the
  // segment and offset), kIOError.
  static Result<std::unique_ptr<EmbeddedStore>> Open(const std::filesystem::path& data_dir,
                                                     const StoreOptions& options);

  virtual OpenReport open_report() const = 0;
  virtual StoreStats Stats() = 0;
  // Writes an index checkpoint now (also done on close and every
  // options.index_checkpoint_interval events).
  virtual Status CheckpointIndex() = 0;

  // OK while appends are accepted; after a failed fsync or a failed write
  // other than a full disk, the sticky failure (kIOError / kStorageFull).
  // A write that found the disk full fails only its own appends (and those
  // queued with it) with kStorageFull: Health stays OK and appends resume
  // once there is space. Reads go on either way.
  Status Health() const override = 0;
};

// Reads every record of the folder's log and checks its framing and CRC,
// without taking the write lock. Returns the totals, or kCorruption naming the
// first bad segment and offset.
Result<StoreStats> VerifyDataFolder(const std::filesystem::path& data_dir);
// The same, reading through `file_system` (see StoreOptions::file_system).
Result<StoreStats> VerifyDataFolder(const std::filesystem::path& data_dir, FileSystem* file_system);

}  // namespace duet

#endif  // DUET_EMBEDDED_STORE_H_
