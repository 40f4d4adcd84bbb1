// The power-loss interposer: an LD_PRELOAD library for a real process (the
// `duet` binary) that journals every change to the files of one data folder
// before making it, so that after a SIGKILL the folder can be rolled back to
// its durable state (power_loss_journal.h has the record format,
// power_loss_rollback.h the rollback). In the spirit of Jepsen's LazyFS and
// RocksDB's FaultInjectionTestFS, but without a FUSE mount: the process's
// own libc calls are the seam, as in tests/support/syscall/syscall_faults.cc.
//
// Interposed: open/open64/openat/openat64 (and their _FORTIFY_SOURCE
// variants), write, pwrite(64), writev, pwritev(64), ftruncate(64),
// fallocate(64), posix_fallocate(64), fsync, fdatasync, rename, renameat,
// renameat2, unlink, unlinkat, remove, rmdir, mkdir, mkdirat and close. Each
// forwards to the next definition (libc). Calls on other files, sockets and
// pipes pass straight through. Not seen: stdio (fopen/fwrite use libc's
// internal calls), mmap'd writes, truncate(path), link/symlink; SQLite's
// -shm files (a cache SQLite rebuilds on its first open) are not journalled.
//
// Thread-safe: one mutex orders each journal record with the change it
// announces; fsync runs outside it (the record says which records the sync
// covered, namely those written before it began).
#include <dlfcn.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>

#include "tests/support/power_loss/power_loss_journal.h"

namespace duet::testing::power_loss {
namespace {

template <typename Fn>
Fn Next(const char* name) {
  void* sym = dlsym(RTLD_NEXT, name);
  if (sym == nullptr) {
    std::fprintf(stderr, "power_loss_preload: no next definition of %s\n", name);
    std::abort();
  }
  return reinterpret_cast<Fn>(sym);
}

// The library's own file calls go to libc directly: a call through the
// interposed name would land back here.
struct Libc {
  int (*open)(const char*, int, ...) = Next<int (*)(const char*, int, ...)>("open");
  ssize_t (*write)(int, const void*, size_t) = Next<ssize_t (*)(int, const void*, size_t)>("write");
  int (*close)(int) = Next<int (*)(int)>("close");
  int (*mkdir)(const char*, mode_t) = Next<int (*)(const char*, mode_t)>("mkdir");
};

const Libc& GetLibc() {
  static const Libc* libc = new Libc();
  return *libc;
}

struct TrackedFile {
  std::string path;
  ino_t inode = 0;
  bool directory = false;
};

constexpr int kFastPathFds = 1 << 16;
// Whether an fd may be tracked: lets every socket and pipe write skip the lock.
std::atomic<bool> g_maybe_tracked[kFastPathFds];

class Interposer {
 public:
  Interposer() {
    const char* data = std::getenv(kDataDirEnv);
    const char* journal = std::getenv(kJournalDirEnv);
    if (data == nullptr || journal == nullptr || data[0] != '/' || journal[0] != '/') return;
    data_dir_ = Normal(data);
    aside_dir_ = Normal(journal) + "/" + kAsideDirName;
    const std::string journal_file = Normal(journal) + "/" + kJournalFileName;
    GetLibc().mkdir(aside_dir_.c_str(), 0755);
    journal_fd_ =
        GetLibc().open(journal_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (journal_fd_ < 0) {
      std::fprintf(stderr, "power_loss_preload: cannot open %s\n", journal_file.c_str());
      std::abort();
    }
    // Continue the index sequence of an existing journal (a restart without a
    // rollback in between): records are numbered by their place in the file.
    struct stat st;
    if (fstat(journal_fd_, &st) == 0 && st.st_size > 0) records_ = CountRecords(journal_file);
    enabled_ = true;
  }

  bool enabled() const { return enabled_; }
  const std::string& aside_dir() const { return aside_dir_; }

  // Inside the data folder (not the folder itself), and not a -shm file.
  bool Watched(const std::string& path) const {
    if (!enabled_ || path.size() <= data_dir_.size() + 1) return false;
    if (path.compare(0, data_dir_.size(), data_dir_) != 0 || path[data_dir_.size()] != '/') {
      return false;
    }
    return !(path.size() > 4 && path.compare(path.size() - 4, 4, "-shm") == 0);
  }
  bool WatchedOrRoot(const std::string& path) const {
    return enabled_ && (path == data_dir_ || Watched(path));
  }

  // An absolute, lexically normal path for `path` relative to `dirfd`.
  static std::string Absolute(int dirfd, const char* path) {
    if (path == nullptr) return {};
    if (path[0] == '/') return Normal(path);
    char base[PATH_MAX];
    if (dirfd == AT_FDCWD) {
      if (getcwd(base, sizeof(base)) == nullptr) return {};
    } else {
      const std::string link = "/proc/self/fd/" + std::to_string(dirfd);
      const ssize_t n = readlink(link.c_str(), base, sizeof(base) - 1);
      if (n <= 0) return {};
      base[n] = '\0';
    }
    return Normal(std::string(base) + "/" + path);
  }

  pthread_mutex_t* mu() { return &mu_; }

  // REQUIRES: mu() held. The index the next record gets.
  uint64_t next_index() const { return records_; }

  // REQUIRES: mu() held. Appends one record; aborts when the journal cannot
  // be written (the run could not be rolled back).
  void Append(RecordHeader header, std::string_view path, std::string_view other = {},
              std::string_view data = {}) {
    header.path_length = static_cast<uint32_t>(path.size());
    header.other_path_length = static_cast<uint32_t>(other.size());
    header.data_length = data.size();
    std::string record(reinterpret_cast<const char*>(&header), sizeof(header));
    record.append(path).append(other).append(data);
    size_t done = 0;
    while (done < record.size()) {
      const ssize_t n = GetLibc().write(journal_fd_, record.data() + done, record.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        std::fprintf(stderr, "power_loss_preload: journal write failed: %s\n", strerror(errno));
        std::abort();
      }
      done += static_cast<size_t>(n);
    }
    ++records_;
  }

  // REQUIRES: mu() held.
  void Remember(int fd, const std::string& path) {
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) return;
    files_[fd] = TrackedFile{path, st.st_ino, S_ISDIR(st.st_mode)};
    if (fd < kFastPathFds) g_maybe_tracked[fd].store(true, std::memory_order_relaxed);
  }
  // REQUIRES: mu() held.
  void Forget(int fd) {
    files_.erase(fd);
    if (fd >= 0 && fd < kFastPathFds) g_maybe_tracked[fd].store(false, std::memory_order_relaxed);
  }
  // REQUIRES: mu() held. The tracked file behind `fd`, checked against what
  // the fd is now (an fd closed behind our back and reused is forgotten).
  const TrackedFile* Lookup(int fd, struct stat* st) {
    auto it = files_.find(fd);
    if (it == files_.end()) return nullptr;
    if (fstat(fd, st) != 0 || st->st_ino != it->second.inode) {
      Forget(fd);
      return nullptr;
    }
    return &it->second;
  }

 private:
  static std::string Normal(const std::string& path) {
    std::string normal = std::filesystem::path(path).lexically_normal().string();
    while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
    return normal;
  }

  static uint64_t CountRecords(const std::string& journal_file) {
    const int fd = GetLibc().open(journal_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    uint64_t count = 0;
    off_t offset = 0;
    RecordHeader header;
    while (pread(fd, &header, sizeof(header), offset) == sizeof(header) &&
           header.magic == kRecordMagic) {
      offset += static_cast<off_t>(sizeof(header) + header.path_length + header.other_path_length +
                                   header.data_length);
      ++count;
    }
    GetLibc().close(fd);
    return count;
  }

  bool enabled_ = false;
  std::string data_dir_;
  std::string aside_dir_;
  int journal_fd_ = -1;
  pthread_mutex_t mu_ = PTHREAD_MUTEX_INITIALIZER;
  uint64_t records_ = 0;                        // guarded by mu_
  std::unordered_map<int, TrackedFile> files_;  // guarded by mu_
};

Interposer& Get() {
  static Interposer* interposer = new Interposer();  // never destroyed: calls come during exit
  return *interposer;
}

class Lock {
 public:
  explicit Lock(Interposer& s) : mu_(s.mu()) { pthread_mutex_lock(mu_); }
  ~Lock() { pthread_mutex_unlock(mu_); }
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

 private:
  pthread_mutex_t* mu_;
};

bool MaybeTracked(int fd) {
  return fd >= 0 && fd < kFastPathFds && g_maybe_tracked[fd].load(std::memory_order_relaxed);
}

// Bytes [offset, offset + length) of the file behind `fd`, which may be
// write-only: then through a second, read-only descriptor.
std::string ReadRange(int fd, uint64_t offset, uint64_t length) {
  std::string bytes(length, '\0');
  int read_fd = fd;
  int own_fd = -1;
  size_t done = 0;
  while (done < length) {
    const ssize_t n =
        pread(read_fd, bytes.data() + done, length - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EBADF && own_fd < 0) {
      const std::string self = "/proc/self/fd/" + std::to_string(fd);
      own_fd = GetLibc().open(self.c_str(), O_RDONLY | O_CLOEXEC);
      if (own_fd < 0) break;
      read_fd = own_fd;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  if (own_fd >= 0) GetLibc().close(own_fd);
  bytes.resize(done);
  return bytes;
}

constexpr uint64_t kAtCurrentOffset = ~uint64_t{0};

// Runs `write_now` (a write of `length` bytes at `offset`, or at the fd's
// current offset) after journalling what it overwrites.
template <typename WriteNow>
ssize_t JournalledWrite(int fd, uint64_t offset, uint64_t length, WriteNow write_now) {
  if (!MaybeTracked(fd)) return write_now();
  Interposer& s = Get();
  Lock lock(s);
  struct stat st;
  const TrackedFile* file = s.Lookup(fd, &st);
  if (file == nullptr || file->directory || length == 0) return write_now();
  const uint64_t old_size = static_cast<uint64_t>(st.st_size);
  if (offset == kAtCurrentOffset) {
    const int flags = fcntl(fd, F_GETFL);
    offset = (flags >= 0 && (flags & O_APPEND) != 0)
                 ? old_size
                 : static_cast<uint64_t>(lseek(fd, 0, SEEK_CUR));
  }
  RecordHeader header;
  header.type = RecordType::kWrite;
  header.inode = st.st_ino;
  header.offset = offset;
  header.old_size = old_size;
  const std::string pre_image =
      offset < old_size ? ReadRange(fd, offset, std::min(length, old_size - offset)) : "";
  s.Append(header, file->path, {}, pre_image);
  return write_now();
}

// Journals a change of size to `new_size` (the cut-off bytes as pre-image).
void JournalResize(Interposer& s, const std::string& path, int fd, const struct stat& st,
                   uint64_t new_size) {
  const uint64_t old_size = static_cast<uint64_t>(st.st_size);
  if (new_size == old_size) return;
  RecordHeader header;
  header.type = RecordType::kResize;
  header.inode = st.st_ino;
  header.offset = new_size;
  header.old_size = old_size;
  const std::string cut = new_size < old_size ? ReadRange(fd, new_size, old_size - new_size) : "";
  s.Append(header, path, {}, cut);
}

template <typename ResizeNow>
int JournalledResize(int fd, uint64_t new_size, ResizeNow resize_now) {
  if (!MaybeTracked(fd)) return resize_now();
  Interposer& s = Get();
  Lock lock(s);
  struct stat st;
  const TrackedFile* file = s.Lookup(fd, &st);
  if (file != nullptr && !file->directory) JournalResize(s, file->path, fd, st, new_size);
  return resize_now();
}

template <typename OpenNow>
int JournalledOpen(int dirfd, const char* path, int flags, OpenNow open_now) {
  Interposer& s = Get();
  if (!s.enabled()) return open_now();
  const std::string abs = Interposer::Absolute(dirfd, path);
  if (!s.WatchedOrRoot(abs)) return open_now();
  Lock lock(s);
  struct stat st;
  const bool exists = lstat(abs.c_str(), &st) == 0;
  const bool tmpfile = (flags & O_TMPFILE) == O_TMPFILE;
  if (!exists && (flags & O_CREAT) != 0 && !tmpfile && s.Watched(abs)) {
    RecordHeader header;
    header.type = RecordType::kCreate;
    s.Append(header, abs);
  } else if (exists && S_ISREG(st.st_mode) && (flags & O_TRUNC) != 0 &&
             (flags & O_ACCMODE) != O_RDONLY && st.st_size > 0) {
    const int read_fd = GetLibc().open(abs.c_str(), O_RDONLY | O_CLOEXEC);
    if (read_fd >= 0) {
      JournalResize(s, abs, read_fd, st, 0);
      GetLibc().close(read_fd);
    }
  }
  const int fd = open_now();
  if (fd >= 0 && !tmpfile) s.Remember(fd, abs);
  return fd;
}

template <typename SyncNow>
int JournalledSync(int fd, SyncNow sync_now) {
  if (!MaybeTracked(fd)) return sync_now();
  Interposer& s = Get();
  TrackedFile file;
  RecordHeader header;
  {
    Lock lock(s);
    struct stat st;
    const TrackedFile* tracked = s.Lookup(fd, &st);
    if (tracked == nullptr) return sync_now();
    file = *tracked;
    header.covers_before = s.next_index();
  }
  const int rc = sync_now();
  if (rc != 0) return rc;
  const int saved_errno = errno;
  Lock lock(s);
  header.type = file.directory ? RecordType::kDirSync : RecordType::kSync;
  header.inode = file.inode;
  s.Append(header, file.path);
  errno = saved_errno;
  return rc;
}

template <typename RenameNow>
int JournalledRename(const std::string& from, const std::string& to, RenameNow rename_now) {
  Interposer& s = Get();
  if (!s.Watched(from) || !s.Watched(to)) return rename_now();  // across the edge: not modelled
  Lock lock(s);
  struct stat source;
  if (lstat(from.c_str(), &source) != 0) return rename_now();  // fails as it would have
  RecordHeader header;
  header.type = RecordType::kRename;
  header.inode = source.st_ino;
  struct stat target;
  if (lstat(to.c_str(), &target) == 0 && !S_ISDIR(target.st_mode) &&
      target.st_ino != source.st_ino) {
    const std::string aside = s.aside_dir() + "/" + std::to_string(s.next_index());
    header.target_aside = link(to.c_str(), aside.c_str()) == 0 ? 1 : 0;
  }
  s.Append(header, from, to);
  return rename_now();
}

template <typename UnlinkNow>
int JournalledUnlink(const std::string& path, UnlinkNow unlink_now) {
  Interposer& s = Get();
  if (!s.Watched(path)) return unlink_now();
  Lock lock(s);
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || S_ISDIR(st.st_mode)) return unlink_now();
  const std::string aside = s.aside_dir() + "/" + std::to_string(s.next_index());
  if (link(path.c_str(), aside.c_str()) != 0) {
    std::fprintf(stderr, "power_loss_preload: cannot link %s aside: %s\n", path.c_str(),
                 strerror(errno));
    std::abort();
  }
  RecordHeader header;
  header.type = RecordType::kUnlink;
  header.inode = st.st_ino;
  s.Append(header, path);
  return unlink_now();
}

template <typename RmdirNow>
int JournalledRmdir(const std::string& path, RmdirNow rmdir_now) {
  Interposer& s = Get();
  if (!s.Watched(path)) return rmdir_now();
  Lock lock(s);
  struct stat st;
  if (lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return rmdir_now();
  RecordHeader header;
  header.type = RecordType::kRmdir;
  s.Append(header, path);
  return rmdir_now();
}

template <typename MkdirNow>
int JournalledMkdir(const std::string& path, MkdirNow mkdir_now) {
  Interposer& s = Get();
  if (!s.Watched(path)) return mkdir_now();
  Lock lock(s);
  struct stat st;
  if (lstat(path.c_str(), &st) == 0) return mkdir_now();  // fails with EEXIST
  RecordHeader header;
  header.type = RecordType::kMkdir;
  s.Append(header, path);
  return mkdir_now();
}

bool TakesMode(int flags) { return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE; }

uint64_t TotalLength(const struct iovec* iov, int count) {
  uint64_t total = 0;
  for (int i = 0; i < count; ++i) total += iov[i].iov_len;
  return total;
}

}  // namespace
}  // namespace duet::testing::power_loss

namespace pl = duet::testing::power_loss;

extern "C" {

#define DUET_PL_OPEN(name)                                                                     \
  int name(const char* path, int flags, ...) {                                                 \
    mode_t mode = 0;                                                                           \
    if (pl::TakesMode(flags)) {                                                                \
      va_list args;                                                                            \
      va_start(args, flags);                                                                   \
      mode = static_cast<mode_t>(va_arg(args, int));                                           \
      va_end(args);                                                                            \
    }                                                                                          \
    static const auto next = pl::Next<int (*)(const char*, int, ...)>(#name);                  \
    return pl::JournalledOpen(AT_FDCWD, path, flags, [&] { return next(path, flags, mode); }); \
  }
DUET_PL_OPEN(open)
DUET_PL_OPEN(open64)

#define DUET_PL_OPENAT(name)                                                                       \
  int name(int dirfd, const char* path, int flags, ...) {                                          \
    mode_t mode = 0;                                                                               \
    if (pl::TakesMode(flags)) {                                                                    \
      va_list args;                                                                                \
      va_start(args, flags);                                                                       \
      mode = static_cast<mode_t>(va_arg(args, int));                                               \
      va_end(args);                                                                                \
    }                                                                                              \
    static const auto next = pl::Next<int (*)(int, const char*, int, ...)>(#name);                 \
    return pl::JournalledOpen(dirfd, path, flags, [&] { return next(dirfd, path, flags, mode); }); \
  }
DUET_PL_OPENAT(openat)
DUET_PL_OPENAT(openat64)

// _FORTIFY_SOURCE's checked variants (never with O_CREAT: they take no mode).
#define DUET_PL_OPEN_2(name)                                                             \
  int name(const char* path, int flags) {                                                \
    static const auto next = pl::Next<int (*)(const char*, int)>(#name);                 \
    return pl::JournalledOpen(AT_FDCWD, path, flags, [&] { return next(path, flags); }); \
  }
DUET_PL_OPEN_2(__open_2)
DUET_PL_OPEN_2(__open64_2)

#define DUET_PL_OPENAT_2(name)                                                               \
  int name(int dirfd, const char* path, int flags) {                                         \
    static const auto next = pl::Next<int (*)(int, const char*, int)>(#name);                \
    return pl::JournalledOpen(dirfd, path, flags, [&] { return next(dirfd, path, flags); }); \
  }
DUET_PL_OPENAT_2(__openat_2)
DUET_PL_OPENAT_2(__openat64_2)

int close(int fd) {
  if (pl::MaybeTracked(fd)) {
    pl::Interposer& s = pl::Get();
    pl::Lock lock(s);
    s.Forget(fd);
  }
  static const auto next = pl::Next<int (*)(int)>("close");
  return next(fd);
}

ssize_t write(int fd, const void* buf, size_t n) {
  static const auto next = pl::Next<ssize_t (*)(int, const void*, size_t)>("write");
  return pl::JournalledWrite(fd, pl::kAtCurrentOffset, n, [&] { return next(fd, buf, n); });
}

#define DUET_PL_PWRITE(name)                                                                \
  ssize_t name(int fd, const void* buf, size_t n, off_t offset) {                           \
    static const auto next = pl::Next<ssize_t (*)(int, const void*, size_t, off_t)>(#name); \
    return pl::JournalledWrite(fd, static_cast<uint64_t>(offset), n,                        \
                               [&] { return next(fd, buf, n, offset); });                   \
  }
DUET_PL_PWRITE(pwrite)
DUET_PL_PWRITE(pwrite64)

ssize_t writev(int fd, const struct iovec* iov, int count) {
  static const auto next = pl::Next<ssize_t (*)(int, const struct iovec*, int)>("writev");
  return pl::JournalledWrite(fd, pl::kAtCurrentOffset, pl::TotalLength(iov, count),
                             [&] { return next(fd, iov, count); });
}

#define DUET_PL_PWRITEV(name)                                                                    \
  ssize_t name(int fd, const struct iovec* iov, int count, off_t offset) {                       \
    static const auto next = pl::Next<ssize_t (*)(int, const struct iovec*, int, off_t)>(#name); \
    return pl::JournalledWrite(fd, static_cast<uint64_t>(offset), pl::TotalLength(iov, count),   \
                               [&] { return next(fd, iov, count, offset); });                    \
  }
DUET_PL_PWRITEV(pwritev)
DUET_PL_PWRITEV(pwritev64)

#define DUET_PL_FTRUNCATE(name)                                    \
  int name(int fd, off_t length) {                                 \
    static const auto next = pl::Next<int (*)(int, off_t)>(#name); \
    return pl::JournalledResize(fd, static_cast<uint64_t>(length), \
                                [&] { return next(fd, length); }); \
  }
DUET_PL_FTRUNCATE(ftruncate)
DUET_PL_FTRUNCATE(ftruncate64)

// Growing the file is a resize; punching or zeroing a range is a write of
// zeros (its pre-image is kept); collapsing or inserting ranges is not modelled.
#define DUET_PL_FALLOCATE(name)                                                              \
  int name(int fd, int mode, off_t offset, off_t length) {                                   \
    static const auto next = pl::Next<int (*)(int, int, off_t, off_t)>(#name);               \
    const auto allocate = [&] { return next(fd, mode, offset, length); };                    \
    if ((mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) != 0) {                       \
      return static_cast<int>(pl::JournalledWrite(fd, static_cast<uint64_t>(offset),         \
                                                  static_cast<uint64_t>(length), allocate)); \
    }                                                                                        \
    if ((mode & FALLOC_FL_KEEP_SIZE) != 0) return allocate();                                \
    struct stat st;                                                                          \
    if (fstat(fd, &st) != 0 || offset + length <= st.st_size) return allocate();             \
    return pl::JournalledResize(fd, static_cast<uint64_t>(offset + length), allocate);       \
  }
DUET_PL_FALLOCATE(fallocate)
DUET_PL_FALLOCATE(fallocate64)

#define DUET_PL_POSIX_FALLOCATE(name)                                                  \
  int name(int fd, off_t offset, off_t length) {                                       \
    static const auto next = pl::Next<int (*)(int, off_t, off_t)>(#name);              \
    const auto allocate = [&] { return next(fd, offset, length); };                    \
    struct stat st;                                                                    \
    if (fstat(fd, &st) != 0 || offset + length <= st.st_size) return allocate();       \
    return pl::JournalledResize(fd, static_cast<uint64_t>(offset + length), allocate); \
  }
DUET_PL_POSIX_FALLOCATE(posix_fallocate)
DUET_PL_POSIX_FALLOCATE(posix_fallocate64)

#define DUET_PL_SYNC(name)                                   \
  int name(int fd) {                                         \
    static const auto next = pl::Next<int (*)(int)>(#name);  \
    return pl::JournalledSync(fd, [&] { return next(fd); }); \
  }
DUET_PL_SYNC(fsync)
DUET_PL_SYNC(fdatasync)

int rename(const char* from, const char* to) {
  static const auto next = pl::Next<int (*)(const char*, const char*)>("rename");
  if (!pl::Get().enabled()) return next(from, to);
  return pl::JournalledRename(pl::Interposer::Absolute(AT_FDCWD, from),
                              pl::Interposer::Absolute(AT_FDCWD, to),
                              [&] { return next(from, to); });
}

int renameat(int from_dir, const char* from, int to_dir, const char* to) {
  static const auto next = pl::Next<int (*)(int, const char*, int, const char*)>("renameat");
  if (!pl::Get().enabled()) return next(from_dir, from, to_dir, to);
  return pl::JournalledRename(pl::Interposer::Absolute(from_dir, from),
                              pl::Interposer::Absolute(to_dir, to),
                              [&] { return next(from_dir, from, to_dir, to); });
}

int renameat2(int from_dir, const char* from, int to_dir, const char* to, unsigned flags) {
  static const auto next =
      pl::Next<int (*)(int, const char*, int, const char*, unsigned)>("renameat2");
  if (!pl::Get().enabled()) return next(from_dir, from, to_dir, to, flags);
  return pl::JournalledRename(pl::Interposer::Absolute(from_dir, from),
                              pl::Interposer::Absolute(to_dir, to),
                              [&] { return next(from_dir, from, to_dir, to, flags); });
}

int unlink(const char* path) {
  static const auto next = pl::Next<int (*)(const char*)>("unlink");
  if (!pl::Get().enabled()) return next(path);
  return pl::JournalledUnlink(pl::Interposer::Absolute(AT_FDCWD, path), [&] { return next(path); });
}

int unlinkat(int dirfd, const char* path, int flags) {
  static const auto next = pl::Next<int (*)(int, const char*, int)>("unlinkat");
  if (!pl::Get().enabled()) return next(dirfd, path, flags);
  const auto unlink_now = [&] { return next(dirfd, path, flags); };
  if ((flags & AT_REMOVEDIR) != 0) {
    return pl::JournalledRmdir(pl::Interposer::Absolute(dirfd, path), unlink_now);
  }
  return pl::JournalledUnlink(pl::Interposer::Absolute(dirfd, path), unlink_now);
}

// std::filesystem::remove calls remove(3), whose own unlink and rmdir are
// internal to libc.
int remove(const char* path) {
  static const auto next = pl::Next<int (*)(const char*)>("remove");
  if (!pl::Get().enabled()) return next(path);
  const std::string abs = pl::Interposer::Absolute(AT_FDCWD, path);
  struct stat st;
  if (lstat(abs.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return pl::JournalledRmdir(abs, [&] { return next(path); });
  }
  return pl::JournalledUnlink(abs, [&] { return next(path); });
}

int rmdir(const char* path) {
  static const auto next = pl::Next<int (*)(const char*)>("rmdir");
  if (!pl::Get().enabled()) return next(path);
  return pl::JournalledRmdir(pl::Interposer::Absolute(AT_FDCWD, path), [&] { return next(path); });
}

int mkdir(const char* path, mode_t mode) {
  static const auto next = pl::Next<int (*)(const char*, mode_t)>("mkdir");
  if (!pl::Get().enabled()) return next(path, mode);
  return pl::JournalledMkdir(pl::Interposer::Absolute(AT_FDCWD, path),
                             [&] { return next(path, mode); });
}

int mkdirat(int dirfd, const char* path, mode_t mode) {
  static const auto next = pl::Next<int (*)(int, const char*, mode_t)>("mkdirat");
  if (!pl::Get().enabled()) return next(dirfd, path, mode);
  return pl::JournalledMkdir(pl::Interposer::Absolute(dirfd, path),
                             [&] { return next(dirfd, path, mode); });
}

}  // extern "C"
