// The projection engine: runs many projections against one event store, each
// at its own pace, and owns their read stores.
//
// Each projection has a runner: a subscription from the store's checkpoint
// (catch-up, then live) whose batches are applied through the projection and
// committed with the new checkpoint in one read-store transaction. Runners
// pull from the log, so a slow or stopped projection never slows appends and
// one far behind holds at most one batch in memory.
//
// Data: `readstores_dir`/<name>/ holds one folder per generation of the
// projection's read model (`v<version>-g<generation>`) and CURRENT, the
// generation that serves queries (format in docs/format.md). A rebuild fills
// a new generation beside the current one, which keeps serving, and switches
// CURRENT when the new one has caught up.
//
// Thread-safe.
#ifndef DUET_PROJECTION_ENGINE_H_
#define DUET_PROJECTION_ENGINE_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/event_store.h"
#include "duet/projection.h"
#include "duet/read_store.h"
#include "duet/result.h"
#include "duet/status.h"
#include "duet/types.h"
#include "duet/upcast.h"

namespace duet {

enum class ProjectionState : uint8_t { kCatchingUp, kLive, kRebuilding, kStopped, kFailed };
// "catching-up", "live", "rebuilding", "stopped", "failed"
std::string_view ProjectionStateName(ProjectionState state);

struct RebuildProgress {
  GlobalPosition position;  // of the rebuild's store
  GlobalPosition target;    // head when the rebuild started
  double events_per_second = 0;
  double eta_seconds = 0;
};

struct ProjectionStatus {
  std::string name;
  uint32_t version = 0;  // of the read model serving queries
  ReadStoreKind store = ReadStoreKind::kDocument;
  ProjectionState state = ProjectionState::kStopped;
  GlobalPosition checkpoint;     // of the serving read model
  GlobalPosition head;           // of the event store
  uint64_t lag_events = 0;       // head - checkpoint
  double lag_seconds = 0;        // age of the oldest event not yet applied
  double events_per_second = 0;  // applied, over the last few seconds
  // Events the serving read model committed (handled or not) since this
  // process started it; starts again at 0 when a rebuilt one takes over.
  uint64_t events_applied = 0;
  uint64_t parked = 0;
  // When failed: where and why.
  std::optional<GlobalPosition> failed_at;
  std::string error;
  std::optional<RebuildProgress> rebuild;  // while a rebuild runs
};

struct ProjectionEngineOptions {
  size_t batch_size = 1024;  // events per read-store transaction at most
  // Live, how long a runner may wait for a whole batch while events keep
  // arriving (SubscriptionOptions::live_linger): under a write load the read
  // stores commit fewer, larger batches, so they take less of the CPU the
  // command side shares with them (measured: BENCHMARKS.md, "The serving
  // path"). A read-your-writes query may wait this much longer.
  std::chrono::milliseconds live_linger{5};
  // Documents a memory document store instead of a persistent one for every
  // document projection (tests, benchmarks, throw-away views).
  bool in_memory = false;
  // Whether the store's head, when a projection is added, covers the whole
  // history the store will ever have below it (an embedded or PostgreSQL
  // store; not a query node's follower, which learns the head only once it
  // reaches its command node). Then a read model past that head applied
  // events a power cut took from the log (durability interval or none apply
  // events once written) and is replaced by a replay of the log.
  bool head_known_when_added = true;
  // A consistent copy of each persistent read model every `snapshot_every`
  // events (0: never), in <name>/snapshots/; BuildAt at a position starts
  // from the newest one at or before it. The newest `snapshots_kept` stay.
  uint64_t snapshot_every = 1'000'000;
  size_t snapshots_kept = 8;
  // Brings events stored in older shapes to today's before projections see
  // them, live and in rebuilds alike (duet/upcast.h). Null: events are
  // applied as stored. The App sets it from its domains' upcasters.
  std::shared_ptr<const UpcasterChain> upcasters{};
};

// What a determinism check found: the live read model and a fresh rebuild
// into a scratch store, compared at the same position.
struct VerifyReport {
  GlobalPosition position;
  std::string live_digest;     // hex
  std::string rebuilt_digest;  // hex
  uint64_t entries = 0;
  std::vector<std::string> differing_keys;  // empty when the digests match (at most 100)
  bool matches() const { return live_digest == rebuilt_digest; }
};

// Where a point-in-time build stops: at a global position (inclusive) or at
// the last event recorded at or before a timestamp.
struct PointInTime {
  std::optional<GlobalPosition> position;
  std::optional<int64_t> timestamp_us;
};

class ProjectionEngine {
 public:
  // `store` must outlive the engine. `readstores_dir` is created if missing.
  static Result<std::unique_ptr<ProjectionEngine>> Open(EventStore* store,
                                                        std::filesystem::path readstores_dir,
                                                        ProjectionEngineOptions options = {});
  virtual ~ProjectionEngine() = default;

  // Registers `projection` and starts its runner. When the current read
  // model was built by another version, it keeps serving while the new
  // version rebuilds beside it. Errors: kInvalidArgument (info), kFailedPrecondition
  // (name already registered), store open errors.
  virtual Status Add(std::unique_ptr<Projection> projection) = 0;

  virtual std::vector<ProjectionStatus> Statuses() = 0;
  virtual Result<ProjectionStatus> StatusOf(std::string_view name) = 0;

  // The read store serving queries for `name`; shared so a query in flight
  // keeps the generation it started on across a switch. kNotFound if unknown.
  virtual Result<std::shared_ptr<ReadStore>> ServingStore(std::string_view name) = 0;

  // Blocks until the serving store of `name` has applied `position`, up to
  // `timeout`; returns its checkpoint then (which may be lower on timeout).
  virtual Result<GlobalPosition> WaitFor(std::string_view name, GlobalPosition position,
                                         std::chrono::milliseconds timeout) = 0;

  // Calls `*ready` once the serving store of `name` has applied `position`:
  // at once, on this thread, if it has; else from a projection thread after
  // the commit (or switch) that reaches it, so it must be quick. Holds it only
  // weakly: once the caller drops `ready` (its timeout), it is never called.
  // Lets a read-your-writes wait hold no thread. kNotFound if unknown.
  virtual Status WhenApplied(std::string_view name, GlobalPosition position,
                             std::weak_ptr<const std::function<void()>> ready) = 0;

  // Stops / restarts a projection's runner (its store keeps serving).
  virtual Status Stop(std::string_view name) = 0;
  virtual Status Start(std::string_view name) = 0;

  // Starts replaying the whole history into a fresh generation beside the
  // current one; it is switched in atomically once caught up. Also restarts
  // a failed projection from scratch, and a failed or stopped rebuild.
  // Returns at once; see StatusOf. Checking for a running rebuild and
  // starting one is atomic: of concurrent calls exactly one starts it.
  // Errors: kNotFound, kRebuildRunning (a rebuild of `name` is running).
  virtual Status Rebuild(std::string_view name) = 0;

  // Re-applies the parked events of `name`; those that apply are unparked.
  // Returns how many remain parked. Errors: kNotFound, kConflict (a new
  // version is being rebuilt and does not serve yet).
  virtual Result<uint64_t> RetryParked(std::string_view name) = 0;

  // Rebuilds `name` into a scratch store up to the serving store's checkpoint
  // and compares the two. The live runner is paused while it runs.
  // Errors: kNotFound, kConflict (as RetryParked).
  virtual Result<VerifyReport> Verify(std::string_view name) = 0;

  // Builds `name` as of `at` into a new store in `dir` (memory when empty)
  // and returns it. The serving store is not touched.
  virtual Result<std::unique_ptr<ReadStore>> BuildAt(std::string_view name, PointInTime at,
                                                     const std::filesystem::path& dir) = 0;
};

// Starts engine.Rebuild(name) and blocks until the rebuild has been switched
// in or has failed, calling `on_progress` (may be empty) every `poll`
// meanwhile. Returns the projection's status then (state kFailed: it failed).
Result<ProjectionStatus> RebuildAndWait(
    ProjectionEngine& engine, std::string_view name, std::chrono::milliseconds poll,
    const std::function<void(const RebuildProgress&)>& on_progress = {});

}  // namespace duet

#endif  // DUET_PROJECTION_ENGINE_H_
