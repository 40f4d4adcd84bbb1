#include "duet/command_bus.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <thread>

#include "domain/command_record.h"

namespace duet {
namespace {

constexpr size_t kMaxCorrelationIdBytes = 256;

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':';
}

// A random time in [0, attempt * base): spreads out writers that just
// collided on the same stream.
std::chrono::microseconds Backoff(int attempt, std::chrono::microseconds base) {
  if (base.count() <= 0) return std::chrono::microseconds(0);
  thread_local std::minstd_rand rng(
      static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  std::uniform_int_distribution<int64_t> pick(0, attempt * base.count() - 1);
  return std::chrono::microseconds(pick(rng));
}

// The result recorded for `command_id`, if the same request was handled
// before; kIdempotencyKeyReused if the id was used for another one. A record
// without a digest (older versions, or a typed command with no to_json)
// matches on the command type alone, as does a request without one.
Result<std::optional<CommandResult>> FindRecorded(EventStore* store, std::string_view command_id,
                                                  std::string_view command_type,
                                                  std::string_view request_digest) {
  Result<std::vector<RecordedEvent>> events = store->ReadStream(
      domain::CommandStream(command_id), StreamVersion(0), 1, ReadDirection::kForward);
  if (!events.ok()) return events.status();
  if (events->empty()) return std::optional<CommandResult>();
  const RecordedEvent& event = events->front();
  Result<domain::CommandRecord> record = domain::DecodeCommandRecord(event.data);
  if (!record.ok()) return record.status();
  if (record->command_type != command_type) {
    return Status::IdempotencyKeyReused("already used by a command of type '" +
                                        record->command_type + "'");
  }
  if (!record->request_digest.empty() && !request_digest.empty() &&
      record->request_digest != request_digest) {
    return Status::IdempotencyKeyReused("already used by a " + record->command_type +
                                        " command with another body");
  }
  CommandResult result = std::move(record->result);
  result.position = event.position;
  result.duplicate = true;
  return std::optional<CommandResult>(std::move(result));
}

// Everything `unit` recorded (plus the idempotency record), to be appended in
// one commit.
struct CommitPlan {
  CommandResult result;
  std::vector<StreamAppend> appends;
  std::vector<UnitOfWork::Touched*> written;  // the unit's streams, in the order of `appends`
};

CommitPlan PlanCommit(UnitOfWork& unit, std::string_view command_type, std::string_view command_id,
                      std::string_view request_digest) {
  std::vector<UnitOfWork::Touched>& touched = unit.touched();
  CommitPlan plan;
  CommandResult& result = plan.result;
  GlobalPosition seen;  // newest event the handler's decision rested on
  for (UnitOfWork::Touched& t : touched) {
    seen = std::max(seen, t.loaded.position);
    if (t.pending.empty()) continue;
    const uint64_t n = t.pending.size();
    const StreamVersion next(t.loaded.version ? t.loaded.version->value + n : n - 1);
    result.streams.push_back(StreamRevision{t.stream, next});
    plan.appends.push_back(StreamAppend{t.stream, ExpectedVersion::FromCurrent(t.loaded.version),
                                        std::move(t.pending)});
    plan.written.push_back(&t);
  }
  if (!result.streams.empty()) {
    result.stream = result.streams.front().stream;
    result.version = result.streams.front().version;
  } else if (!touched.empty()) {
    result.stream = touched.front().stream;
    result.version = touched.front().loaded.version;
  }
  if (!command_id.empty()) {
    plan.appends.push_back(
        StreamAppend{domain::CommandStream(command_id),
                     ExpectedVersion::NoStream(),
                     {EventData{EventId::Random(), std::string(domain::kCommandHandledType),
                                domain::EncodeCommandRecord(command_type, request_digest, result),
                                unit.metadata()}}});
  }
  if (plan.appends.empty()) result.position = seen;
  return plan;
}

// The plan was appended: hands the new states to the repository.
CommandResult FinishCommit(Repository* repository, CommitPlan& plan,
                           const MultiAppendResult& appended) {
  plan.result.position = appended.position;
  for (size_t i = 0; i < plan.written.size(); ++i) {
    UnitOfWork::Touched& t = *plan.written[i];
    LoadedAggregate now{t.state, appended.streams[i].next_expected_version, appended.position,
                        plan.appends[i].events.back().id,
                        t.loaded.events_since_snapshot + plan.appends[i].events.size()};
    repository->Committed(*t.kind, t.stream, std::move(now));
  }
  return std::move(plan.result);
}

// OK if every stream `unit` loaded is still at the version it was loaded at,
// so that a refusal decided on those states answers about the current state;
// else the conflict of the first stream that moved on. A cached state may lag
// the store (another writer, or an eviction racing a slower load), and a
// refusal, unlike an append, has no expected version to catch that.
Status CheckStillCurrent(EventStore* store, UnitOfWork& unit) {
  for (const UnitOfWork::Touched& t : unit.touched()) {
    const std::optional<StreamVersion> head = store->StreamHead(t.stream);
    if (head != t.loaded.version) {
      return Status::WrongExpectedVersion(
          t.stream, ExpectedVersion::FromCurrent(t.loaded.version).ToString(),
          head ? std::optional<uint64_t>(head->value) : std::nullopt);
    }
  }
  return Status::OK();
}

// Calls `start` with a Deferrer and a callback, and waits until the callback
// has been called, running what is deferred meanwhile on this thread.
Result<CommandResult> WaitFor(const std::function<void(Deferrer, CommandCallback)>& start) {
  struct Outcome {
    std::mutex mu;
    std::condition_variable changed;
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::function<void()>>> tasks;
    std::optional<Result<CommandResult>> result;
  };
  auto outcome = std::make_shared<Outcome>();  // deferred tasks may outlive the wait
  // Notified after unlocking: a waiter woken under the lock would only block
  // again on it.
  auto defer = [outcome](std::chrono::microseconds delay, std::function<void()> fn) {
    {
      std::lock_guard lock(outcome->mu);
      outcome->tasks.emplace_back(std::chrono::steady_clock::now() + delay, std::move(fn));
    }
    outcome->changed.notify_one();
  };
  start(defer, [outcome](Result<CommandResult> result) {
    {
      std::lock_guard lock(outcome->mu);
      outcome->result.emplace(std::move(result));
    }
    outcome->changed.notify_one();
  });
  std::unique_lock lock(outcome->mu);
  for (;;) {
    outcome->changed.wait(lock, [&] { return outcome->result || !outcome->tasks.empty(); });
    if (outcome->result) return std::move(*outcome->result);
    auto [when, task] = std::move(outcome->tasks.front());
    outcome->tasks.pop_front();
    lock.unlock();
    std::this_thread::sleep_until(when);
    task();
    lock.lock();
  }
}

}  // namespace

CommandBus::CommandBus(Repository* repository, BusOptions options)
    : repository_(repository), options_(options) {
  options_.max_attempts = std::max(options_.max_attempts, 1);
}

CommandBus::~CommandBus() = default;

Status CommandBus::ValidateCommandId(std::string_view id) {
  if (id.empty()) return Status::InvalidArgument("command_id", "must not be empty");
  if (id.size() > 128) return Status::InvalidArgument("command_id", "longer than 128 characters");
  if (!std::all_of(id.begin(), id.end(), IsIdChar)) {
    return Status::InvalidArgument("command_id", "may contain only [A-Za-z0-9-_.:]");
  }
  return Status::OK();
}

Status CommandBus::Add(std::type_index type, Entry entry) {
  if (entry.info.name.empty() || entry.info.name.size() > 128 ||
      !std::all_of(entry.info.name.begin(), entry.info.name.end(), IsIdChar)) {
    return Status::InvalidArgument("command type",
                                   "'" + entry.info.name + "' is not 1..128 of [A-Za-z0-9-_.:]");
  }
  DUET_RETURN_IF_ERROR(ValidateFields(entry.info.fields));
  if (by_name_.count(entry.info.name) != 0 || by_type_.count(type) != 0) {
    return Status::FailedPrecondition("command type '" + entry.info.name + "' registered twice");
  }
  entries_.push_back(std::make_unique<Entry>(std::move(entry)));
  by_name_[entries_.back()->info.name] = entries_.back().get();
  by_type_[type] = entries_.back().get();
  return Status::OK();
}

const CommandBus::Entry* CommandBus::FindByType(std::type_index type) const {
  auto it = by_type_.find(type);
  return it == by_type_.end() ? nullptr : it->second;
}

std::vector<std::string> CommandBus::CommandTypes() const {
  std::vector<std::string> names;
  for (const auto& entry : entries_) names.push_back(entry->info.name);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<CommandInfo> CommandBus::Commands() const {
  std::vector<CommandInfo> commands;
  for (const auto& entry : entries_) commands.push_back(entry->info);
  std::sort(commands.begin(), commands.end(),
            [](const CommandInfo& a, const CommandInfo& b) { return a.name < b.name; });
  return commands;
}

struct CommandBus::Pending {
  const Entry* entry = nullptr;
  std::shared_ptr<const void> command;
  bool idempotent = false;
  std::string command_id;
  std::string request_digest;  // empty: none (not idempotent, or no JSON form)
  std::string metadata;
  CommandCallback done;
  Deferrer defer;
  int attempt = 0;  // handler runs so far
  Status conflict;  // the last one
};

Result<CommandResult> CommandBus::Dispatch(std::string_view type, std::string_view json,
                                           const CommandOptions& options) {
  return WaitFor([&](Deferrer defer, CommandCallback done) {
    DispatchAsync(type, json, options, std::move(defer), std::move(done));
  });
}

void CommandBus::DispatchAsync(std::string_view type, std::string_view json,
                               const CommandOptions& options, Deferrer defer,
                               CommandCallback done) {
  auto it = by_name_.find(std::string(type));
  if (it == by_name_.end()) {
    return done(
        Status::NotFound("command type", "unknown command type '" + std::string(type) + "'"));
  }
  const Entry& entry = *it->second;
  Result<boost::json::object> object = ParseJsonObject(json, "body");
  if (!object.ok()) return done(object.status());
  if (!entry.info.fields.empty()) {
    if (Status checked = CheckFields(entry.info.fields, *object); !checked.ok()) {
      return done(std::move(checked));
    }
  }
  JsonReader fields(*object);
  Result<std::shared_ptr<const void>> command = Status::FailedPrecondition("not decoded");
  try {
    command = entry.decode(fields);
  } catch (const std::exception& e) {
    return done(
        Status::FailedPrecondition("decoder of '" + entry.info.name + "' threw: " + e.what()));
  }
  if (!command.ok()) return done(command.status());
  if (Status finished = fields.Finish(); !finished.ok()) return done(std::move(finished));
  std::string digest =
      options.command_id.empty() ? std::string() : domain::RequestDigest(entry.info.name, *object);
  Start(entry, std::move(command).value(), options, std::move(digest), std::move(defer),
        std::move(done));
}

Status CommandBus::CheckEntry(const Entry& entry, const void* command) const {
  try {
    if (entry.check_typed) DUET_RETURN_IF_ERROR(entry.check_typed(command));
    return entry.validate(command);
  } catch (const std::exception& e) {
    return Status::FailedPrecondition("validator of '" + entry.info.name + "' threw: " + e.what());
  }
}

Result<CommandResult> CommandBus::Run(const Entry& entry, std::shared_ptr<const void> command,
                                      const CommandOptions& options) {
  std::string digest;
  if (!options.command_id.empty() && entry.to_json) {
    digest = domain::RequestDigest(entry.info.name, entry.to_json(command.get()));
  }
  return WaitFor([&](Deferrer defer, CommandCallback done) {
    Start(entry, std::move(command), options, std::move(digest), std::move(defer), std::move(done));
  });
}

void CommandBus::Start(const Entry& entry, std::shared_ptr<const void> command,
                       const CommandOptions& options, std::string request_digest, Deferrer defer,
                       CommandCallback done) {
  const bool idempotent = !options.command_id.empty();
  if (idempotent) {
    if (Status valid = ValidateCommandId(options.command_id); !valid.ok()) return done(valid);
  }
  if (options.correlation_id.size() > kMaxCorrelationIdBytes) {
    return done(Status::InvalidArgument("correlation_id", "longer than 256 bytes"));
  }
  if (options.causation_id.size() > kMaxCorrelationIdBytes) {
    return done(Status::InvalidArgument("causation_id", "longer than 256 bytes"));
  }
  Status valid;
  try {
    valid = entry.validate(command.get());
  } catch (const std::exception& e) {
    valid = Status::FailedPrecondition("validator of '" + entry.info.name + "' threw: " + e.what());
  }
  if (!valid.ok()) return done(std::move(valid));
  std::string command_id = idempotent ? options.command_id : EventId::Random().ToString();
  std::string metadata =
      domain::EncodeMetadata(entry.info.name, command_id,
                             options.correlation_id.empty() ? command_id : options.correlation_id,
                             options.causation_id.empty() ? command_id : options.causation_id);
  ++dispatched_;
  auto pending = std::make_shared<Pending>();
  pending->entry = &entry;
  pending->command = std::move(command);
  pending->idempotent = idempotent;
  pending->command_id = std::move(command_id);
  pending->request_digest = std::move(request_digest);
  pending->metadata = std::move(metadata);
  pending->defer = std::move(defer);
  pending->done = std::move(done);
  Attempt(std::move(pending));
}

void CommandBus::Attempt(std::shared_ptr<Pending> p) {
  const Entry& entry = *p->entry;
  ++p->attempt;
  if (p->idempotent) {
    Result<std::optional<CommandResult>> prior =
        FindRecorded(repository_->store(), p->command_id, entry.info.name, p->request_digest);
    if (!prior.ok()) return p->done(prior.status());
    if (*prior) {
      ++duplicates_;
      ++succeeded_;
      return p->done(std::move(**prior));
    }
  }
  auto unit = std::make_shared<UnitOfWork>(repository_, p->command_id, p->metadata);
  Status handled;
  try {
    handled = entry.handle(p->command.get(), *unit);
  } catch (const std::exception& e) {
    return p->done(
        Status::FailedPrecondition("handler of '" + entry.info.name + "' threw: " + e.what()));
  }
  if (handled.IsDomainRuleViolated()) {
    // A refusal decided on a state that has since moved on is a conflict.
    Status stale = CheckStillCurrent(repository_->store(), *unit);
    if (stale.ok()) return p->done(std::move(handled));
    for (const UnitOfWork::Touched& t : unit->touched()) repository_->Invalidate(t.stream);
    return Retry(std::move(p), std::move(stale));
  }
  if (!handled.ok()) return p->done(std::move(handled));
  auto plan = std::make_shared<CommitPlan>(
      PlanCommit(*unit, entry.info.name, p->idempotent ? std::string_view(p->command_id) : "",
                 p->request_digest));
  if (plan->appends.empty()) {
    ++succeeded_;
    return p->done(std::move(plan->result));
  }
  repository_->store()->AppendMultiAsync(
      plan->appends, [this, p, unit, plan](Result<MultiAppendResult> appended) mutable {
        if (appended.ok()) {
          ++succeeded_;
          return p->done(FinishCommit(repository_, *plan, *appended));
        }
        if (!appended.status().IsWrongExpectedVersion()) return p->done(appended.status());
        for (const UnitOfWork::Touched& t : unit->touched()) repository_->Invalidate(t.stream);
        Retry(std::move(p), appended.status());
      });
}

// May run on the store's commit thread: the next attempt goes through defer.
void CommandBus::Retry(std::shared_ptr<Pending> p, Status conflict) {
  ++conflicts_;
  p->conflict = std::move(conflict);
  const bool last = p->attempt >= options_.max_attempts;
  const std::chrono::microseconds backoff =
      last ? std::chrono::microseconds(0) : Backoff(p->attempt, options_.retry_backoff);
  Deferrer defer = p->defer;  // a copy: the task may end `p` before defer returns
  defer(backoff, [this, last, p = std::move(p)]() mutable {
    if (last) return p->done(Exhausted(*p));
    Attempt(std::move(p));
  });
}

Result<CommandResult> CommandBus::Exhausted(const Pending& p) {
  if (p.idempotent) {  // the last conflict may have been a concurrent twin of this command
    Result<std::optional<CommandResult>> prior =
        FindRecorded(repository_->store(), p.command_id, p.entry->info.name, p.request_digest);
    if (!prior.ok()) return prior.status();
    if (*prior) {
      ++duplicates_;
      ++succeeded_;
      return std::move(**prior);
    }
  }
  ++exhausted_;
  return p.conflict;
}

BusStats CommandBus::Stats() const {
  return BusStats{dispatched_, succeeded_, duplicates_, conflicts_, exhausted_};
}

}  // namespace duet
