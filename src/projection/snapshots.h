// Projection snapshots: consistent copies of a persistent read model taken
// every ProjectionEngineOptions::snapshot_every events, from which BuildAt
// starts instead of position 1.
//
//   <readstores_dir>/<name>/snapshots/v<version>-<20-digit checkpoint>/   one copy
//   <readstores_dir>/<name>/snapshots/tmp.db    a copy being taken (removed on start)
//
// The engine owns these names; the read store owns what a copy holds and
// does every copy, check, restore and removal of its files
// (include/duet/read_store.h, "a persistent store's files").
// Format in docs/format.md ("Projection snapshots").
#ifndef DUET_PROJECTION_SNAPSHOTS_H_
#define DUET_PROJECTION_SNAPSHOTS_H_

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "duet/read_store.h"
#include "duet/result.h"
#include "duet/status.h"
#include "duet/types.h"
#include "projection/generation.h"
#include "util/thread_annotations.h"

namespace duet::projection {

inline constexpr std::string_view kSnapshotsFolder = "snapshots";

struct SnapshotName {
  uint32_t version = 0;
  GlobalPosition checkpoint;
  std::string ToString() const;  // "v<version>-<checkpoint, 20 digits>"
};

// nullopt unless `text` is exactly what SnapshotName::ToString writes.
std::optional<SnapshotName> ParseSnapshotName(std::string_view text);

// The folder of snapshot `name` under `projection_dir`.
std::filesystem::path SnapshotFolder(const std::filesystem::path& projection_dir,
                                     const SnapshotName& name);

// The snapshot folders of `version` under `projection_dir`, newest first.
// Folders of other versions and unparsable names are not listed.
std::vector<SnapshotName> ListSnapshots(const std::filesystem::path& projection_dir,
                                        uint32_t version);

// Removes every entry of the snapshots folder but the newest `keep`
// snapshots of `version`.
Status PruneSnapshots(const std::filesystem::path& projection_dir, uint32_t version, size_t keep);

// What the snapshot thread copies: the serving generation, the projection's
// folder and version. Empty `generation.store` when there is nothing to take.
struct SnapshotSource {
  Generation generation;
  std::filesystem::path projection_dir;
  ReadStoreKind kind = ReadStoreKind::kDocument;
  uint32_t version = 0;
};

// Takes snapshots on its own thread, so a copy never holds up a runner or an
// append. Runners report commits (OnCommit); when a projection's checkpoint
// has crossed a multiple of `every` since its last snapshot, the thread asks
// `source` for the serving generation and copies it. Requests for one
// projection coalesce.
//
// Thread-safe. Lock: mu_, a leaf (OnCommit runs on runner threads). files_mu_
// is held while snapshot files are written or removed, and by BuildAt while
// it restores one.
class Snapshotter {
 public:
  using SourceFn = std::function<std::optional<SnapshotSource>(const void* key)>;

  Snapshotter(uint64_t every, size_t keep, SourceFn source);
  ~Snapshotter();  // finishes the copy in progress, drops the queued ones
  Snapshotter(const Snapshotter&) = delete;
  Snapshotter& operator=(const Snapshotter&) = delete;

  bool enabled() const { return every_ != 0; }

  // Registers projection `key` whose newest snapshot is at `newest`.
  void Track(const void* key, GlobalPosition newest) EXCLUDES(mu_);
  // A commit of `key`'s serving store at `checkpoint`.
  void OnCommit(const void* key, GlobalPosition checkpoint) EXCLUDES(mu_);
  // Blocks until no request is queued or being served (tests).
  void DrainForTest() EXCLUDES(mu_);

  std::mutex& files_mu() { return files_mu_; }

 private:
  void Run() EXCLUDES(mu_);
  Result<GlobalPosition> Take(const SnapshotSource& source);

  const uint64_t every_;
  const size_t keep_;
  const SourceFn source_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::map<const void*, uint64_t> last_bucket_ GUARDED_BY(mu_);  // checkpoint / every_
  std::vector<const void*> pending_ GUARDED_BY(mu_);
  bool busy_ GUARDED_BY(mu_) = false;
  bool closing_ GUARDED_BY(mu_) = false;
  std::condition_variable idle_cv_;

  std::mutex files_mu_;
  std::thread thread_;
};

}  // namespace duet::projection

#endif  // DUET_PROJECTION_SNAPSHOTS_H_
