// UnitOfWork: the scope of one attempt at one command.
//
// A command handler loads the aggregates it needs (each stream's version is
// remembered), decides with pure functions, and records the new events per
// aggregate. The command bus then commits everything the unit recorded in ONE
// EventStore::AppendMulti, each stream with the expected version it was
// loaded at: all streams or none, across crashes and under concurrency. On a
// conflict the bus discards the unit and runs the handler again on a fresh
// one (see CommandBus).
//
// A single-aggregate command is the same mechanism with one stream
// (UnitOfWork::Decide).
//
// Created by the CommandBus for one handler call; not thread-safe; the
// deciders passed in must outlive it (they are constants in practice).
#ifndef DUET_UNIT_OF_WORK_H_
#define DUET_UNIT_OF_WORK_H_

#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <utility>
#include <vector>

#include "duet/decider.h"
#include "duet/repository.h"
#include "duet/result.h"
#include "duet/types.h"
#include "duet/upcast.h"

namespace duet {

class UnitOfWork {
 public:
  // `repository` must outlive the unit. `metadata` is the JSON metadata
  // attached to every event recorded; `command_id` is the dispatch's id.
  UnitOfWork(Repository* repository, std::string command_id, std::string metadata);
  ~UnitOfWork();
  UnitOfWork(const UnitOfWork&) = delete;
  UnitOfWork& operator=(const UnitOfWork&) = delete;

  // The state of aggregate `id` of `decider`'s type, including the events
  // this unit recorded for it so far. The first load of a stream fixes the
  // version its append will expect.
  // Errors: InvalidArgument (bad id), FailedPrecondition (the stream was
  // loaded with another decider's state type), Corruption, store errors.
  template <typename D>
  Result<typename D::State> Load(const D& decider, std::string_view id) {
    using State = typename D::State;
    DUET_RETURN_IF_ERROR(ValidateId("id", id));
    Result<const void*> state =
        LoadErased(std::make_unique<DeciderKind<D>>(decider), StreamName(decider.category, id));
    if (!state.ok()) return state.status();
    return *static_cast<const State*>(*state);
  }

  // Records `events` for aggregate `id`, to be appended at commit.
  // REQUIRES: the aggregate was loaded in this unit with the same decider type
  // (else FailedPrecondition).
  template <typename D>
  Status Record(const D& decider, std::string_view id, std::vector<typename D::Event> events) {
    using State = typename D::State;
    const std::string stream = StreamName(decider.category, id);
    Result<const void*> current = Current(stream, typeid(State));
    if (!current.ok()) return current.status();
    State next = *static_cast<const State*>(*current);
    std::vector<EventData> data;
    data.reserve(events.size());
    for (const auto& event : events) {
      // The event's shape goes with it, so that a later reader knows which
      // upcasters it needs; version 1 is stored as before versions existed.
      const uint32_t schema_version = decider.codec->SchemaVersion(event);
      data.push_back(EventData{
          EventId::Random(), std::string(decider.codec->Name(event)),
          decider.codec->EncodeData(event),
          schema_version == 1 ? metadata_ : WithSchemaVersion(metadata_, schema_version)});
      next = decider.evolve(std::move(next), event);
    }
    RecordErased(stream, std::move(data), std::make_shared<const State>(std::move(next)));
    return Status::OK();
  }

  // Load, decide, record: the whole of a single-aggregate command.
  template <typename D>
  Status Decide(const D& decider, std::string_view id, const typename D::Command& command) {
    Result<typename D::State> state = Load(decider, id);
    if (!state.ok()) return state.status();
    Result<std::vector<typename D::Event>> events = decider.decide(command, *state);
    if (!events.ok()) return events.status();
    return Record(decider, id, std::move(events).value());
  }

  // The id of the command being handled: the client's command id, or one
  // generated for this dispatch. Stable across retries of the dispatch, so a
  // handler may derive ids from it (e.g. a transfer id).
  const std::string& command_id() const { return command_id_; }
  // The metadata JSON attached to every event of this command.
  const std::string& metadata() const { return metadata_; }

  // --- For the CommandBus. ---

  // A stream's part of the commit.
  struct Touched {
    std::string stream;
    std::unique_ptr<AggregateKind> kind;
    LoadedAggregate loaded;             // as loaded
    std::shared_ptr<const void> state;  // after the recorded events
    std::vector<EventData> pending;     // recorded, not yet appended
  };
  // Every stream loaded, in load order.
  std::vector<Touched>& touched() { return touched_; }

 private:
  Result<const void*> LoadErased(std::unique_ptr<AggregateKind> kind, std::string stream);
  Result<const void*> Current(std::string_view stream, const std::type_info& type);
  void RecordErased(std::string_view stream, std::vector<EventData> events,
                    std::shared_ptr<const void> state);
  Touched* Find(std::string_view stream);

  Repository* repository_;
  std::string command_id_;
  std::string metadata_;
  std::vector<Touched> touched_;
};

}  // namespace duet

#endif  // DUET_UNIT_OF_WORK_H_
