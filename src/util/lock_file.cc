#include "util/lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace duet {
namespace {

Status ErrnoError(std::string_view op, const std::filesystem::path& path, int err) {
  return Status::IOError(std::string(op) + " " + path.string() + ": " + std::strerror(err));
}

// The pid recorded by the current holder, or "unknown" if unreadable.
std::string ReadHolder(int fd) {
  char buf[32];
  ssize_t n;
  do {
    n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return "unknown";
  std::string text(buf, static_cast<size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text.empty() ? "unknown" : text;
}

Status WritePid(int fd, const std::filesystem::path& path) {
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0) return ErrnoError("truncate", path, errno);
  size_t done = 0;
  while (done < pid.size()) {
    const ssize_t n = ::pwrite(fd, pid.data() + done, pid.size() - done, static_cast<off_t>(done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write", path, errno);
    }
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<LockFile>> LockFile::Acquire(const std::filesystem::path& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoError("open lock file", path, errno);
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    Status status = err == EWOULDBLOCK
                        ? Status::Busy(path.string() + " is locked by process " + ReadHolder(fd))
                        : ErrnoError("lock", path, err);
    ::close(fd);
    return status;
  }
  if (Status s = WritePid(fd, path); !s.ok()) {
    ::close(fd);  // also releases the lock
    return s;
  }
  return std::unique_ptr<LockFile>(new LockFile(path, fd));
}

LockFile::~LockFile() {
  // Clear the pid first so nobody reads a dead holder's pid; we still hold
  // the lock here, so this cannot erase a new holder's pid.
  [[maybe_unused]] const int rc = ::ftruncate(fd_, 0);
  ::close(fd_);
}

}  // namespace duet
