// FaultyFileSystem: a log::FileSystem that forwards to a real one and makes
// chosen calls fail, the way a full disk or a dying device would (RocksDB's
// fault-injection file system, in miniature). Counts every call, so tests can
// also observe how often the log writes and syncs.
//
// Thread-safe.
#ifndef DUET_TESTS_SUPPORT_FAULTY_FILE_SYSTEM_H_
#define DUET_TESTS_SUPPORT_FAULTY_FILE_SYSTEM_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>

#include "log/file.h"

namespace duet::testing {

class FaultyFileSystem : public log::FileSystem {
 public:
  enum class Op : size_t {
    kOpen,
    kWrite,
    kRead,
    kSync,
    kTruncate,
    kSyncDir,
    kRename,
    kRemove,
    kCount
  };

  // `base` must outlive this object.
  explicit FaultyFileSystem(log::FileSystem* base) : base_(base) {}

  // Makes the `n`-th call of `op` from now on (1 = the next one) fail with
  // errno `err`. A failing write first writes `partial_bytes` of its data,
  // like a write cut short by a full disk. Replaces any earlier plan for `op`.
  void FailNth(Op op, uint64_t n, int err, size_t partial_bytes = 0);
  // Calls of `op` so far.
  uint64_t count(Op op) const { return counts_[static_cast<size_t>(op)].load(); }
  // Calls of `op` that failed on purpose so far.
  uint64_t injected(Op op) const { return injected_[static_cast<size_t>(op)].load(); }

  // Returns the errno to fail this call with, or 0; counts the call.
  int Check(Op op, size_t* partial_bytes = nullptr);

  Result<std::unique_ptr<log::File>> Open(const std::filesystem::path& path,
                                          log::OpenMode mode) override;
  Status CreateDir(const std::filesystem::path& dir) override { return base_->CreateDir(dir); }
  Status SyncDir(const std::filesystem::path& dir) override;
  Status Rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  Status Remove(const std::filesystem::path& path) override;
  Result<std::vector<std::string>> ListDir(const std::filesystem::path& dir) override {
    return base_->ListDir(dir);
  }

 private:
  struct Plan {
    uint64_t fail_at = 0;  // value of the op's count that fails; 0: none
    int err = 0;
    size_t partial_bytes = 0;
  };
  static constexpr size_t kOps = static_cast<size_t>(Op::kCount);

  log::FileSystem* const base_;
  std::mutex mu_;
  std::array<Plan, kOps> plans_{};
  std::array<std::atomic<uint64_t>, kOps> counts_{};
  std::array<std::atomic<uint64_t>, kOps> injected_{};
};

// "<op> <path>: <strerror>" as the log's file layer reports it.
Status InjectedError(std::string_view op, const std::filesystem::path& path, int err);

}  // namespace duet::testing

#endif  // DUET_TESTS_SUPPORT_FAULTY_FILE_SYSTEM_H_
