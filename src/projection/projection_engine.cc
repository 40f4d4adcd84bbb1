// ProjectionEngine: the projection table, generations and the switch, status
// and WaitFor. Control operations (Stop, Start, Rebuild, Verify, ...) are in
// engine_admin.cc. Lock order: engine.h.
#include <algorithm>
#include <chrono>
#include <system_error>
#include <utility>

#include "projection/engine.h"
#include "util/file_util.h"
#include "util/thread_name.h"

namespace duet {

Result<std::unique_ptr<ProjectionEngine>> ProjectionEngine::Open(
    EventStore* store, std::filesystem::path readstores_dir, ProjectionEngineOptions options) {
  if (store == nullptr) return Status::InvalidArgument("store", "must not be null");
  DUET_RETURN_IF_ERROR(CreateDirectoriesDurably(readstores_dir));
  if (options.batch_size == 0) return Status::InvalidArgument("batch_size", "must be at least 1");
  return std::unique_ptr<ProjectionEngine>(
      new projection::EngineImpl(store, std::move(readstores_dir), options));
}

namespace projection {

namespace fs = std::filesystem;

EngineImpl::EngineImpl(EventStore* log, fs::path dir, ProjectionEngineOptions options)
    : log_(log), dir_(std::move(dir)), options_(options) {
  switcher_ = std::thread([this] {
    NameThisThread("duet-switcher");
    RunSwitcher();
  });
  snapshotter_ =
      std::make_unique<Snapshotter>(options_.snapshot_every, options_.snapshots_kept,
                                    [this](const void* key) { return SnapshotSourceOf(key); });
}

EngineImpl::~EngineImpl() {
  {
    std::lock_guard lock(switch_mu_);
    closing_ = true;
  }
  switch_cv_.notify_all();
  switcher_.join();
  std::vector<Entry*> entries;
  {
    std::lock_guard lock(mu_);
    for (auto& [name, entry] : entries_) entries.push_back(entry.get());
  }
  for (Entry* entry : entries) {
    std::lock_guard ops(entry->ops_mu);
    if (entry->live) entry->live->Stop();
    CancelRebuild(*entry);  // an unfinished generation is of no use later
  }
}

Result<Entry*> EngineImpl::Find(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end())
    return Status::NotFound(name, "no projection named " + std::string(name));
  return it->second.get();
}

Status EngineImpl::Add(std::unique_ptr<Projection> projection) {
  if (projection == nullptr) return Status::InvalidArgument("projection", "must not be null");
  DUET_RETURN_IF_ERROR(ValidateProjectionInfo(projection->info()));
  std::lock_guard add(add_mu_);
  const std::string name = projection->info().name;
  {
    std::lock_guard lock(mu_);
    if (entries_.count(name) != 0) {
      return Status::FailedPrecondition("projection " + name + " is already registered");
    }
  }
  auto entry = std::make_unique<Entry>();
  entry->projection = std::move(projection);
  entry->applier = std::make_shared<const Applier>(entry->projection.get(), options_.upcasters);
  if (!InMemory(entry->info())) entry->dir = dir_ / name;
  DUET_RETURN_IF_ERROR(OpenServing(*entry));
  Entry* added = entry.get();
  std::lock_guard ops(added->ops_mu);
  const bool current_version = added->serving.name.version == added->info().version;
  TrackSnapshots(*added);  // and drops those of other versions
  if (current_version) added->live = NewRunner(*added, added->serving, 0);
  {
    std::lock_guard lock(mu_);
    entries_.emplace(name, std::move(entry));
  }
  if (!current_version) return StartRebuild(*added);
  added->live->Start();
  return Status::OK();
}

// Opens the generation CURRENT names, or creates the first one. A CURRENT
// naming another version keeps serving until the rebuild (started by Add)
// switches. Leftover folders of an interrupted rebuild are removed.
Status EngineImpl::OpenServing(Entry& entry) {
  const ProjectionInfo& info = entry.info();
  if (entry.dir.empty()) {
    DUET_ASSIGN_OR_RETURN(entry.serving, OpenGeneration(info.store, {info.version, 0}, {}));
    return Status::OK();
  }
  DUET_RETURN_IF_ERROR(CreateDirectoriesDurably(entry.dir));
  DUET_ASSIGN_OR_RETURN(std::optional<GenerationName> current, ReadCurrent(entry.dir));
  // A CURRENT whose folder is gone is a deleted read model: rebuilt as new.
  if (current && !fs::is_directory(entry.dir / current->ToString())) current.reset();
  DUET_RETURN_IF_ERROR(RemoveOtherGenerations(entry.dir, current));
  DUET_ASSIGN_OR_RETURN(uint64_t last, LastGenerationNumber(entry.dir));
  if (current) {
    DUET_ASSIGN_OR_RETURN(entry.serving,
                          OpenGeneration(info.store, *current, entry.dir / current->ToString()));
    // A read model past the head applied events the log has since lost: in
    // durability interval or none, events are applied once written, and a
    // power cut takes what was not yet synced. It describes a history that no
    // longer exists (the lost positions will be reused), so it is dropped and
    // a new generation replays the log (tests/projection/power_cut_projection_test).
    if (!options_.head_known_when_added ||
        entry.serving.store->checkpoint() <= log_->HeadPosition()) {
      return Status::OK();
    }
    entry.serving.Retire();
    entry.serving = {};  // its folder goes with its store
  }
  const GenerationName first{info.version, last + 1};
  DUET_ASSIGN_OR_RETURN(entry.serving,
                        OpenGeneration(info.store, first, entry.dir / first.ToString()));
  return WriteCurrent(entry.dir, first);
}

std::unique_ptr<ProjectionRunner> EngineImpl::NewRunner(Entry& entry, const Generation& generation,
                                                        uint64_t rebuild_id) {
  RunnerHooks hooks;
  if (entry.dir.empty() || !snapshotter_->enabled()) {
    hooks.on_commit = [this](GlobalPosition) { NotifyCommit(); };
  } else {
    // A rebuild's generation is retired until it is switched in: only the
    // serving generation's commits lead to snapshots.
    hooks.on_commit = [this, key = &entry, retired = generation.retired](GlobalPosition at) {
      NotifyCommit();
      if (!retired->load()) snapshotter_->OnCommit(key, at);
    };
  }
  if (rebuild_id != 0) {
    Entry* target = &entry;
    hooks.on_caught_up = [this, target, rebuild_id](GlobalPosition) {
      EnqueueSwitch(target, rebuild_id);
    };
  }
  return std::make_unique<ProjectionRunner>(log_, entry.applier, generation.store,
                                            options_.batch_size, std::move(hooks),
                                            options_.live_linger);
}

Status EngineImpl::StartRebuild(Entry& entry) {
  const ProjectionInfo& info = entry.info();
  GenerationName name{info.version, 0};
  fs::path folder;
  if (!entry.dir.empty()) {
    DUET_ASSIGN_OR_RETURN(uint64_t last, LastGenerationNumber(entry.dir));
    name.number = last + 1;
    folder = entry.dir / name.ToString();
  }
  auto job = std::make_unique<RebuildJob>();
  DUET_ASSIGN_OR_RETURN(job->target, OpenGeneration(info.store, name, folder));
  job->target.Retire();  // until switched in: an abandoned rebuild leaves nothing
  job->target_position = log_->HeadPosition();
  {
    std::lock_guard lock(mu_);
    job->id = ++last_rebuild_id_;
  }
  job->runner = NewRunner(entry, job->target, job->id);
  ProjectionRunner* runner = job->runner.get();
  {
    std::lock_guard lock(mu_);
    entry.rebuild = std::move(job);
  }
  runner->Start();
  return Status::OK();
}

void EngineImpl::CancelRebuild(Entry& entry) {
  std::unique_ptr<RebuildJob> job;
  {
    std::lock_guard lock(mu_);
    job = std::move(entry.rebuild);
  }
  if (job) job->runner->Stop();
  // Destroying job closes the store; it is retired, so its folder goes too.
}

void EngineImpl::EnqueueSwitch(Entry* entry, uint64_t rebuild_id) {
  {
    std::lock_guard lock(switch_mu_);
    if (closing_) return;
    switches_.emplace_back(entry, rebuild_id);
  }
  switch_cv_.notify_one();
}

void EngineImpl::RunSwitcher() {
  for (;;) {
    std::pair<Entry*, uint64_t> next;
    {
      std::unique_lock lock(switch_mu_);
      switch_cv_.wait(lock, [this] { return closing_ || !switches_.empty(); });
      if (closing_) return;
      next = switches_.front();
      switches_.pop_front();
    }
    Switch(next.first, next.second);
  }
}

// The rebuild has caught up: stop the old runner, point CURRENT at the new
// generation, swap the serving store, and keep the rebuild's runner as the
// live one. The old generation is retired: closed and removed once the last
// query holding it lets go.
void EngineImpl::Switch(Entry* entry, uint64_t rebuild_id) {
  std::lock_guard ops(entry->ops_mu);
  if (!entry->rebuild || entry->rebuild->id != rebuild_id) return;  // cancelled meanwhile
  ProjectionRunner* paused = PauseLive(*entry);
  Generation& target = entry->rebuild->target;
  if (!entry->dir.empty()) {
    Status written = WriteCurrent(entry->dir, target.name);
    if (!written.ok()) {
      // The old generation goes on serving; the rebuild is dropped so that
      // Rebuild can start another, and the status says why.
      {
        std::lock_guard lock(mu_);
        entry->switch_error = "switching to " + target.name.ToString() + ": " + written.ToString();
      }
      CancelRebuild(*entry);
      if (paused != nullptr) paused->Start();
      return;
    }
  }
  target.retired->store(false);
  Generation old_serving;
  std::unique_ptr<ProjectionRunner> old_live;
  {
    std::lock_guard lock(mu_);
    old_serving = std::move(entry->serving);
    old_live = std::move(entry->live);
    entry->serving = std::move(entry->rebuild->target);
    entry->live = std::move(entry->rebuild->runner);
    entry->rebuild.reset();
    entry->switch_error.clear();
  }
  old_serving.Retire();
  old_live.reset();        // releases its reference to the old store
  old_serving = {};        // and this one: the folder goes unless a query holds it
  TrackSnapshots(*entry);  // a new version's first switch: its own snapshots from now on
  NotifyCommit();
}

void EngineImpl::TrackSnapshots(Entry& entry) {
  if (entry.dir.empty() || !snapshotter_->enabled()) return;
  std::vector<SnapshotName> snapshots;
  {
    std::lock_guard files(snapshotter_->files_mu());
    // Best effort: a snapshot folder that cannot be pruned costs disk, not data.
    (void)PruneSnapshots(entry.dir, entry.info().version, options_.snapshots_kept);
    snapshots = ListSnapshots(entry.dir, entry.info().version);
  }
  snapshotter_->Track(&entry, snapshots.empty() ? kNoPosition : snapshots.front().checkpoint);
}

std::optional<SnapshotSource> EngineImpl::SnapshotSourceOf(const void* key) {
  const Entry* entry = static_cast<const Entry*>(key);
  std::lock_guard lock(mu_);
  if (!entry->live || entry->dir.empty() || entry->serving.name.version != entry->info().version) {
    return std::nullopt;
  }
  return SnapshotSource{entry->serving, entry->dir, entry->info().store, entry->info().version};
}

void EngineImpl::NotifyCommit() {
  std::vector<std::shared_ptr<const std::function<void()>>> ready;
  {
    std::lock_guard lock(commit_mu_);
    commit_cv_.notify_all();
    std::erase_if(apply_waiters_, [&](const ApplyWaiter& waiter) {
      std::shared_ptr<const std::function<void()>> callback = waiter.ready.lock();
      if (callback == nullptr) return true;  // its caller gave up
      Result<std::shared_ptr<ReadStore>> store = ServingStore(waiter.name);
      if (store.ok() && (*store)->checkpoint() < waiter.position) return false;
      ready.push_back(std::move(callback));  // reached, or the projection is gone: tell it
      return true;
    });
  }
  for (const auto& callback : ready) (*callback)();
}

Status EngineImpl::WhenApplied(std::string_view name, GlobalPosition position,
                               std::weak_ptr<const std::function<void()>> ready) {
  {
    std::lock_guard lock(commit_mu_);
    DUET_ASSIGN_OR_RETURN(std::shared_ptr<ReadStore> store, ServingStore(name));
    if (store->checkpoint() < position) {
      apply_waiters_.push_back({std::string(name), position, std::move(ready)});
      return Status::OK();
    }
  }
  if (std::shared_ptr<const std::function<void()>> callback = ready.lock()) (*callback)();
  return Status::OK();
}

Result<std::shared_ptr<ReadStore>> EngineImpl::ServingStore(std::string_view name) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(name);
  if (it == entries_.end())
    return Status::NotFound(name, "no projection named " + std::string(name));
  return it->second->serving.store;
}

Result<GlobalPosition> EngineImpl::WaitFor(std::string_view name, GlobalPosition position,
                                           std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(commit_mu_);
  for (;;) {
    // Fetched again after every wake-up: a switch changes the serving store.
    DUET_ASSIGN_OR_RETURN(std::shared_ptr<ReadStore> store, ServingStore(name));
    const GlobalPosition checkpoint = store->checkpoint();
    if (checkpoint >= position) return checkpoint;
    if (commit_cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      DUET_ASSIGN_OR_RETURN(store, ServingStore(name));
      return store->checkpoint();
    }
  }
}

}  // namespace projection
}  // namespace duet
