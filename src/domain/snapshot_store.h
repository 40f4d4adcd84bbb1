// SnapshotStore: aggregate snapshot files in one directory, one file per
// stream, replaced atomically. Format: docs/format.md, "Aggregate snapshots".
//
// Thread-safe (writes are serialized: snapshots are rare and small).
#ifndef DUET_DOMAIN_SNAPSHOT_STORE_H_
#define DUET_DOMAIN_SNAPSHOT_STORE_H_

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "duet/result.h"
#include "duet/types.h"
#include "util/file_system.h"
#include "util/thread_annotations.h"

namespace duet::domain {

inline constexpr char kSnapshotMagic[8] = {'D', 'U', 'E', 'T', 'S', 'N', 'A', 'P'};
inline constexpr uint32_t kSnapshotFormatVersion = 1;
inline constexpr size_t kSnapshotHeaderSize = 48;  // magic .. payload length
inline constexpr size_t kSnapshotTrailerSize = 4;  // masked CRC32C
// File names longer than this are shortened with a hash (NAME_MAX is 255 and
// the atomic write adds ".tmp").
inline constexpr size_t kMaxSnapshotBaseName = 200;

struct Snapshot {
  std::string stream;
  uint32_t schema_version = 0;  // the decider's state schema version
  StreamVersion version;        // the last event the state reflects
  EventId event_id;             // that event's id (detects a stale snapshot)
  std::string payload;          // the state as JSON
};

// The file bytes of `snapshot`.
std::string EncodeSnapshot(const Snapshot& snapshot);
// Parses file bytes. Corruption for bad magic, lengths or CRC;
// FailedPrecondition for a format version this build does not read.
Result<Snapshot> DecodeSnapshot(std::string_view bytes);

class SnapshotStore {
 public:
  // `fs`: where the files go (nullptr: the POSIX file system); must outlive
  // this object.
  explicit SnapshotStore(std::filesystem::path dir, FileSystem* fs = nullptr);

  // Replaces the stream's snapshot atomically (temp file, fdatasync, rename,
  // directory fsync); creates the directory if needed.
  Status Write(const Snapshot& snapshot);
  // The stream's snapshot; nullopt if there is none. Errors as DecodeSnapshot,
  // plus Corruption when the file holds another stream's snapshot, and
  // IOError.
  Result<std::optional<Snapshot>> Read(std::string_view stream) const;

  // The file that holds `stream`'s snapshot.
  std::filesystem::path PathFor(std::string_view stream) const;
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  FileSystem* const fs_;
  std::mutex write_mu_;
  bool dir_synced_ GUARDED_BY(write_mu_) = false;  // the folder's entry is durable
};

}  // namespace duet::domain

#endif  // DUET_DOMAIN_SNAPSHOT_STORE_H_
