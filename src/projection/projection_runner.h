// ProjectionRunner: feeds one read store from the log through one projection.
//
// A duet::Subscription from the store's checkpoint delivers batches (catch-up,
// then live); each batch becomes one read-store transaction committed with
// the batch's last position (Applier::ApplyBatch). The runner only pulls, so
// it never slows appends, and it holds at most one batch in memory.
//
// A batch whose commit fails with storage_full (the read store's disk is
// full) is retried with a growing pause (up to a second) until it
// commits or the runner stops: a full disk passes, so the projection must
// not stay failed. The error shows in Snapshot().error meanwhile, with the
// state unchanged. Any other failure makes the runner kFailed.
#ifndef DUET_PROJECTION_PROJECTION_RUNNER_H_
#define DUET_PROJECTION_PROJECTION_RUNNER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>

#include "duet/event_store.h"
#include "duet/read_store.h"
#include "duet/types.h"
#include "projection/apply.h"
#include "projection/rate_meter.h"
#include "util/thread_annotations.h"

namespace duet::projection {

enum class RunnerState : uint8_t { kStopped, kCatchingUp, kLive, kFailed };

struct RunnerSnapshot {
  RunnerState state = RunnerState::kStopped;
  std::optional<GlobalPosition> failed_at;
  std::string error;
  double events_per_second = 0;  // events committed (handled or not)
  uint64_t events_applied = 0;   // events committed since this runner was made
};

// Called from the runner's subscription thread. They must not block on
// anything a thread calling Stop() of this runner may hold (Stop waits for
// the subscription thread).
struct RunnerHooks {
  std::function<void(GlobalPosition)> on_commit;     // after every commit
  std::function<void(GlobalPosition)> on_caught_up;  // once per Start, at the head
};

// Thread-safe. Start and Stop are meant for one controlling thread at a time
// (the engine serializes them per projection); Snapshot from anywhere.
class ProjectionRunner {
 public:
  // `live_linger`: SubscriptionOptions::live_linger of its subscription.
  ProjectionRunner(EventStore* log, std::shared_ptr<const Applier> applier,
                   std::shared_ptr<ReadStore> store, size_t batch_size, RunnerHooks hooks,
                   std::chrono::milliseconds live_linger = std::chrono::milliseconds(0));
  ~ProjectionRunner();
  ProjectionRunner(const ProjectionRunner&) = delete;
  ProjectionRunner& operator=(const ProjectionRunner&) = delete;

  // Subscribes from the store's checkpoint. No-op while running; restarts a
  // failed runner (the failing event is tried again).
  void Start() EXCLUDES(control_mu_, mu_);
  // Stops after the batch in flight and waits for it. A failed runner stays
  // failed (with its position and error).
  void Stop() EXCLUDES(control_mu_, mu_);

  RunnerSnapshot Snapshot() EXCLUDES(mu_);
  const std::shared_ptr<ReadStore>& store() const { return store_; }

 private:
  class FailureWatch;

  Status Handle(std::span<const RecordedEvent> batch) EXCLUDES(mu_);
  Result<BatchResult> Apply(std::span<const RecordedEvent> batch);
  // Waits `backoff` before retrying a batch the read store had no space
  // for, showing `error` meanwhile; false when the runner is stopping.
  bool WaitToRetry(std::chrono::milliseconds backoff, std::string error) EXCLUDES(mu_);
  void CaughtUp(GlobalPosition position) EXCLUDES(mu_);
  void Fail(std::optional<GlobalPosition> at, std::string error) EXCLUDES(mu_);

  EventStore* const log_;
  const std::shared_ptr<const Applier> applier_;
  const std::shared_ptr<ReadStore> store_;
  const size_t batch_size_;
  const std::chrono::milliseconds live_linger_;
  const RunnerHooks hooks_;
  std::unique_ptr<FailureWatch> watch_;  // the log as the subscription sees it
  RateMeter rate_;
  std::atomic<uint64_t> events_applied_{0};

  std::mutex control_mu_;  // held across Start/Stop, never by the subscription thread
  std::unique_ptr<Subscription> subscription_ GUARDED_BY(control_mu_);

  std::mutex mu_;
  RunnerState state_ GUARDED_BY(mu_) = RunnerState::kStopped;
  std::optional<GlobalPosition> failed_at_ GUARDED_BY(mu_);
  std::string error_ GUARDED_BY(mu_);
  // Set by Stop, cleared by Start: ends a storage-full retry wait.
  bool stopping_ GUARDED_BY(mu_) = false;
  std::condition_variable retry_cv_;
};

}  // namespace duet::projection

#endif  // DUET_PROJECTION_PROJECTION_RUNNER_H_
