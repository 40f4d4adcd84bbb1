// LockFile: an exclusive, advisory, per-open-file lock (flock) on a file, held
// for the object's lifetime. The embedded store takes data/LOCK with it so
// that only one process writes a data folder.
//
// The file holds the holder's pid (decimal, newline) so a refused opener can
// say who holds it. The lock belongs to the open file description: a second
// Acquire of the same path fails even inside the same process. The kernel
// releases it when the process dies, so a crash never leaves a stale lock
// (the file itself stays; its content is informational).
//
// Thread-compatible; destroying the object releases the lock.
#ifndef DUET_UTIL_LOCK_FILE_H_
#define DUET_UTIL_LOCK_FILE_H_

#include <filesystem>
#include <memory>

#include "duet/result.h"

namespace duet {

class LockFile {
 public:
  // Creates `path` if missing and locks it. Errors: kBusy naming the path and
  // the holder's pid when another holder has it; kIOError otherwise.
  static Result<std::unique_ptr<LockFile>> Acquire(const std::filesystem::path& path);

  ~LockFile();
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  LockFile(std::filesystem::path path, int fd) : path_(std::move(path)), fd_(fd) {}

  std::filesystem::path path_;
  int fd_;
};

}  // namespace duet

#endif  // DUET_UTIL_LOCK_FILE_H_
