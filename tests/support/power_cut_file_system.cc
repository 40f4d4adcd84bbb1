#include "tests/support/power_cut_file_system.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace duet::testing {

// An open file: positional I/O on its Node, for as long as the power that
// opened it lasts.
class PowerCutFileSystem::MemoryFile final : public File {
 public:
  MemoryFile(std::filesystem::path path, PowerCutFileSystem* fs, std::shared_ptr<Node> node,
             uint64_t generation, bool writable)
      : File(std::move(path)),
        fs_(fs),
        node_(std::move(node)),
        generation_(generation),
        writable_(writable) {}

  Status WriteAt(uint64_t offset, std::string_view data) override {
    std::lock_guard lock(fs_->mu_);
    DUET_RETURN_IF_ERROR(Check(true, "write"));
    if (!writable_) return FileError("write", path(), EBADF);
    std::string& bytes = node_->written;
    if (bytes.size() < offset + data.size()) bytes.resize(offset + data.size(), '\0');
    bytes.replace(offset, data.size(), data);
    return Status::OK();
  }

  Result<size_t> ReadAt(uint64_t offset, size_t n, char* scratch) const override {
    std::lock_guard lock(fs_->mu_);
    DUET_RETURN_IF_ERROR(Check(false, "read"));
    const std::string& bytes = node_->written;
    if (offset >= bytes.size()) return size_t{0};
    const size_t count = std::min<size_t>(n, bytes.size() - offset);
    std::memcpy(scratch, bytes.data() + offset, count);
    return count;
  }

  Status Sync() override {
    std::lock_guard lock(fs_->mu_);
    DUET_RETURN_IF_ERROR(Check(true, "fdatasync"));
    node_->durable = node_->written;
    return Status::OK();
  }

  Status Truncate(uint64_t size) override {
    std::lock_guard lock(fs_->mu_);
    DUET_RETURN_IF_ERROR(Check(true, "ftruncate"));
    if (!writable_) return FileError("ftruncate", path(), EINVAL);
    node_->written.resize(size, '\0');
    return Status::OK();
  }

  Result<uint64_t> Size() const override {
    std::lock_guard lock(fs_->mu_);
    DUET_RETURN_IF_ERROR(Check(false, "fstat"));
    return static_cast<uint64_t>(node_->written.size());
  }

 private:
  // REQUIRES: fs_->mu_ held.
  Status Check(bool mutating, std::string_view op) const {
    DUET_RETURN_IF_ERROR(fs_->Admit(mutating));
    // A file opened before a cut belongs to a process that is gone.
    if (generation_ != fs_->generation_) return FileError(op, path(), EIO);
    return Status::OK();
  }

  PowerCutFileSystem* const fs_;
  const std::shared_ptr<Node> node_;
  const uint64_t generation_;
  const bool writable_;
};

PowerCutFileSystem::PowerCutFileSystem(std::filesystem::path root, uint64_t seed)
    : root_(std::filesystem::absolute(root).lexically_normal()), random_(seed) {
  dirs_[root_];
}

PowerCutFileSystem::~PowerCutFileSystem() = default;

void PowerCutFileSystem::Cut(CutOptions options) {
  std::lock_guard lock(mu_);
  CutLocked(options);
}

void PowerCutFileSystem::CutBeforeMutation(uint64_t n, CutOptions options) {
  std::lock_guard lock(mu_);
  cut_at_mutation_ = n == 0 ? 0 : mutations_ + n;
  planned_cut_ = options;
}

bool PowerCutFileSystem::powered_off() const {
  std::lock_guard lock(mu_);
  return powered_off_;
}

void PowerCutFileSystem::PowerOn() {
  std::lock_guard lock(mu_);
  powered_off_ = false;
}

uint64_t PowerCutFileSystem::cuts() const {
  std::lock_guard lock(mu_);
  return cuts_;
}

uint64_t PowerCutFileSystem::mutations() const {
  std::lock_guard lock(mu_);
  return mutations_;
}

Status PowerCutFileSystem::Admit(bool mutating) {
  if (mutating && !powered_off_) {
    ++mutations_;
    if (cut_at_mutation_ != 0 && mutations_ >= cut_at_mutation_) CutLocked(planned_cut_);
  }
  if (powered_off_) return Status::IOError("power is off (simulated power cut)");
  return Status::OK();
}

void PowerCutFileSystem::CutLocked(CutOptions options) {
  // Only what the durable entries reach survives, starting from the root.
  std::map<std::filesystem::path, Dir> survivors;
  std::map<const Node*, std::shared_ptr<Node>> copies;  // one new inode per old one
  std::vector<std::filesystem::path> pending{root_};
  while (!pending.empty()) {
    const std::filesystem::path path = pending.back();
    pending.pop_back();
    const Dir& old = dirs_.at(path);
    Dir& dir = survivors[path];
    for (const auto& [name, node] : old.durable_files) {
      std::shared_ptr<Node>& copy = copies[node.get()];
      if (copy == nullptr) {
        copy = std::make_shared<Node>();
        copy->durable = node->durable;
        const std::string& written = node->written;
        if (options.torn_tails && written.size() > node->durable.size() &&
            written.compare(0, node->durable.size(), node->durable) == 0) {
          const uint64_t excess = written.size() - node->durable.size();
          const uint64_t keep = std::uniform_int_distribution<uint64_t>(0, excess)(random_);
          copy->durable.append(written, node->durable.size(), keep);
        }
        copy->written = copy->durable;
      }
      dir.files.emplace(name, copy);
    }
    dir.durable_files = dir.files;
    for (const std::string& name : old.durable_subdirs) {
      if (dirs_.count(path / name) == 0) continue;
      dir.subdirs.insert(name);
      pending.push_back(path / name);
    }
    dir.durable_subdirs = dir.subdirs;
  }
  dirs_ = std::move(survivors);
  ++generation_;
  ++cuts_;
  powered_off_ = true;
  cut_at_mutation_ = 0;
}

Result<std::filesystem::path> PowerCutFileSystem::Resolve(const std::filesystem::path& path) const {
  std::filesystem::path full = std::filesystem::absolute(path).lexically_normal();
  if (!full.empty() && !full.has_filename()) full = full.parent_path();  // a trailing '/'
  if (std::mismatch(root_.begin(), root_.end(), full.begin(), full.end()).first != root_.end()) {
    return Status::InvalidArgument("path", full.string() + " is outside " + root_.string());
  }
  return full;
}

PowerCutFileSystem::Dir* PowerCutFileSystem::FindDir(const std::filesystem::path& path) {
  auto it = dirs_.find(path);
  return it == dirs_.end() ? nullptr : &it->second;
}

Result<std::unique_ptr<File>> PowerCutFileSystem::Open(const std::filesystem::path& path,
                                                       OpenMode mode) {
  DUET_ASSIGN_OR_RETURN(const std::filesystem::path full, Resolve(path));
  std::lock_guard lock(mu_);
  const bool creates = mode == OpenMode::kCreateNew || mode == OpenMode::kCreateTrunc;
  DUET_RETURN_IF_ERROR(Admit(creates));
  // As the POSIX file system: a missing file (or folder) to read is NotFound.
  const Status not_found = Status::NotFound("open " + path.string() + ": " + std::strerror(ENOENT));
  Dir* dir = FindDir(full.parent_path());
  if (dir == nullptr || full == root_) return creates ? FileError("open", path, ENOENT) : not_found;
  const std::string name = full.filename().string();
  if (dir->subdirs.count(name) > 0) return FileError("open", path, EISDIR);
  auto it = dir->files.find(name);
  std::shared_ptr<Node> node;
  switch (mode) {
    case OpenMode::kRead:
    case OpenMode::kReadWrite:
      if (it == dir->files.end()) return not_found;
      node = it->second;
      break;
    case OpenMode::kCreateNew:
      if (it != dir->files.end()) return FileError("open", path, EEXIST);
      node = std::make_shared<Node>();
      dir->files.emplace(name, node);
      break;
    case OpenMode::kCreateTrunc:
      if (it == dir->files.end()) {
        node = std::make_shared<Node>();
        dir->files.emplace(name, node);
      } else {
        node = it->second;
        node->written.clear();
      }
      break;
  }
  return std::unique_ptr<File>(
      new MemoryFile(path, this, std::move(node), generation_, mode != OpenMode::kRead));
}

Status PowerCutFileSystem::CreateDir(const std::filesystem::path& dir) {
  DUET_ASSIGN_OR_RETURN(const std::filesystem::path full, Resolve(dir));
  std::lock_guard lock(mu_);
  DUET_RETURN_IF_ERROR(Admit(true));
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path p = full; FindDir(p) == nullptr; p = p.parent_path()) {
    missing.push_back(p);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    Dir* parent = FindDir(it->parent_path());
    const std::string name = it->filename().string();
    if (parent->files.count(name) > 0) return FileError("mkdir", *it, EEXIST);
    parent->subdirs.insert(name);
    dirs_[*it];
  }
  return Status::OK();
}

Status PowerCutFileSystem::SyncDir(const std::filesystem::path& dir) {
  DUET_ASSIGN_OR_RETURN(const std::filesystem::path full, Resolve(dir));
  std::lock_guard lock(mu_);
  DUET_RETURN_IF_ERROR(Admit(true));
  Dir* d = FindDir(full);
  if (d == nullptr) return FileError("open directory", dir, ENOENT);
  d->durable_files = d->files;
  d->durable_subdirs = d->subdirs;
  return Status::OK();
}

Status PowerCutFileSystem::Rename(const std::filesystem::path& from,
                                  const std::filesystem::path& to) {
  DUET_ASSIGN_OR_RETURN(const std::filesystem::path full_from, Resolve(from));
  DUET_ASSIGN_OR_RETURN(const std::filesystem::path full_to, Resolve(to));
  std::lock_guard lock(mu_);
  DUET_RETURN_IF_ERROR(Admit(true));
  Dir* source = FindDir(full_from.parent_path());
  Dir* target = FindDir(full_to.parent_path());
  const std::string from_name = full_from.filename().string();
  const std::string to_name = full_to.filename().string();
  if (source == nullptr || source->files.count(from_name) == 0) {
    return FileError("rename to " + to.string(), from, ENOENT);
  }
  if (target == nullptr) return FileError("rename to " + to.string(), from, ENOENT);
  if (target->subdirs.count(to_name) > 0) {
    return FileError("rename to " + to.string(), from, EISDIR);
  }
  std::shared_ptr<Node> node = source->files.at(from_name);
  source->files.erase(from_name);
  target->files[to_name] = std::move(node);
  return Status::OK();
}

Status PowerCutFileSystem::Remove(const std::filesystem::path& path) {
  DUET_ASSIGN_OR_RETURN(const std::filesystem::path full, Resolve(path));
  std::lock_guard lock(mu_);
  DUET_RETURN_IF_ERROR(Admit(true));
  Dir* dir = FindDir(full.parent_path());
  if (dir == nullptr || dir->files.erase(full.filename().string()) == 0) {
    return FileError("unlink", path, ENOENT);
  }
  return Status::OK();
}

Result<std::vector<std::string>> PowerCutFileSystem::ListDir(const std::filesystem::path& dir) {
  DUET_ASSIGN_OR_RETURN(const std::filesystem::path full, Resolve(dir));
  std::lock_guard lock(mu_);
  DUET_RETURN_IF_ERROR(Admit(false));
  Dir* d = FindDir(full);
  if (d == nullptr) return FileError("opendir", dir, ENOENT);
  std::vector<std::string> names;
  for (const auto& [name, node] : d->files) names.push_back(name);
  names.insert(names.end(), d->subdirs.begin(), d->subdirs.end());
  return names;
}

}  // namespace duet::testing
