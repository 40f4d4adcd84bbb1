#include "projection/snapshots.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <system_error>
#include <utility>

#include "util/file_util.h"
#include "util/thread_name.h"

namespace duet::projection {

namespace fs = std::filesystem;

namespace {

constexpr size_t kCheckpointDigits = 20;
// Where a copy is staged until its checkpoint names its folder. The name is
// the engine's (docs/format.md); what the copy holds is the read store's.
constexpr std::string_view kStagedCopy = "tmp.db";

}  // namespace

std::string SnapshotName::ToString() const {
  char digits[kCheckpointDigits + 1];
  std::snprintf(digits, sizeof(digits), "%020llu",
                static_cast<unsigned long long>(checkpoint.value));
  return "v" + std::to_string(version) + "-" + digits;
}

std::optional<SnapshotName> ParseSnapshotName(std::string_view text) {
  if (text.size() < 2 + 1 + kCheckpointDigits || text[0] != 'v') return std::nullopt;
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos || dash < 2 || text[1] == '0') return std::nullopt;
  const std::string_view version_text = text.substr(1, dash - 1);
  const std::string_view checkpoint_text = text.substr(dash + 1);
  if (checkpoint_text.size() != kCheckpointDigits) return std::nullopt;
  SnapshotName name;
  auto [vend, verr] =
      std::from_chars(version_text.data(), version_text.data() + version_text.size(), name.version);
  auto [cend, cerr] =
      std::from_chars(checkpoint_text.data(), checkpoint_text.data() + checkpoint_text.size(),
                      name.checkpoint.value);
  if (verr != std::errc() || vend != version_text.data() + version_text.size() ||
      cerr != std::errc() || cend != checkpoint_text.data() + checkpoint_text.size() ||
      name.version == 0 || name.checkpoint == kNoPosition) {
    return std::nullopt;
  }
  return name;
}

fs::path SnapshotFolder(const fs::path& projection_dir, const SnapshotName& name) {
  return projection_dir / kSnapshotsFolder / name.ToString();
}

std::vector<SnapshotName> ListSnapshots(const fs::path& projection_dir, uint32_t version) {
  std::vector<SnapshotName> found;
  std::error_code ec;
  const fs::path folder = projection_dir / kSnapshotsFolder;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    auto name = ParseSnapshotName(it->path().filename().string());
    if (name && name->version == version) found.push_back(*name);
  }
  std::sort(found.begin(), found.end(), [](const SnapshotName& a, const SnapshotName& b) {
    return a.checkpoint > b.checkpoint;
  });
  return found;
}

Status PruneSnapshots(const fs::path& projection_dir, uint32_t version, size_t keep) {
  std::vector<SnapshotName> kept = ListSnapshots(projection_dir, version);
  if (kept.size() > keep) kept.resize(keep);
  const fs::path folder = projection_dir / kSnapshotsFolder;
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (fs::directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    const bool keep_it = std::any_of(kept.begin(), kept.end(), [&](const SnapshotName& name) {
      return name.ToString() == file;
    });
    if (!keep_it) doomed.push_back(it->path());
  }
  if (ec) return ErrnoToStatus("listing", folder, ec.value());
  for (const fs::path& path : doomed) {
    fs::remove_all(path, ec);
    if (ec) return ErrnoToStatus("removing", path, ec.value());
  }
  if (!doomed.empty()) return SyncDirectory(folder);
  return Status::OK();
}

Snapshotter::Snapshotter(uint64_t every, size_t keep, SourceFn source)
    : every_(every), keep_(std::max<size_t>(keep, 1)), source_(std::move(source)) {
  if (enabled()) {
    thread_ = std::thread([this] {
      NameThisThread("duet-snapshots");
      Run();
    });
  }
}

Snapshotter::~Snapshotter() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Snapshotter::Track(const void* key, GlobalPosition newest) {
  if (!enabled()) return;
  std::lock_guard lock(mu_);
  last_bucket_[key] = newest.value / every_;
}

void Snapshotter::OnCommit(const void* key, GlobalPosition checkpoint) {
  if (!enabled()) return;
  {
    std::lock_guard lock(mu_);
    auto it = last_bucket_.find(key);
    if (it == last_bucket_.end()) return;
    const uint64_t bucket = checkpoint.value / every_;
    if (bucket <= it->second) return;
    // One attempt per crossing: a failed copy waits for the next multiple.
    it->second = bucket;
    if (std::find(pending_.begin(), pending_.end(), key) != pending_.end()) return;
    pending_.push_back(key);
  }
  cv_.notify_all();
}

void Snapshotter::DrainForTest() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [this] { return closing_ || (pending_.empty() && !busy_); });
}

void Snapshotter::Run() {
  for (;;) {
    const void* key = nullptr;
    {
      std::unique_lock lock(mu_);
      busy_ = false;
      idle_cv_.notify_all();
      cv_.wait(lock, [this] { return closing_ || !pending_.empty(); });
      if (closing_) return;
      key = pending_.front();
      pending_.erase(pending_.begin());
      busy_ = true;
    }
    std::optional<SnapshotSource> source = source_(key);
    // Best effort: a failed snapshot only makes a later BuildAt replay more.
    if (source && source->generation.store) (void)Take(*source);
  }
}

// The read store copies and checks; the copy is staged beside the snapshots
// and installed in its folder only once it checked out, so a snapshot folder
// never holds a partial copy unless the disk lies.
Result<GlobalPosition> Snapshotter::Take(const SnapshotSource& source) {
  std::lock_guard files(files_mu_);
  const fs::path folder = source.projection_dir / kSnapshotsFolder;
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec) return ErrnoToStatus("creating", folder, ec.value());
  const fs::path staged = folder / kStagedCopy;
  fs::remove_all(staged, ec);
  DUET_ASSIGN_OR_RETURN(GlobalPosition checkpoint,
                        SnapshotReadStore(source.kind, source.generation.folder, staged));
  const fs::path target = SnapshotFolder(source.projection_dir, {source.version, checkpoint});
  if (checkpoint == kNoPosition || fs::exists(target, ec)) {
    fs::remove_all(staged, ec);
    return checkpoint;
  }
  DUET_RETURN_IF_ERROR(InstallReadStoreSnapshot(staged, target));
  DUET_RETURN_IF_ERROR(SyncDirectory(folder));
  DUET_RETURN_IF_ERROR(PruneSnapshots(source.projection_dir, source.version, keep_));
  return checkpoint;
}

}  // namespace duet::projection
