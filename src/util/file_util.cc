#include "util/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
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

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToStatus("open", tmp, errno);
  {
    FdCloser closer(fd);
    size_t done = 0;
    while (done < contents.size()) {
      const ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        const int error = errno;
        ::unlink(tmp.c_str());
        return ErrnoToStatus("write", tmp, error);
      }
      done += static_cast<size_t>(n);
    }
    if (::fdatasync(fd) != 0) {
      const int error = errno;
      ::unlink(tmp.c_str());
      return ErrnoToStatus("fdatasync", tmp, error);
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    return ErrnoToStatus("rename", tmp, error);
  }
  return SyncDirectory(path.parent_path());
}

Result<std::string> ReadWholeFile(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Status::NotFound(path.string());
    return ErrnoToStatus("open", path, errno);
  }
  FdCloser closer(fd);
  std::string out;
  char buffer[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoToStatus("read", path, errno);
    if (n == 0) break;
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

Status SyncDirectory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus("open", dir, errno);
  FdCloser closer(fd);
  if (::fsync(fd) != 0) return ErrnoToStatus("fsync", dir, errno);
  return Status::OK();
}

Status CreateDirectoriesDurably(const std::filesystem::path& dir) {
  std::error_code ec;
  if (dir.empty() || std::filesystem::is_directory(dir, ec)) return Status::OK();
  const std::filesystem::path parent = dir.parent_path();
  if (parent != dir) DUET_RETURN_IF_ERROR(CreateDirectoriesDurably(parent));
  if (::mkdir(dir.c_str(), 0755) != 0) {
    const int error = errno;
    // Made meanwhile by someone else, who syncs it; a file there is an error.
    if (error == EEXIST && std::filesystem::is_directory(dir, ec)) return Status::OK();
    return ErrnoToStatus("mkdir", dir, error);
  }
  return SyncDirectory(parent);
}

}  // namespace duet
