// CommandBus: dispatches commands by type to their handlers, commits what the
// handler decided atomically, retries conflicts, and makes commands with a
// client-supplied id idempotent.
//
// Commands arrive as typed C++ values (Dispatch(cmd)) or as a command type
// name and JSON text (Dispatch("Deposit", json)); every registered command
// type has a strict JSON decoder (unknown fields rejected) and a validator
// that runs on both paths before anything is loaded.
//
// One dispatch:
//   validate -> [idempotency check] -> handler(cmd, unit of work)
//            -> ONE AppendMulti of every stream's events (expected versions
//               as loaded) [+ the $command-<id> record] -> CommandResult
// On kWrongExpectedVersion the touched streams are evicted from the cache and
// the handler runs again on fresh state, up to max_attempts in all; then the
// conflict is returned.
//
// A refusal is an answer about the current state: when the handler returns
// DomainRuleViolated, every stream it loaded is checked against the store's
// head (StreamHead). If one moved on since it was loaded (the repository's
// cache lagged), the refusal rested on a stale state and is handled like a
// conflict: evict, run the handler again; out of attempts, the conflict
// (kWrongExpectedVersion naming that stream) is returned, never the refusal.
//
// Idempotency: with CommandOptions::command_id, the commit also appends one
// "$CommandHandled" event to stream "$command-<command id>" with
// ExpectedVersion::NoStream, recording the result. A second dispatch with the
// same id finds (or conflicts on) that stream and returns the recorded result
// (duplicate = true) without appending anything: durable and crash-safe with
// no other storage. The record also holds a digest of the request (the
// command type and its JSON body, canonical: key order and whitespace do not
// matter); an id reused for a command of another type or with another body
// is refused with kIdempotencyKeyReused and nothing is appended (as Stripe's
// and the IETF Idempotency-Key draft's servers refuse it). A typed Dispatch
// is digested through CommandType::to_json; a type without it records no
// digest, and neither do records of earlier versions: those match any body
// of their type.
//
// Every event appended carries metadata JSON:
//   {"command_type", "command_id", "correlation_id", "causation_id"}.
//
// Errors: InvalidArgument(field, reason) for bad input, NotFound for an
// unknown command type, kIdempotencyKeyReused (see above), DomainRuleViolated(rule, message),
// kWrongExpectedVersion after the retries, and the store's errors (kIOError, kStorageFull, ...)
// passed through unchanged. FailedPrecondition if a handler throws.
//
// Lifetime: the repository must outlive the bus. Register() all handlers
// before the first Dispatch(); Dispatch() is then thread-safe.
#ifndef DUET_COMMAND_BUS_H_
#define DUET_COMMAND_BUS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>
#include <unordered_map>
#include <vector>

#include "duet/contract.h"
#include "duet/deferrer.h"
#include "duet/json_reader.h"
#include "duet/repository.h"
#include "duet/result.h"
#include "duet/types.h"
#include "duet/unit_of_work.h"

namespace duet {

struct CommandOptions {
  // Client-supplied idempotency key: 1..128 of [A-Za-z0-9-_.:]. Empty: the
  // command is not idempotent (an id is generated for the metadata).
  std::string command_id{};
  std::string correlation_id{};  // empty: the command id
  std::string causation_id{};    // empty: the command id
};

struct StreamRevision {
  std::string stream;
  StreamVersion version;  // the stream's last version after the command
  friend bool operator==(const StreamRevision&, const StreamRevision&) = default;
};

// The acknowledgement of a successful command.
struct CommandResult {
  std::string stream;                    // the primary stream
  std::optional<StreamVersion> version;  // its version now (nullopt: no events)
  GlobalPosition position;               // the commit's last event
  std::vector<StreamRevision> streams;   // every stream appended to
  bool duplicate = false;                // the recorded result of an earlier dispatch with this id
};

// What a command type declares besides its handler: its name, its contract
// (contract.h) and how it is read from JSON. The contract is the one
// declaration of the body: the bus checks a JSON body against it before
// `decode` runs, a server documents it in its OpenAPI document, the CLI
// prints it. `validate` is for rules the contract cannot state (one field
// against another) and runs on both the JSON and the typed path.
template <typename Cmd>
struct CommandType {
  std::string_view name;                      // e.g. "Deposit"
  Result<Cmd> (*decode)(JsonReader& fields);  // JSON object -> command (shape only)
  Status (*validate)(const Cmd&) = nullptr;   // cross-field rules; InvalidArgument(field, reason)
  // The body's fields. Empty: undeclared, the body is whatever `decode`
  // accepts and the API docs show a free-form object.
  std::vector<FieldSpec> fields{};
  std::string description{};  // one line, for the API docs and --help
  std::string example{};      // a valid body as JSON text, for the docs and tests
  // The command as its JSON body. With declared fields, a typed Dispatch is
  // checked against the contract through it, so a C++ caller is refused
  // exactly like an HTTP client; absent, a typed command meets `validate`
  // only.
  boost::json::object (*to_json)(const Cmd&) = nullptr;
};

// A registered command type's contract, for documentation and help.
struct CommandInfo {
  std::string name;
  std::string description;
  std::vector<FieldSpec> fields;  // empty: undeclared
  std::string example;            // JSON text; may be empty
};

template <typename Cmd>
using CommandHandler = std::function<Status(const Cmd&, UnitOfWork&)>;

// The handler of a single-aggregate command: the aggregate's id is the
// command's `id_field` member; the decider decides.
template <typename D, typename Cmd>
CommandHandler<Cmd> DecideOn(const D& decider, std::string Cmd::*id_field) {
  return [&decider, id_field](const Cmd& command, UnitOfWork& unit) {
    return unit.Decide(decider, command.*id_field, typename D::Command(command));
  };
}

struct BusStats {
  uint64_t dispatched = 0;         // Dispatch calls that reached the handler stage
  uint64_t succeeded = 0;          // acknowledged, duplicates included
  uint64_t duplicates = 0;         // answered from a $command-<id> record
  uint64_t conflicts = 0;          // appends that failed kWrongExpectedVersion
  uint64_t retries_exhausted = 0;  // dispatches that returned the conflict
};

// Told once what a DispatchAsync came to: what Dispatch would return.
using CommandCallback = std::function<void(Result<CommandResult>)>;

struct BusOptions {
  int max_attempts = 5;  // handler runs per dispatch when appends conflict (>= 1)
  // Retry n waits a random time in [0, n * retry_backoff) (a Deferrer's
  // delay; Dispatch sleeps it).
  std::chrono::microseconds retry_backoff{200};
};

class CommandBus {
 public:
  // `repository` must outlive the bus.
  explicit CommandBus(Repository* repository, BusOptions options = {});
  ~CommandBus();
  CommandBus(const CommandBus&) = delete;
  CommandBus& operator=(const CommandBus&) = delete;

  // Registers the handler of command type `type`.
  // Errors: FailedPrecondition if the name or C++ type is already registered;
  // InvalidArgument for an empty name or an ill-declared contract
  // (ValidateFields). REQUIRES: no Dispatch() running.
  template <typename Cmd>
  Status Register(CommandType<Cmd> type, CommandHandler<Cmd> handler) {
    Entry entry;
    entry.decode = [decode =
                        type.decode](JsonReader& fields) -> Result<std::shared_ptr<const void>> {
      Result<Cmd> command = decode(fields);
      if (!fields.status().ok()) return fields.status();
      if (!command.ok()) return command.status();
      return std::shared_ptr<const void>(std::make_shared<const Cmd>(std::move(command).value()));
    };
    entry.validate = [validate = type.validate](const void* command) {
      return validate ? validate(*static_cast<const Cmd*>(command)) : Status::OK();
    };
    if (type.to_json != nullptr) {
      entry.to_json = [to_json = type.to_json](const void* command) {
        return to_json(*static_cast<const Cmd*>(command));
      };
    }
    if (type.to_json != nullptr && !type.fields.empty()) {
      entry.check_typed = [fields = type.fields, to_json = type.to_json](const void* command) {
        return CheckFields(fields, to_json(*static_cast<const Cmd*>(command)));
      };
    }
    entry.handle = [handler = std::move(handler)](const void* command, UnitOfWork& unit) {
      return handler(*static_cast<const Cmd*>(command), unit);
    };
    entry.info = CommandInfo{std::string(type.name), std::move(type.description),
                             std::move(type.fields), std::move(type.example)};
    return Add(typeid(Cmd), std::move(entry));
  }

  // Dispatches a typed command. NotFound if its type is not registered;
  // the errors of Check; then as Dispatch(type, json).
  template <typename Cmd>
  Result<CommandResult> Dispatch(const Cmd& command, const CommandOptions& options = {}) {
    const Entry* entry = FindByType(typeid(Cmd));
    if (entry == nullptr) return Status::NotFound("command type", typeid(Cmd).name());
    if (entry->check_typed) DUET_RETURN_IF_ERROR(entry->check_typed(&command));
    // Not owned: Run returns only once the dispatch is over.
    return Run(*entry, std::shared_ptr<const void>(std::shared_ptr<void>(), &command), options);
  }

  // The checks a typed Dispatch runs before loading anything: the contract
  // (through CommandType::to_json) and `validate`. OK, or InvalidArgument
  // naming the field; NotFound if the type is not registered. Thread-safe.
  template <typename Cmd>
  Status Check(const Cmd& command) const {
    const Entry* entry = FindByType(typeid(Cmd));
    if (entry == nullptr) return Status::NotFound("command type", typeid(Cmd).name());
    return CheckEntry(*entry, &command);
  }

  // Dispatches command `type` given as JSON object text.
  // Errors: NotFound("command type") for an unregistered name;
  // InvalidArgument("body") for text that is not a JSON object, or naming the
  // field that is missing, of the wrong type, unknown or invalid.
  Result<CommandResult> Dispatch(std::string_view type, std::string_view json,
                                 const CommandOptions& options = {});

  // Dispatch(type, json) without a thread waiting for the append: `done` is
  // called exactly once with what Dispatch would return. An answer known
  // without appending (bad input, a refusal, a duplicate, nothing to append)
  // is told on this thread before the call returns; an appended command is
  // told from the store's commit thread once durable or failed
  // (EventStore::AppendMultiAsync), so `done` must be quick and must not
  // dispatch or wait itself: hand the rest to another thread. Loading and
  // deciding run on this thread, and after a conflict on `defer`'s, after
  // the backoff (never on the store's).
  void DispatchAsync(std::string_view type, std::string_view json, const CommandOptions& options,
                     Deferrer defer, CommandCallback done);

  // Counters since construction. Thread-safe.
  BusStats Stats() const;

  // Registered command type names, sorted.
  std::vector<std::string> CommandTypes() const;

  // Every registered command type's contract, sorted by name.
  std::vector<CommandInfo> Commands() const;

  // OK if `id` is a valid command id; else InvalidArgument("command_id", ...).
  static Status ValidateCommandId(std::string_view id);

 private:
  struct Entry {
    CommandInfo info;
    std::function<Result<std::shared_ptr<const void>>(JsonReader&)> decode;
    std::function<Status(const void*)> validate;
    std::function<Status(const void*)> check_typed;  // empty: no contract check on the typed path
    std::function<Status(const void*, UnitOfWork&)> handle;
    // The typed command as its JSON body (CommandType::to_json); may be empty.
    std::function<boost::json::object(const void*)> to_json;
  };

  Status Add(std::type_index type, Entry entry);
  const Entry* FindByType(std::type_index type) const;
  // One dispatch in flight: the command, its ids and attempts (command_bus.cc).
  struct Pending;
  // Dispatches `command` and waits for the answer.
  Result<CommandResult> Run(const Entry& entry, std::shared_ptr<const void> command,
                            const CommandOptions& options);
  // Checks the options, then the first attempt. `request_digest`: the
  // request's fingerprint for the idempotency record (empty: none).
  void Start(const Entry& entry, std::shared_ptr<const void> command, const CommandOptions& options,
             std::string request_digest, Deferrer defer, CommandCallback done);
  // Runs the handler once and commits what it decided; tells p->done, or
  // after a conflict has p->defer run the next attempt.
  void Attempt(std::shared_ptr<Pending> p);
  void Retry(std::shared_ptr<Pending> p, Status conflict);
  // The answer after the last conflict: a concurrent twin's record, or the conflict.
  Result<CommandResult> Exhausted(const Pending& p);
  Status CheckEntry(const Entry& entry, const void* command) const;

  Repository* repository_;
  BusOptions options_;
  std::vector<std::unique_ptr<Entry>> entries_;
  std::unordered_map<std::type_index, const Entry*> by_type_;
  std::unordered_map<std::string, const Entry*> by_name_;
  std::atomic<uint64_t> dispatched_{0}, succeeded_{0}, duplicates_{0}, conflicts_{0}, exhausted_{0};
};

}  // namespace duet

#endif  // DUET_COMMAND_BUS_H_
