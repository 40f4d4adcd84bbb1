// The projection engine's implementation (include/duet/projection_engine.h).
//
// Locks, in the order they may be taken:
//   Entry::ops_mu  one control operation on a projection at a time (Stop, Start,
//                  Rebuild, Verify, RetryParked, the switch); held while runners
//                  are stopped, so never taken by a runner's thread
//   commit_mu_     WaitFor's condition variable and WhenApplied's waiters
//   mu_            the projection table and each entry's serving generation and
//                  runners; held only briefly, never while waiting for a thread
//   runner locks   (ProjectionRunner, RateMeter), leaves
// Runner hooks run on subscription threads and take only commit_mu_ (and,
// under it, mu_ briefly to check WhenApplied's waiters) or switch_mu_ (a
// leaf), so stopping a runner under ops_mu cannot deadlock. WhenApplied's
// callbacks run on those threads after the locks are released.
#ifndef DUET_PROJECTION_ENGINE_IMPL_H_
#define DUET_PROJECTION_ENGINE_IMPL_H_

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "duet/projection_engine.h"
#include "projection/apply.h"
#include "projection/generation.h"
#include "projection/projection_runner.h"
#include "projection/snapshots.h"
#include "util/thread_annotations.h"

namespace duet::projection {

// A fresh generation being filled from position 0 beside the serving one.
struct RebuildJob {
  uint64_t id = 0;  // tells a stale caught-up report from the current rebuild's
  Generation target;
  GlobalPosition target_position;  // head when the rebuild started
  std::unique_ptr<ProjectionRunner> runner;
};

// One registered projection.
struct Entry {
  std::unique_ptr<Projection> projection;  // immutable after Add
  std::shared_ptr<const Applier> applier;
  std::filesystem::path dir;  // <readstores_dir>/<name>; empty when in memory
  std::mutex ops_mu;
  // Guarded by the engine's mu_; changed only while ops_mu is held too, so a
  // control operation holding ops_mu may read them without mu_.
  Generation serving;
  std::unique_ptr<ProjectionRunner> live;  // null while serving an older version
  std::unique_ptr<RebuildJob> rebuild;
  std::string switch_error;  // why the last switch failed; cleared by a switch

  const ProjectionInfo& info() const { return projection->info(); }
};

class EngineImpl final : public ProjectionEngine {
 public:
  EngineImpl(EventStore* log, std::filesystem::path dir, ProjectionEngineOptions options);
  ~EngineImpl() override;

  Status Add(std::unique_ptr<Projection> projection) override;
  std::vector<ProjectionStatus> Statuses() override;
  Result<ProjectionStatus> StatusOf(std::string_view name) override;
  Result<std::shared_ptr<ReadStore>> ServingStore(std::string_view name) override;
  Status WhenApplied(std::string_view name, GlobalPosition position,
                     std::weak_ptr<const std::function<void()>> ready) override
      EXCLUDES(commit_mu_);
  Result<GlobalPosition> WaitFor(std::string_view name, GlobalPosition position,
                                 std::chrono::milliseconds timeout) override;
  Status Stop(std::string_view name) override;
  Status Start(std::string_view name) override;
  Status Rebuild(std::string_view name) override;
  Result<uint64_t> RetryParked(std::string_view name) override;
  Result<VerifyReport> Verify(std::string_view name) override;
  Result<std::unique_ptr<ReadStore>> BuildAt(std::string_view name, PointInTime at,
                                             const std::filesystem::path& dir) override;

  // Waits until no snapshot is queued or being taken.
  void DrainSnapshotsForTest() { snapshotter_->DrainForTest(); }

 private:
  bool InMemory(const ProjectionInfo& info) const {
    return options_.in_memory && info.store == ReadStoreKind::kDocument;
  }
  Result<Entry*> Find(std::string_view name) EXCLUDES(mu_);
  Status OpenServing(Entry& entry);
  // `generation`'s commits count towards snapshots while it serves.
  std::unique_ptr<ProjectionRunner> NewRunner(Entry& entry, const Generation& generation,
                                              uint64_t rebuild_id);
  // Snapshots: what to copy for an entry (the snapshot thread's source),
  // and BuildAt's start from the newest usable snapshot at or before `last`
  // (nullptr when none is usable).
  std::optional<SnapshotSource> SnapshotSourceOf(const void* key) EXCLUDES(mu_);
  void TrackSnapshots(Entry& entry);
  Result<std::unique_ptr<ReadStore>> OpenFromSnapshot(const Entry& entry, GlobalPosition last,
                                                      const std::filesystem::path& dir);
  Status StartRebuild(Entry& entry) EXCLUDES(mu_);
  void CancelRebuild(Entry& entry) EXCLUDES(mu_);
  void Switch(Entry* entry, uint64_t rebuild_id) EXCLUDES(mu_);
  void NotifyCommit() EXCLUDES(commit_mu_);
  void EnqueueSwitch(Entry* entry, uint64_t rebuild_id) EXCLUDES(switch_mu_);
  void RunSwitcher() EXCLUDES(switch_mu_);
  // Stops the live runner of `entry`; returns it if it was running (for the
  // caller to restart), else nullptr. REQUIRES: entry.ops_mu held.
  ProjectionRunner* PauseLive(Entry& entry);
  Result<std::unique_ptr<ReadStore>> NewScratchStore(const Entry& entry,
                                                     const std::filesystem::path& dir);

  EventStore* const log_;
  const std::filesystem::path dir_;
  const ProjectionEngineOptions options_;

  std::mutex add_mu_;  // one Add at a time (checks the name, then opens stores)
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<Entry>, std::less<>> entries_ GUARDED_BY(mu_);
  uint64_t last_rebuild_id_ GUARDED_BY(mu_) = 0;

  std::mutex commit_mu_;
  std::condition_variable commit_cv_;  // signalled on every commit and switch
  // WhenApplied's callers, told by NotifyCommit.
  struct ApplyWaiter {
    std::string name;
    GlobalPosition position;
    std::weak_ptr<const std::function<void()>> ready;
  };
  std::vector<ApplyWaiter> apply_waiters_ GUARDED_BY(commit_mu_);

  std::mutex switch_mu_;
  std::condition_variable switch_cv_;
  std::deque<std::pair<Entry*, uint64_t>> switches_ GUARDED_BY(switch_mu_);
  bool closing_ GUARDED_BY(switch_mu_) = false;
  std::thread switcher_;  // runs switches off the runners' threads

  // Last member: destroyed (its thread joined) first, after the destructor
  // has stopped the runners and while the entries its source reads exist.
  std::unique_ptr<Snapshotter> snapshotter_;
};

}  // namespace duet::projection

#endif  // DUET_PROJECTION_ENGINE_IMPL_H_
