#include "projection/projection_runner.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <utility>
#include <vector>

namespace duet::projection {

// The log as the runner's subscription reads it: forwards everything and
// reports a failed read, which would otherwise end the subscription without
// the runner knowing why.
class ProjectionRunner::FailureWatch final : public EventStore {
 public:
  FailureWatch(EventStore* log, ProjectionRunner* runner) : log_(log), runner_(runner) {}

  Result<MultiAppendResult> AppendMulti(std::span<const StreamAppend> appends) override {
    return log_->AppendMulti(appends);
  }
  Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                size_t max_count,
                                                ReadDirection direction) override {
    return log_->ReadStream(stream, from, max_count, direction);
  }
  Result<std::vector<RecordedEvent>> ReadAll(GlobalPosition from, size_t max_count) override {
    auto events = log_->ReadAll(from, max_count);
    if (!events.ok()) runner_->Fail(from, "reading the log: " + events.status().ToString());
    return events;
  }
  std::optional<StreamVersion> StreamHead(std::string_view stream) override {
    return log_->StreamHead(stream);
  }
  GlobalPosition HeadPosition() override { return log_->HeadPosition(); }
  GlobalPosition WaitForHead(GlobalPosition position, std::chrono::milliseconds timeout) override {
    return log_->WaitForHead(position, timeout);
  }

 private:
  EventStore* const log_;
  ProjectionRunner* const runner_;
};

ProjectionRunner::ProjectionRunner(EventStore* log, std::shared_ptr<const Applier> applier,
                                   std::shared_ptr<ReadStore> store, size_t batch_size,
                                   RunnerHooks hooks, std::chrono::milliseconds live_linger)
    : log_(log),
      applier_(std::move(applier)),
      store_(std::move(store)),
      batch_size_(batch_size == 0 ? 1 : batch_size),
      live_linger_(live_linger),
      hooks_(std::move(hooks)),
      watch_(std::make_unique<FailureWatch>(log_, this)) {}

ProjectionRunner::~ProjectionRunner() { Stop(); }

void ProjectionRunner::Start() {
  std::lock_guard control(control_mu_);
  {
    std::lock_guard lock(mu_);
    const bool running = state_ == RunnerState::kCatchingUp || state_ == RunnerState::kLive;
    if (running && subscription_) return;
    state_ = RunnerState::kCatchingUp;
    failed_at_.reset();
    error_.clear();
    stopping_ = false;
  }
  subscription_.reset();  // a failed one's thread has ended: this only joins it
  rate_.Reset();
  SubscriptionOptions options;
  options.batch_size = batch_size_;
  options.live_linger = live_linger_;
  options.on_caught_up = [this](GlobalPosition position) { CaughtUp(position); };
  subscription_ = watch_->SubscribeToAll(
      store_->checkpoint(), [this](std::span<const RecordedEvent> batch) { return Handle(batch); },
      std::move(options));
}

void ProjectionRunner::Stop() {
  std::lock_guard control(control_mu_);
  if (!subscription_) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  retry_cv_.notify_all();
  subscription_->Stop();
  subscription_.reset();  // waits for the batch in flight
  std::lock_guard lock(mu_);
  if (state_ != RunnerState::kFailed) state_ = RunnerState::kStopped;
}

RunnerSnapshot ProjectionRunner::Snapshot() {
  RunnerSnapshot snapshot;
  {
    std::lock_guard lock(mu_);
    snapshot.state = state_;
    snapshot.failed_at = failed_at_;
    snapshot.error = error_;
  }
  snapshot.events_per_second = rate_.PerSecond();
  snapshot.events_applied = events_applied_.load(std::memory_order_relaxed);
  return snapshot;
}

namespace {
constexpr std::chrono::milliseconds kFirstRetryPause{10};
constexpr std::chrono::milliseconds kMaxRetryPause{1000};
}  // namespace

Result<BatchResult> ProjectionRunner::Apply(std::span<const RecordedEvent> batch) {
  try {
    return applier_->ApplyBatch(*store_, batch);
  } catch (const std::exception& e) {  // e.g. bad_alloc: the batch is not committed
    return Status::FailedPrecondition(std::string("applying a batch threw: ") + e.what());
  }
}

bool ProjectionRunner::WaitToRetry(std::chrono::milliseconds backoff, std::string error) {
  std::unique_lock lock(mu_);
  error_ = std::move(error);
  return !retry_cv_.wait_for(lock, backoff, [this] { return stopping_; });
}

Status ProjectionRunner::Handle(std::span<const RecordedEvent> batch) {
  Result<BatchResult> result = Apply(batch);
  for (auto pause = kFirstRetryPause;
       !result.ok() && result.status().code() == StatusCode::kStorageFull;
       pause = std::min(pause * 2, kMaxRetryPause)) {
    if (!WaitToRetry(pause, "waiting for space: " + result.status().ToString())) {
      return result.status();  // stopping
    }
    result = Apply(batch);
    if (result.ok()) {
      std::lock_guard lock(mu_);
      error_.clear();
    }
  }
  if (!result.ok()) {
    Fail(batch.front().position, result.status().ToString());
    return result.status();
  }
  if (result->events > 0) {
    rate_.Add(result->events);
    events_applied_.fetch_add(result->events, std::memory_order_relaxed);
    if (hooks_.on_commit) hooks_.on_commit(result->committed);
  }
  if (result->failure) {
    Fail(result->failure->position, result->failure->error);
    return Status::FailedPrecondition("projection " + applier_->projection().info().name +
                                      " stopped at position " +
                                      std::to_string(result->failure->position.value));
  }
  return Status::OK();
}

void ProjectionRunner::CaughtUp(GlobalPosition position) {
  {
    std::lock_guard lock(mu_);
    if (state_ != RunnerState::kCatchingUp) return;
    state_ = RunnerState::kLive;
  }
  if (hooks_.on_caught_up) hooks_.on_caught_up(position);
}

void ProjectionRunner::Fail(std::optional<GlobalPosition> at, std::string error) {
  std::lock_guard lock(mu_);
  state_ = RunnerState::kFailed;
  failed_at_ = at;
  error_ = std::move(error);
}

}  // namespace duet::projection
