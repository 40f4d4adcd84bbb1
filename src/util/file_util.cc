#include "util/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace duet {
namespace {

// Closes the descriptor on every path out of a function.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

Status ErrnoToStatus(std::string_view what, const std::filesystem::path& path, int error) {
  std::string message = std::string(what) + " of " + path.string() + ": " + std::strerror(error);
  if (error == ENOSPC || error == EDQUOT) return Status::StorageFull(message);
  return Status::IOError(message);
}

Status WriteFileAtomically(FileSystem& fs, const std::filesystem::path& path,
                           std::string_view contents) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  Status written = [&]() -> Status {
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs.Open(tmp, OpenMode::kCreateTrunc));
    DUET_RETURN_IF_ERROR(file->WriteAt(0, contents));
    DUET_RETURN_IF_ERROR(file->Sync());
    return fs.Rename(tmp, path);
  }();
  if (!written.ok()) {
    (void)fs.Remove(tmp);  // best effort: a stray .tmp is ignored and overwritten
    return written;
  }
  return fs.SyncDir(path.parent_path().empty() ? "." : path.parent_path());
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  return WriteFileAtomically(*DefaultFileSystem(), path, contents);
}

Result<std::string> ReadWholeFile(FileSystem& fs, const std::filesystem::path& path) {
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs.Open(path, OpenMode::kRead));
  std::string out;
  char buffer[1 << 16];
  for (;;) {
    DUET_ASSIGN_OR_RETURN(size_t n, file->ReadAt(out.size(), sizeof(buffer), buffer));
    if (n == 0) break;
    out.append(buffer, n);
  }
  return out;
}

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  return ReadWholeFile(*DefaultFileSystem(), path);
}

Status SyncDirectory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus("open", dir, errno);
  FdCloser closer(fd);
  if (::fsync(fd) != 0) return ErrnoToStatus("fsync", dir, errno);
  return Status::OK();
}

Status CreateDirectoriesDurably(FileSystem& fs, const std::filesystem::path& dir) {
  if (dir.empty() || fs.ListDir(dir).ok()) return Status::OK();
  const std::filesystem::path parent = dir.parent_path();
  if (parent != dir) DUET_RETURN_IF_ERROR(CreateDirectoriesDurably(fs, parent));
  // CreateDir accepts a folder made meanwhile by someone else, who syncs it.
  DUET_RETURN_IF_ERROR(fs.CreateDir(dir));
  return fs.SyncDir(parent.empty() ? "." : parent);
}

Status CreateDirectoriesDurably(const std::filesystem::path& dir) {
  return CreateDirectoriesDurably(*DefaultFileSystem(), dir);
}

}  // namespace duet
