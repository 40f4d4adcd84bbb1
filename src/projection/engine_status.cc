// ProjectionEngine::StatusOf and Statuses.
#include <chrono>
#include <optional>

#include "projection/engine.h"

namespace duet::projection {

namespace {

// What StatusOf needs, copied under the engine mutex.
struct Captured {
  ProjectionStatus status;
  std::shared_ptr<ReadStore> serving;
  std::optional<RunnerSnapshot> live;
  std::optional<RunnerSnapshot> rebuild;
  std::shared_ptr<ReadStore> rebuild_store;
  GlobalPosition rebuild_target;
  std::string switch_error;
};

ProjectionState StateOf(RunnerState state) {
  switch (state) {
    case RunnerState::kCatchingUp: return ProjectionState::kCatchingUp;
    case RunnerState::kLive: return ProjectionState::kLive;
    case RunnerState::kFailed: return ProjectionState::kFailed;
    case RunnerState::kStopped: break;
  }
  return ProjectionState::kStopped;
}

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

RebuildProgress ProgressOf(const Captured& c) {
  RebuildProgress progress;
  progress.position = c.rebuild_store->checkpoint();
  progress.target = c.rebuild_target;
  progress.events_per_second = c.rebuild->events_per_second;
  if (progress.events_per_second > 0 && progress.position < progress.target) {
    progress.eta_seconds = static_cast<double>(progress.target.value - progress.position.value) /
                           progress.events_per_second;
  }
  return progress;
}

// State, failure and rebuild progress: a rebuild in progress shows as
// rebuilding (or failed, when it failed); else the live runner's state.
void FillState(const Captured& c, ProjectionStatus& s) {
  if (c.live) {
    s.state = StateOf(c.live->state);
    s.events_per_second = c.live->events_per_second;
    s.events_applied = c.live->events_applied;
    s.failed_at = c.live->failed_at;
    s.error = c.live->error;
  }
  if (s.error.empty()) s.error = c.switch_error;
  if (!c.rebuild) return;
  s.rebuild = ProgressOf(c);
  if (c.rebuild->state == RunnerState::kFailed) {
    s.state = ProjectionState::kFailed;
    s.failed_at = c.rebuild->failed_at;
    s.error = "rebuild: " + c.rebuild->error;
  } else if (c.rebuild->state != RunnerState::kStopped) {
    s.state = ProjectionState::kRebuilding;
  }
}

}  // namespace

Result<ProjectionStatus> EngineImpl::StatusOf(std::string_view name) {
  Captured c;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(name);
    if (it == entries_.end())
      return Status::NotFound(name, "no projection named " + std::string(name));
    const Entry& entry = *it->second;
    c.status.name = entry.info().name;
    c.status.version = entry.serving.name.version;
    c.status.store = entry.info().store;
    c.serving = entry.serving.store;
    c.switch_error = entry.switch_error;
    if (entry.live) c.live = entry.live->Snapshot();
    if (entry.rebuild) {
      c.rebuild = entry.rebuild->runner->Snapshot();
      c.rebuild_store = entry.rebuild->target.store;
      c.rebuild_target = entry.rebuild->target_position;
    }
  }
  // Outside the engine mutex: these read the stores.
  ProjectionStatus& s = c.status;
  FillState(c, s);
  s.checkpoint = c.serving->checkpoint();
  s.head = log_->HeadPosition();
  s.lag_events = s.head > s.checkpoint ? s.head.value - s.checkpoint.value : 0;
  if (s.lag_events > 0) {
    auto next = log_->ReadAll(s.checkpoint.Next(), 1);
    if (next.ok() && !next->empty()) {
      const int64_t age_us = NowMicros() - next->front().timestamp_us;
      s.lag_seconds = age_us > 0 ? static_cast<double>(age_us) / 1e6 : 0;
    }
  }
  auto parked = c.serving->Parked();
  if (parked.ok()) {
    s.parked = parked->size();
  } else if (s.error.empty()) {
    s.error = "reading the parked events: " + parked.status().ToString();
  }
  return s;
}

std::vector<ProjectionStatus> EngineImpl::Statuses() {
  std::vector<std::string> names;
  {
    std::lock_guard lock(mu_);
    for (const auto& [name, entry] : entries_) names.push_back(name);
  }
  std::vector<ProjectionStatus> statuses;
  for (const std::string& name : names) {
    auto status = StatusOf(name);
    if (status.ok()) statuses.push_back(std::move(status).value());
  }
  return statuses;
}

}  // namespace duet::projection
