#include "tests/support/faulty_file_system.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

namespace duet::testing {

Status InjectedError(std::string_view op, const std::filesystem::path& path, int err) {
  std::string message =
      std::string(op) + " " + path.string() + ": " + std::strerror(err) + " (injected)";
  if (err == ENOSPC || err == EDQUOT) return Status::StorageFull(message);
  return Status::IOError(message);
}

namespace {

using Op = FaultyFileSystem::Op;

class FaultyFile final : public log::File {
 public:
  FaultyFile(std::unique_ptr<log::File> base, FaultyFileSystem* fs)
      : log::File(base->path()), base_(std::move(base)), fs_(fs) {}

  Status WriteAt(uint64_t offset, std::string_view data) override {
    size_t partial = 0;
    if (const int err = fs_->Check(Op::kWrite, &partial)) {
      if (partial > 0) {
        (void)base_->WriteAt(offset, data.substr(0, std::min(partial, data.size())));
      }
      return InjectedError("write", path(), err);
    }
    return base_->WriteAt(offset, data);
  }
  Result<size_t> ReadAt(uint64_t offset, size_t n, char* scratch) const override {
    if (const int err = fs_->Check(Op::kRead)) return InjectedError("read", path(), err);
    return base_->ReadAt(offset, n, scratch);
  }
  Status Sync() override {
    if (const int err = fs_->Check(Op::kSync)) return InjectedError("fdatasync", path(), err);
    return base_->Sync();
  }
  Status Truncate(uint64_t size) override {
    if (const int err = fs_->Check(Op::kTruncate)) return InjectedError("ftruncate", path(), err);
    return base_->Truncate(size);
  }
  Result<uint64_t> Size() const override { return base_->Size(); }

 private:
  std::unique_ptr<log::File> base_;
  FaultyFileSystem* fs_;
};

}  // namespace

void FaultyFileSystem::FailNth(Op op, uint64_t n, int err, size_t partial_bytes) {
  std::lock_guard lock(mu_);
  const size_t i = static_cast<size_t>(op);
  plans_[i] = Plan{counts_[i].load() + n, err, partial_bytes};
}

int FaultyFileSystem::Check(Op op, size_t* partial_bytes) {
  std::lock_guard lock(mu_);
  const size_t i = static_cast<size_t>(op);
  const uint64_t call = ++counts_[i];
  if (plans_[i].fail_at == 0 || call != plans_[i].fail_at) return 0;
  ++injected_[i];
  if (partial_bytes != nullptr) *partial_bytes = plans_[i].partial_bytes;
  return plans_[i].err;
}

Result<std::unique_ptr<log::File>> FaultyFileSystem::Open(const std::filesystem::path& path,
                                                          log::OpenMode mode) {
  if (const int err = Check(Op::kOpen)) return InjectedError("open", path, err);
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<log::File> file, base_->Open(path, mode));
  return std::unique_ptr<log::File>(new FaultyFile(std::move(file), this));
}

Status FaultyFileSystem::SyncDir(const std::filesystem::path& dir) {
  if (const int err = Check(Op::kSyncDir)) return InjectedError("fsync directory", dir, err);
  return base_->SyncDir(dir);
}

Status FaultyFileSystem::Rename(const std::filesystem::path& from,
                                const std::filesystem::path& to) {
  if (const int err = Check(Op::kRename)) return InjectedError("rename", from, err);
  return base_->Rename(from, to);
}

Status FaultyFileSystem::Remove(const std::filesystem::path& path) {
  if (const int err = Check(Op::kRemove)) return InjectedError("unlink", path, err);
  return base_->Remove(path);
}

}  // namespace duet::testing
