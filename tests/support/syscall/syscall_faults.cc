// Interposed libc file calls; see syscall_faults.h. The executable's own
// definitions come first in symbol lookup, so SQLite's and libstdc++'s calls
// land here too (the test links with -rdynamic so they are exported).
#include "tests/support/syscall/syscall_faults.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/types.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>

namespace duet::testing {
namespace {

struct State {
  std::mutex mu;
  std::unordered_map<int, std::string> paths;  // open fd -> path it was opened with
  Syscall op = Syscall::kCount;
  std::string path_part;
  uint64_t nth = 0;
  int err = 0;
  uint64_t count = 0;
  bool fired = false;
};

State& GetState() {
  static State* state = new State();  // never destroyed: calls may come during exit
  return *state;
}

std::atomic<bool> g_armed{false};

template <typename Fn>
Fn Next(const char* name) {
  void* sym = dlsym(RTLD_NEXT, name);
  if (sym == nullptr) {
    std::fprintf(stderr, "syscall_faults: no next definition of %s\n", name);
    std::abort();
  }
  return reinterpret_cast<Fn>(sym);
}

// The errno to fail this call with, or 0. `path` or `fd` names the file.
int Check(Syscall op, const char* path, int fd = -1, const char* other = nullptr) {
  if (!g_armed.load(std::memory_order_acquire)) return 0;
  State& s = GetState();
  std::lock_guard lock(s.mu);
  if (s.op != op) return 0;
  std::string name = path != nullptr ? path : "";
  if (path == nullptr && fd >= 0) {
    auto it = s.paths.find(fd);
    if (it == s.paths.end()) return 0;  // not a file opened by path (socket, pipe)
    name = it->second;
  }
  const bool matches =
      name.find(s.path_part) != std::string::npos ||
      (other != nullptr && std::string(other).find(s.path_part) != std::string::npos);
  if (!matches) return 0;
  if (++s.count != s.nth) return 0;
  s.fired = true;
  return s.err;
}

void Remember(int fd, const char* path) {
  if (fd < 0) return;
  State& s = GetState();
  std::lock_guard lock(s.mu);
  s.paths[fd] = path;
}

bool TakesMode(int flags) { return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE; }

}  // namespace

void SyscallFaults::Arm(Syscall op, uint64_t nth, int err, const std::string& path_part) {
  State& s = GetState();
  std::lock_guard lock(s.mu);
  s.op = op;
  s.nth = nth;
  s.err = err;
  s.path_part = path_part;
  s.count = 0;
  s.fired = false;
  g_armed.store(true, std::memory_order_release);
}

void SyscallFaults::Disarm() {
  g_armed.store(false, std::memory_order_release);
  State& s = GetState();
  std::lock_guard lock(s.mu);
  s.op = Syscall::kCount;
}

uint64_t SyscallFaults::Count() {
  State& s = GetState();
  std::lock_guard lock(s.mu);
  return s.count;
}

bool SyscallFaults::Fired() {
  State& s = GetState();
  std::lock_guard lock(s.mu);
  return s.fired;
}

}  // namespace duet::testing

using duet::testing::Check;
using duet::testing::Next;
using duet::testing::Remember;
using duet::testing::Syscall;
using duet::testing::TakesMode;

#define DUET_FAIL_WITH(err) \
  do {                      \
    errno = (err);          \
    return -1;              \
  } while (0)

extern "C" {

#define DUET_DEFINE_OPEN(name)                                            \
  int name(const char* path, int flags, ...) {                            \
    mode_t mode = 0;                                                      \
    if (TakesMode(flags)) {                                               \
      va_list args;                                                       \
      va_start(args, flags);                                              \
      mode = static_cast<mode_t>(va_arg(args, int));                      \
      va_end(args);                                                       \
    }                                                                     \
    if (const int err = Check(Syscall::kOpen, path)) DUET_FAIL_WITH(err); \
    static const auto next = Next<int (*)(const char*, int, ...)>(#name); \
    const int fd = next(path, flags, mode);                               \
    Remember(fd, path);                                                   \
    return fd;                                                            \
  }
DUET_DEFINE_OPEN(open)
DUET_DEFINE_OPEN(open64)

#define DUET_DEFINE_OPENAT(name)                                               \
  int name(int dirfd, const char* path, int flags, ...) {                      \
    mode_t mode = 0;                                                           \
    if (TakesMode(flags)) {                                                    \
      va_list args;                                                            \
      va_start(args, flags);                                                   \
      mode = static_cast<mode_t>(va_arg(args, int));                           \
      va_end(args);                                                            \
    }                                                                          \
    if (const int err = Check(Syscall::kOpen, path)) DUET_FAIL_WITH(err);      \
    static const auto next = Next<int (*)(int, const char*, int, ...)>(#name); \
    const int fd = next(dirfd, path, flags, mode);                             \
    Remember(fd, path);                                                        \
    return fd;                                                                 \
  }
DUET_DEFINE_OPENAT(openat)
DUET_DEFINE_OPENAT(openat64)

int close(int fd) {
  {
    auto& s = duet::testing::GetState();
    std::lock_guard lock(s.mu);
    s.paths.erase(fd);
  }
  static const auto next = Next<int (*)(int)>("close");
  return next(fd);
}

ssize_t write(int fd, const void* buf, size_t n) {
  if (const int err = Check(Syscall::kWrite, nullptr, fd)) DUET_FAIL_WITH(err);
  static const auto next = Next<ssize_t (*)(int, const void*, size_t)>("write");
  return next(fd, buf, n);
}

#define DUET_DEFINE_PWRITE(name)                                                        \
  ssize_t name(int fd, const void* buf, size_t n, off_t offset) {                       \
    if (const int err = Check(Syscall::kWrite, nullptr, fd)) DUET_FAIL_WITH(err);       \
    static const auto next = Next<ssize_t (*)(int, const void*, size_t, off_t)>(#name); \
    return next(fd, buf, n, offset);                                                    \
  }
DUET_DEFINE_PWRITE(pwrite)
DUET_DEFINE_PWRITE(pwrite64)

#define DUET_DEFINE_SYNC(name)                                                   \
  int name(int fd) {                                                             \
    if (const int err = Check(Syscall::kSync, nullptr, fd)) DUET_FAIL_WITH(err); \
    static const auto next = Next<int (*)(int)>(#name);                          \
    return next(fd);                                                             \
  }
DUET_DEFINE_SYNC(fsync)
DUET_DEFINE_SYNC(fdatasync)

#define DUET_DEFINE_FALLOCATE(name)                                                   \
  int name(int fd, int mode, off_t offset, off_t len) {                               \
    if (const int err = Check(Syscall::kFallocate, nullptr, fd)) DUET_FAIL_WITH(err); \
    static const auto next = Next<int (*)(int, int, off_t, off_t)>(#name);            \
    return next(fd, mode, offset, len);                                               \
  }
DUET_DEFINE_FALLOCATE(fallocate)
DUET_DEFINE_FALLOCATE(fallocate64)

// posix_fallocate returns the error instead of setting errno.
#define DUET_DEFINE_POSIX_FALLOCATE(name)                                    \
  int name(int fd, off_t offset, off_t len) {                                \
    if (const int err = Check(Syscall::kFallocate, nullptr, fd)) return err; \
    static const auto next = Next<int (*)(int, off_t, off_t)>(#name);        \
    return next(fd, offset, len);                                            \
  }
DUET_DEFINE_POSIX_FALLOCATE(posix_fallocate)
DUET_DEFINE_POSIX_FALLOCATE(posix_fallocate64)

int rename(const char* from, const char* to) {
  if (const int err = Check(Syscall::kRename, from, -1, to)) DUET_FAIL_WITH(err);
  static const auto next = Next<int (*)(const char*, const char*)>("rename");
  return next(from, to);
}

int renameat(int from_dir, const char* from, int to_dir, const char* to) {
  if (const int err = Check(Syscall::kRename, from, -1, to)) DUET_FAIL_WITH(err);
  static const auto next = Next<int (*)(int, const char*, int, const char*)>("renameat");
  return next(from_dir, from, to_dir, to);
}

}  // extern "C"
