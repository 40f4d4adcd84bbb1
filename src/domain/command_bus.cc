#include "duet/command_bus.h"

#include <algorithm>
#include <functional>
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

// Sleeps a random time in [0, attempt * base): spreads out writers that just
// collided on the same stream.
void Backoff(int attempt, std::chrono::microseconds base) {
  if (base.count() <= 0) return;
  thread_local std::minstd_rand rng(
      static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id())));
  std::uniform_int_distribution<int64_t> pick(0, attempt * base.count() - 1);
  std::this_thread::sleep_for(std::chrono::microseconds(pick(rng)));
}

// The result recorded for `command_id`, if the command was handled before.
Result<std::optional<CommandResult>> FindRecorded(EventStore* store, std::string_view command_id,
                                                  std::string_view command_type) {
  Result<std::vector<RecordedEvent>> events = store->ReadStream(
      domain::CommandStream(command_id), StreamVersion(0), 1, ReadDirection::kForward);
  if (!events.ok()) return events.status();
  if (events->empty()) return std::optional<CommandResult>();
  const RecordedEvent& event = events->front();
  Result<domain::CommandRecord> record = domain::DecodeCommandRecord(event.data);
  if (!record.ok()) return record.status();
  if (record->command_type != command_type) {
    return Status::InvalidArgument(
        "command_id", "already used by a command of type '" + record->command_type + "'");
  }
  CommandResult result = std::move(record->result);
  result.position = event.position;
  result.duplicate = true;
  return std::optional<CommandResult>(std::move(result));
}

// Appends everything `unit` recorded (plus the idempotency record) in one
// commit, then hands the new states to the repository.
Result<CommandResult> Commit(Repository* repository, UnitOfWork& unit,
                             std::string_view command_type, std::string_view command_id) {
  std::vector<UnitOfWork::Touched>& touched = unit.touched();
  CommandResult result;
  std::vector<StreamAppend> appends;
  std::vector<UnitOfWork::Touched*> written;
  GlobalPosition seen;  // newest event the handler's decision rested on
  for (UnitOfWork::Touched& t : touched) {
    seen = std::max(seen, t.loaded.position);
    if (t.pending.empty()) continue;
    const uint64_t n = t.pending.size();
    const StreamVersion next(t.loaded.version ? t.loaded.version->value + n : n - 1);
    result.streams.push_back(StreamRevision{t.stream, next});
    appends.push_back(StreamAppend{t.stream, ExpectedVersion::FromCurrent(t.loaded.version),
                                   std::move(t.pending)});
    written.push_back(&t);
  }
  if (!result.streams.empty()) {
    result.stream = result.streams.front().stream;
    result.version = result.streams.front().version;
  } else if (!touched.empty()) {
    result.stream = touched.front().stream;
    result.version = touched.front().loaded.version;
  }
  if (!command_id.empty()) {
    appends.push_back(StreamAppend{
        domain::CommandStream(command_id),
        ExpectedVersion::NoStream(),
        {EventData{EventId::Random(), std::string(domain::kCommandHandledType),
                   domain::EncodeCommandRecord(command_type, result), unit.metadata()}}});
  }
  if (appends.empty()) {
    result.position = seen;
    return result;
  }
  Result<MultiAppendResult> appended = repository->store()->AppendMulti(appends);
  if (!appended.ok()) return appended.status();
  result.position = appended->position;
  for (size_t i = 0; i < written.size(); ++i) {
    UnitOfWork::Touched& t = *written[i];
    LoadedAggregate now{t.state, appended->streams[i].next_expected_version, appended->position,
                        appends[i].events.back().id,
                        t.loaded.events_since_snapshot + appends[i].events.size()};
    repository->Committed(*t.kind, t.stream, std::move(now));
  }
  return result;
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

Result<CommandResult> CommandBus::Dispatch(std::string_view type, std::string_view json,
                                           const CommandOptions& options) {
  auto it = by_name_.find(std::string(type));
  if (it == by_name_.end()) {
    return Status::NotFound("command type", "unknown command type '" + std::string(type) + "'");
  }
  const Entry& entry = *it->second;
  Result<boost::json::object> object = ParseJsonObject(json, "body");
  if (!object.ok()) return object.status();
  if (!entry.info.fields.empty()) DUET_RETURN_IF_ERROR(CheckFields(entry.info.fields, *object));
  JsonReader fields(*object);
  Result<std::shared_ptr<const void>> command = Status::FailedPrecondition("not decoded");
  try {
    command = entry.decode(fields);
  } catch (const std::exception& e) {
    return Status::FailedPrecondition("decoder of '" + entry.info.name + "' threw: " + e.what());
  }
  if (!command.ok()) return command.status();
  DUET_RETURN_IF_ERROR(fields.Finish());
  return Run(entry, command->get(), options);
}

Status CommandBus::CheckEntry(const Entry& entry, const void* command) const {
  try {
    if (entry.check_typed) DUET_RETURN_IF_ERROR(entry.check_typed(command));
    return entry.validate(command);
  } catch (const std::exception& e) {
    return Status::FailedPrecondition("validator of '" + entry.info.name + "' threw: " + e.what());
  }
}

Result<CommandResult> CommandBus::Run(const Entry& entry, const void* command,
                                      const CommandOptions& options) {
  const bool idempotent = !options.command_id.empty();
  if (idempotent) DUET_RETURN_IF_ERROR(ValidateCommandId(options.command_id));
  if (options.correlation_id.size() > kMaxCorrelationIdBytes) {
    return Status::InvalidArgument("correlation_id", "longer than 256 bytes");
  }
  if (options.causation_id.size() > kMaxCorrelationIdBytes) {
    return Status::InvalidArgument("causation_id", "longer than 256 bytes");
  }
  try {
    DUET_RETURN_IF_ERROR(entry.validate(command));
  } catch (const std::exception& e) {
    return Status::FailedPrecondition("validator of '" + entry.info.name + "' threw: " + e.what());
  }
  const std::string command_id = idempotent ? options.command_id : EventId::Random().ToString();
  const std::string metadata =
      domain::EncodeMetadata(entry.info.name, command_id,
                             options.correlation_id.empty() ? command_id : options.correlation_id,
                             options.causation_id.empty() ? command_id : options.causation_id);

  ++dispatched_;
  Status conflict;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) Backoff(attempt, options_.retry_backoff);
    if (idempotent) {
      Result<std::optional<CommandResult>> prior =
          FindRecorded(repository_->store(), command_id, entry.info.name);
      if (!prior.ok()) return prior.status();
      if (*prior) {
        ++duplicates_;
        ++succeeded_;
        return std::move(**prior);
      }
    }
    UnitOfWork unit(repository_, command_id, metadata);
    Status handled;
    try {
      handled = entry.handle(command, unit);
    } catch (const std::exception& e) {
      return Status::FailedPrecondition("handler of '" + entry.info.name + "' threw: " + e.what());
    }
    Status stale;  // a refusal decided on a state that has since moved on
    if (handled.IsDomainRuleViolated()) {
      stale = CheckStillCurrent(repository_->store(), unit);
      if (stale.ok()) return handled;
    } else if (!handled.ok()) {
      return handled;
    }
    Result<CommandResult> result = stale.ok() ? Commit(repository_, unit, entry.info.name,
                                                       idempotent ? command_id : std::string_view())
                                              : Result<CommandResult>(stale);
    if (result.ok()) ++succeeded_;
    if (result.ok() || !result.status().IsWrongExpectedVersion()) return result;
    ++conflicts_;
    conflict = result.status();
    for (const UnitOfWork::Touched& t : unit.touched()) repository_->Invalidate(t.stream);
  }
  if (idempotent) {  // the last conflict may have been a concurrent twin of this command
    Result<std::optional<CommandResult>> prior =
        FindRecorded(repository_->store(), command_id, entry.info.name);
    if (!prior.ok()) return prior.status();
    if (*prior) {
      ++duplicates_;
      ++succeeded_;
      return std::move(**prior);
    }
  }
  ++exhausted_;
  return conflict;
}

BusStats CommandBus::Stats() const {
  return BusStats{dispatched_, succeeded_, duplicates_, conflicts_, exhausted_};
}

}  // namespace duet
