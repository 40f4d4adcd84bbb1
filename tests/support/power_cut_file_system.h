// PowerCutFileSystem: an in-memory FileSystem that forgets, on a simulated
// power cut, everything that was not made durable (the idea of RocksDB's
// FaultInjectionTestFS and LevelDB's fault-injection env, in miniature).
//
// What it keeps apart, under a root folder:
//   - per file, the written bytes and the durable bytes: File::Sync
//     (fdatasync) makes the written bytes, size included, durable;
//   - per directory, the live entries and the durable entries: an entry
//     created, renamed or removed (a file or a subdirectory) persists only
//     once SyncDir of the directory that holds it ran.
// Cut() leaves exactly the durable state: unsynced writes and truncations
// gone, unsynced renames undone (an overwritten target is back), files and
// directories whose entry was never synced absent (even if their data was
// synced), unsynced removals undone. With torn tails, a file whose written
// bytes extend its durable bytes keeps a seeded random prefix of the excess,
// like a last write cut short.
//
// After a cut the power stays off: every call fails with kIOError ("power is
// off"), so the writers of the old process (and its destructors) reach
// nothing, until PowerOn(). Files opened before a cut fail for good.
//
// The root and its ancestors exist and are durable from the start (the test
// owns them); the root is a real folder on disk only so that a store's LOCK
// file (an flock, outside the seam) has a place. Paths outside the root are
// kInvalidArgument. Directories are never removed.
//
// Thread-safe (one mutex; it is a test double, not a fast one).
#ifndef DUET_TESTS_SUPPORT_POWER_CUT_FILE_SYSTEM_H_
#define DUET_TESTS_SUPPORT_POWER_CUT_FILE_SYSTEM_H_

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "util/file_system.h"

namespace duet::testing {

struct CutOptions {
  // Keep a seeded random prefix of each file's unsynced appended bytes.
  bool torn_tails = false;
};

class PowerCutFileSystem final : public FileSystem {
 public:
  // `seed` drives the torn tails.
  PowerCutFileSystem(std::filesystem::path root, uint64_t seed);
  ~PowerCutFileSystem() override;

  // A power cut now: the state becomes the durable state, the power stays off.
  void Cut(CutOptions options = {});
  // A power cut just before the `n`-th mutating call from now (1: the next
  // one), which then fails. Mutating calls: WriteAt, Sync, Truncate, an Open
  // that creates or truncates, CreateDir, SyncDir, Rename, Remove.
  void CutBeforeMutation(uint64_t n, CutOptions options = {});
  bool powered_off() const;
  // Power back on: calls work again on the state the cut left.
  void PowerOn();
  // Cuts so far.
  uint64_t cuts() const;
  // Mutating calls so far (failed ones included).
  uint64_t mutations() const;

  Result<std::unique_ptr<File>> Open(const std::filesystem::path& path, OpenMode mode) override;
  Status CreateDir(const std::filesystem::path& dir) override;
  Status SyncDir(const std::filesystem::path& dir) override;
  Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  Status Remove(const std::filesystem::path& path) override;
  Result<std::vector<std::string>> ListDir(const std::filesystem::path& dir) override;

 private:
  class MemoryFile;
  // A file's contents (an inode): shared by its directory entries, live and
  // durable, and by the Files open on it.
  struct Node {
    std::string written;
    std::string durable;
  };
  struct Dir {
    std::map<std::string, std::shared_ptr<Node>> files;
    std::map<std::string, std::shared_ptr<Node>> durable_files;
    std::set<std::string> subdirs;
    std::set<std::string> durable_subdirs;
  };

  // OK, or the failure a call gets now; counts a mutating call and runs a
  // planned cut. REQUIRES: mu_ held.
  Status Admit(bool mutating);
  void CutLocked(CutOptions options);
  // `path` made absolute and normal; InvalidArgument outside the root.
  Result<std::filesystem::path> Resolve(const std::filesystem::path& path) const;
  // The directory at `path`, or nullptr. REQUIRES: mu_ held.
  Dir* FindDir(const std::filesystem::path& path);

  const std::filesystem::path root_;
  mutable std::mutex mu_;
  std::mt19937_64 random_;
  std::map<std::filesystem::path, Dir> dirs_;  // the root and what is under it
  uint64_t generation_ = 0;                    // one more per cut
  bool powered_off_ = false;
  uint64_t cuts_ = 0;
  uint64_t mutations_ = 0;
  uint64_t cut_at_mutation_ = 0;  // 0: none planned
  CutOptions planned_cut_;
};

}  // namespace duet::testing

#endif  // DUET_TESTS_SUPPORT_POWER_CUT_FILE_SYSTEM_H_
