// ProjectionEngine control operations: Stop, Start, Rebuild, RetryParked,
// Verify and BuildAt. Each holds the projection's ops_mu throughout (see
// engine.h); Verify and BuildAt replay with the runner's own apply code.
#include <system_error>
#include <utility>

#include "projection/engine.h"
#include "projection/entry_digest.h"

namespace duet::projection {

namespace fs = std::filesystem;

namespace {

constexpr size_t kMaxDifferingKeys = 100;

// Restarts a paused runner (if any) on every way out of a control operation.
class ResumeOnExit {
 public:
  explicit ResumeOnExit(ProjectionRunner* runner) : runner_(runner) {}
  ~ResumeOnExit() {
    if (runner_ != nullptr) runner_->Start();
  }
  ResumeOnExit(const ResumeOnExit&) = delete;
  ResumeOnExit& operator=(const ResumeOnExit&) = delete;

 private:
  ProjectionRunner* runner_;
};

bool Running(ProjectionRunner& runner) {
  const RunnerState state = runner.Snapshot().state;
  return state == RunnerState::kCatchingUp || state == RunnerState::kLive;
}

}  // namespace

Status EngineImpl::Stop(std::string_view name) {
  DUET_ASSIGN_OR_RETURN(Entry * entry, Find(name));
  std::lock_guard ops(entry->ops_mu);
  if (entry->live) entry->live->Stop();
  if (entry->rebuild) entry->rebuild->runner->Stop();  // kept: Start resumes it
  return Status::OK();
}

Status EngineImpl::Start(std::string_view name) {
  DUET_ASSIGN_OR_RETURN(Entry * entry, Find(name));
  std::lock_guard ops(entry->ops_mu);
  if (entry->live) entry->live->Start();
  if (entry->rebuild) {
    entry->rebuild->runner->Start();  // its catch-up report switches it in
  } else if (!entry->live) {
    return StartRebuild(*entry);  // serving another version; its rebuild failed to start
  }
  return Status::OK();
}

// The check and the start are one step under ops_mu: of concurrent callers
// exactly one starts a rebuild, the others are told kRebuildRunning.
Status EngineImpl::Rebuild(std::string_view name) {
  DUET_ASSIGN_OR_RETURN(Entry * entry, Find(name));
  std::lock_guard ops(entry->ops_mu);
  if (entry->rebuild && Running(*entry->rebuild->runner)) return Status::RebuildRunning(name);
  CancelRebuild(*entry);  // a failed or stopped one starts over
  return StartRebuild(*entry);
}

ProjectionRunner* EngineImpl::PauseLive(Entry& entry) {
  ProjectionRunner* live = entry.live.get();
  if (live == nullptr) return nullptr;
  const bool was_running = Running(*live);
  live->Stop();
  return was_running ? live : nullptr;
}

// Parked events are applied out of order by nature: the projection has moved
// on since. One transaction per event, so one that still fails does not undo
// the others; the checkpoint stays where it is.
Result<uint64_t> EngineImpl::RetryParked(std::string_view name) {
  DUET_ASSIGN_OR_RETURN(Entry * entry, Find(name));
  std::lock_guard ops(entry->ops_mu);
  if (!entry->live) {
    return Status::Conflict("the read model of " + std::string(name) +
                            " is being rebuilt by a new version");
  }
  ResumeOnExit resume(PauseLive(*entry));
  ReadStore& store = *entry->serving.store;
  DUET_ASSIGN_OR_RETURN(std::vector<ParkedEvent> parked, store.Parked());
  uint64_t remaining = 0;
  for (const ParkedEvent& p : parked) {
    DUET_ASSIGN_OR_RETURN(std::vector<RecordedEvent> events, log_->ReadAll(p.position, 1));
    if (events.empty() || events.front().position != p.position) {
      return Status::NotFound(
          "position", "parked event " + std::to_string(p.position.value) + " is not in the log");
    }
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<ReadStoreTxn> txn, store.Begin());
    if (!entry->applier->ApplyStored(events.front(), *txn).ok()) {
      ++remaining;
      continue;  // txn discarded
    }
    DUET_RETURN_IF_ERROR(txn->Unpark(p.position));
    DUET_RETURN_IF_ERROR(store.Commit(std::move(txn), store.checkpoint()));
  }
  return remaining;
}

Result<std::unique_ptr<ReadStore>> EngineImpl::NewScratchStore(const Entry& entry,
                                                               const fs::path& dir) {
  if (dir.empty()) {
    if (entry.info().store != ReadStoreKind::kDocument) {
      return Status::InvalidArgument("dir", "a search or analytics read model needs a folder");
    }
    return std::unique_ptr<ReadStore>(NewMemoryDocumentStore());
  }
  return OpenReadStore(entry.info().store, dir);
}

Result<VerifyReport> EngineImpl::Verify(std::string_view name) {
  DUET_ASSIGN_OR_RETURN(Entry * entry, Find(name));
  std::lock_guard ops(entry->ops_mu);
  if (!entry->live) {
    return Status::Conflict("the read model of " + std::string(name) +
                            " is being rebuilt by a new version");
  }
  ResumeOnExit resume(PauseLive(*entry));
  ReadStore& live = *entry->serving.store;
  fs::path scratch_dir;
  if (entry->info().store != ReadStoreKind::kDocument) {
    scratch_dir = entry->dir / std::string(kVerifyScratchFolder);  // never in memory
    std::error_code ec;
    fs::remove_all(scratch_dir, ec);
  }
  DUET_ASSIGN_OR_RETURN(Generation scratch, OpenGeneration(entry->info().store, {}, scratch_dir));
  scratch.Retire();  // removed when `scratch` goes
  VerifyReport report;
  report.position = live.checkpoint();
  DUET_RETURN_IF_ERROR(Replay(*log_, *entry->applier, *scratch.store,
                              ReplayLimit{report.position, std::nullopt}, options_.batch_size));
  DUET_ASSIGN_OR_RETURN(EntryListing live_entries, ListEntries(live));
  DUET_ASSIGN_OR_RETURN(EntryListing rebuilt_entries, ListEntries(*scratch.store));
  report.live_digest = HexDigest(live_entries.digest);
  report.rebuilt_digest = HexDigest(rebuilt_entries.digest);
  report.entries = live_entries.entries.size();
  if (!report.matches()) {
    report.differing_keys = DifferingKeys(live_entries, rebuilt_entries, kMaxDifferingKeys);
  }
  return report;
}

namespace {

// The last position recorded at or before `timestamp_us` (kNoPosition when
// none), by binary search: the store never lets timestamps decrease in
// position order (see RecordedEvent::timestamp_us).
Result<GlobalPosition> LastPositionAtOrBefore(EventStore& log, int64_t timestamp_us,
                                              GlobalPosition head) {
  uint64_t low = 0, high = head.value;  // the answer is in [low, high]
  while (low < high) {
    const uint64_t mid = low + (high - low + 1) / 2;
    DUET_ASSIGN_OR_RETURN(std::vector<RecordedEvent> events, log.ReadAll(GlobalPosition(mid), 1));
    if (events.empty()) return Status::Corruption("no event at position " + std::to_string(mid));
    if (events[0].timestamp_us <= timestamp_us) {
      low = mid;
    } else {
      high = mid - 1;
    }
  }
  return GlobalPosition(low);
}

}  // namespace

Result<std::unique_ptr<ReadStore>> EngineImpl::BuildAt(std::string_view name, PointInTime at,
                                                       const fs::path& dir) {
  DUET_ASSIGN_OR_RETURN(Entry * entry, Find(name));
  if (at.position.has_value() == at.timestamp_us.has_value()) {
    return Status::InvalidArgument("at", "give exactly one of position and timestamp");
  }
  // The head now bounds both kinds: a build does not chase later appends.
  ReplayLimit limit{log_->HeadPosition(), std::nullopt};
  if (at.timestamp_us) {  // becomes a position target, so snapshots serve it too
    DUET_ASSIGN_OR_RETURN(at.position, LastPositionAtOrBefore(*log_, *at.timestamp_us, limit.last));
  }
  if (at.position) {
    if (*at.position > limit.last) {
      return Status::InvalidArgument(
          "position", "beyond the head of the log (" + std::to_string(limit.last.value) + ")");
    }
    limit.last = *at.position;
  }
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<ReadStore> store,
                        OpenFromSnapshot(*entry, limit.last, dir));
  if (store != nullptr) {
    DUET_RETURN_IF_ERROR(Replay(*log_, *entry->applier, *store, limit, options_.batch_size));
    return store;
  }
  DUET_ASSIGN_OR_RETURN(store, NewScratchStore(*entry, dir));
  if (store->checkpoint() != kNoPosition) {
    return Status::FailedPrecondition(dir.string() + " already holds a read model");
  }
  DUET_RETURN_IF_ERROR(Replay(*log_, *entry->applier, *store, limit, options_.batch_size));
  return store;
}

// Each snapshot is checked as it is restored (a damaged or truncated one is
// skipped for the next older one), so a snapshot pruned or damaged meanwhile
// costs a longer replay, never a wrong result. The read store restores and
// removes its own files; the engine only picks the snapshot.
Result<std::unique_ptr<ReadStore>> EngineImpl::OpenFromSnapshot(const Entry& entry,
                                                                GlobalPosition last,
                                                                const fs::path& dir) {
  if (dir.empty() || entry.dir.empty() || ReadStoreExists(dir)) return std::unique_ptr<ReadStore>();
  const ReadStoreKind kind = entry.info().store;
  for (const SnapshotName& snapshot : ListSnapshots(entry.dir, entry.info().version)) {
    if (snapshot.checkpoint > last) continue;
    Result<GlobalPosition> restored = [&] {
      std::lock_guard files(snapshotter_->files_mu());  // not pruned while copied
      return RestoreReadStore(kind, SnapshotFolder(entry.dir, snapshot), dir);
    }();
    if (!restored.ok()) continue;  // `dir` holds no store: it held none before
    if (*restored == snapshot.checkpoint) {
      Result<std::unique_ptr<ReadStore>> store = OpenReadStore(kind, dir);
      if (store.ok() && (*store)->checkpoint() == snapshot.checkpoint) return store;
    }  // an opened store is closed here, before its files go
    DUET_RETURN_IF_ERROR(RemoveReadStore(dir));
  }
  return std::unique_ptr<ReadStore>();
}

}  // namespace duet::projection
