// The embedded store's only door to the operating system. Every syscall the
// log, the stream-index checkpoints and the aggregate snapshots make goes
// through a FileSystem and the Files it opens, so a test can substitute one
// that fails any call (tests/support/faulty_file_system.h) or forgets what was
// never synced (tests/support/power_cut_file_system.h).
//
// Errors: ENOSPC and EDQUOT are kStorageFull, everything else kIOError; the
// message names the operation, the path and strerror.
#ifndef DUET_UTIL_FILE_SYSTEM_H_
#define DUET_UTIL_FILE_SYSTEM_H_

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "duet/result.h"

namespace duet {

// An open file. Thread-safe for concurrent ReadAt calls alongside one writer
// (positional I/O only: there is no shared file offset).
class File {
 public:
  virtual ~File() = default;

  const std::filesystem::path& path() const { return path_; }

  // Writes all of `data` at `offset`, retrying short writes and EINTR.
  virtual Status WriteAt(uint64_t offset, std::string_view data) = 0;
  // Reads up to `n` bytes at `offset` into `scratch`; fewer only at end of
  // file. Returns the count read.
  virtual Result<size_t> ReadAt(uint64_t offset, size_t n, char* scratch) const = 0;
  // fdatasync.
  virtual Status Sync() = 0;
  virtual Status Truncate(uint64_t size) = 0;
  virtual Result<uint64_t> Size() const = 0;

 protected:
  explicit File(std::filesystem::path path) : path_(std::move(path)) {}

 private:
  std::filesystem::path path_;
};

enum class OpenMode : uint8_t {
  kRead,         // existing file, read-only
  kReadWrite,    // existing file
  kCreateNew,    // must not exist yet (O_CREAT | O_EXCL), read-write
  kCreateTrunc,  // created or emptied, read-write
};

// Thread-safe.
class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // NotFound when `path` does not exist (kRead, kReadWrite).
  virtual Result<std::unique_ptr<File>> Open(const std::filesystem::path& path, OpenMode mode) = 0;
  // Creates the directory (and its parents) if missing.
  virtual Status CreateDir(const std::filesystem::path& dir) = 0;
  // fsync of a directory, so entries created, renamed or removed persist.
  virtual Status SyncDir(const std::filesystem::path& dir) = 0;
  virtual Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;
  virtual Status Remove(const std::filesystem::path& path) = 0;
  // Names of the entries of `dir` (not "." or ".."), unsorted.
  virtual Result<std::vector<std::string>> ListDir(const std::filesystem::path& dir) = 0;
};

// The POSIX file system; lives for the whole process.
FileSystem* DefaultFileSystem();

// The Status for a failed syscall: StorageFull for ENOSPC/EDQUOT, else IOError.
Status FileError(std::string_view op, const std::filesystem::path& path, int err);

}  // namespace duet

#endif  // DUET_UTIL_FILE_SYSTEM_H_
