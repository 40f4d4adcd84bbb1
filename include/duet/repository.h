// Repository: loads aggregates (deciders' states) from an EventStore.
//
// Load = newest valid snapshot + the stream's events after it, read forward
// in pages and folded with the decider's evolve. Hot aggregates stay in a
// bounded LRU cache (state + version), so a command on a hot aggregate reads
// nothing. The cache is a hint, not a source of truth: an append made with a
// stale cached version conflicts, and the caller invalidates and reloads.
//
// Snapshots (optional, per aggregate type): after `snapshot_every` events
// since the last snapshot of an aggregate, its state is written to
// `snapshot_dir` (docs/format.md, "Aggregate snapshots"). A snapshot that is corrupt, of
// another schema version, or that does not match the stream (stale) is
// ignored: the state is rebuilt from events and the snapshot rewritten. A
// snapshot write failure never fails a command (it only costs replay later).
//
// Commands go through the CommandBus (command_bus.h), which uses a
// Repository; direct use is for reading an aggregate's current state.
//
// Lifetime: the store must outlive the repository. Thread-safe.
#ifndef DUET_REPOSITORY_H_
#define DUET_REPOSITORY_H_

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <typeindex>
#include <typeinfo>

#include "duet/decider.h"
#include "duet/event_store.h"
#include "duet/result.h"
#include "duet/types.h"
#include "duet/upcast.h"

namespace duet {

class FileSystem;  // src/util/file_system.h, private: a test seam

struct RepositoryOptions {
  // Where snapshots are kept (conventionally <data>/snapshots). Empty: no
  // snapshots. Created on first write.
  std::filesystem::path snapshot_dir{};
  // Snapshot an aggregate after this many events since its last snapshot;
  // 0 disables. `snapshot_every_by_category` overrides it per category.
  uint64_t snapshot_every = 100;
  std::map<std::string, uint64_t, std::less<>> snapshot_every_by_category{};
  // Aggregates kept in memory (least recently used evicted). 0: no cache.
  size_t cache_capacity = 10'000;
  // Events per ReadStream call while loading.
  size_t read_page_size = 512;
  // Where snapshot files are written (see StoreOptions::file_system);
  // nullptr: the POSIX file system. Not owned; must outlive the repository.
  FileSystem* file_system = nullptr;
  // Brings events stored in older shapes to today's before they are folded
  // (duet/upcast.h). Null: events are folded as stored. The App sets it from
  // its domains' upcasters.
  std::shared_ptr<const UpcasterChain> upcasters{};
};

struct RepositoryStats {
  uint64_t cache_hits = 0;
  uint64_t cache_misses = 0;
  uint64_t cache_evictions = 0;
  uint64_t cache_size = 0;
  uint64_t events_replayed = 0;     // events folded while loading
  uint64_t snapshots_loaded = 0;    // loads that started from a snapshot
  uint64_t snapshots_rejected = 0;  // corrupt, other schema or stale
  uint64_t snapshots_written = 0;
  uint64_t snapshot_write_errors = 0;
};

// An aggregate's state as loaded, type-erased (the state is the decider's
// State type; AggregateKind::state_type() says which).
struct LoadedAggregate {
  std::shared_ptr<const void> state;
  std::optional<StreamVersion> version;  // nullopt: the stream has no events
  GlobalPosition position;               // position of the last event (or an upper bound)
  EventId last_event_id;                 // id of the event at `version`
  uint64_t events_since_snapshot = 0;
};

// The type-erased view of a Decider the repository works with; built by
// DeciderKind<D> below. Implementations are immutable and thread-safe.
class AggregateKind {
 public:
  virtual ~AggregateKind() = default;
  virtual std::type_index state_type() const = 0;
  virtual std::string_view category() const = 0;
  virtual std::shared_ptr<const void> Initial() const = 0;
  // `state` evolved by `events` (decoded with the decider's codec), which are
  // in today's shapes (the repository upcasts them first).
  // Errors: kCorruption naming the stream, version and why the event did not
  // decode (unknown type, bad data); kUpcastFailed for an event stored in a
  // shape older than the codec's with no upcaster that brought it up to it.
  virtual Result<std::shared_ptr<const void>> Apply(
      const void* state, std::span<const RecordedEvent> events) const = 0;
  // Snapshot support (false: no state codec).
  virtual bool can_snapshot() const = 0;
  virtual uint32_t schema_version() const = 0;
  virtual std::string EncodeState(const void* state) const = 0;
  virtual Result<std::shared_ptr<const void>> DecodeState(std::string_view json) const = 0;
};

template <typename D>
class DeciderKind final : public AggregateKind {
 public:
  using State = typename D::State;
  // `decider` must outlive this object.
  explicit DeciderKind(const D& decider) : d_(decider) {}

  std::type_index state_type() const override { return typeid(State); }
  std::string_view category() const override { return d_.category; }
  std::shared_ptr<const void> Initial() const override {
    return std::make_shared<const State>(d_.initial);
  }
  Result<std::shared_ptr<const void>> Apply(const void* state,
                                            std::span<const RecordedEvent> events) const override {
    State s = *static_cast<const State*>(state);
    for (const RecordedEvent& recorded : events) {
      DUET_RETURN_IF_ERROR(CheckSchemaVersion(recorded));
      auto event = d_.codec->Decode(recorded.type, recorded.data);
      if (!event.ok()) {
        return Status::Corruption(
            "event " + recorded.stream + "@" + std::to_string(recorded.version.value) +
            " of type '" + recorded.type + "' does not decode: " + event.status().ToString());
      }
      s = d_.evolve(std::move(s), *event);
    }
    return std::shared_ptr<const void>(std::make_shared<const State>(std::move(s)));
  }
  bool can_snapshot() const override { return d_.state_codec != nullptr; }
  uint32_t schema_version() const override {
    return d_.state_codec ? d_.state_codec->schema_version : 0;
  }
  std::string EncodeState(const void* state) const override {
    return ToJsonText(d_.state_codec->encode(*static_cast<const State*>(state)));
  }
  Result<std::shared_ptr<const void>> DecodeState(std::string_view json) const override {
    Result<boost::json::object> object = ParseJsonObject(json, "state");
    if (!object.ok()) return object.status();
    JsonReader fields(*object);
    Result<State> state = d_.state_codec->decode(fields);
    if (!fields.status().ok()) return fields.status();
    if (!state.ok()) return state.status();
    return std::shared_ptr<const void>(std::make_shared<const State>(std::move(state).value()));
  }

 private:
  // An event older than the shape the codec reads would be misread (a field
  // of another meaning) or not decode: refused by name instead. A newer one
  // is decoded as it is, as unknown fields are ignored.
  Status CheckSchemaVersion(const RecordedEvent& recorded) const {
    const uint32_t expected = d_.codec->SchemaVersion(recorded.type);
    if (expected <= 1 && recorded.metadata.find(kSchemaVersionKey) == std::string::npos) {
      return Status::OK();
    }
    Result<uint32_t> stored = StoredSchemaVersion(recorded.metadata);
    if (!stored.ok()) return stored.status();
    if (*stored >= expected) return Status::OK();
    return Status::UpcastFailed(
        recorded.type, "event " + recorded.stream + "@" + std::to_string(recorded.version.value) +
                           " is schema version " + std::to_string(*stored) +
                           " but the codec reads version " + std::to_string(expected) +
                           ": no upcaster brings it there");
  }

  const D& d_;
};

// A typed snapshot of an aggregate for readers.
template <typename S>
struct Aggregate {
  S state;
  std::optional<StreamVersion> version;  // nullopt: no events yet
  GlobalPosition position;               // position of its last event
};

class Repository {
 public:
  // `store` must outlive the repository.
  Repository(EventStore* store, RepositoryOptions options);
  ~Repository();
  Repository(const Repository&) = delete;
  Repository& operator=(const Repository&) = delete;

  // The current state of aggregate `id` of `decider`'s type.
  // Errors: InvalidArgument (bad id), Corruption (an event does not decode),
  // the store's errors.
  template <typename D>
  Result<Aggregate<typename D::State>> Load(const D& decider, std::string_view id) {
    DUET_RETURN_IF_ERROR(ValidateId("id", id));
    DeciderKind<D> kind(decider);
    Result<LoadedAggregate> loaded = LoadStream(kind, StreamName(decider.category, id));
    if (!loaded.ok()) return loaded.status();
    return Aggregate<typename D::State>{*static_cast<const typename D::State*>(loaded->state.get()),
                                        loaded->version, loaded->position};
  }

  // Type-erased load of `stream` (cache, else snapshot + events).
  Result<LoadedAggregate> LoadStream(const AggregateKind& kind, std::string_view stream);

  // Records the state of `stream` after a successful append by this process
  // (aggregate.events_since_snapshot counts the events since its last
  // snapshot, including the appended ones): caches it and writes a snapshot
  // when due.
  void Committed(const AggregateKind& kind, std::string_view stream, LoadedAggregate aggregate);

  // Drops `stream` from the cache (after a conflict on it).
  void Invalidate(std::string_view stream);

  RepositoryStats Stats() const;
  EventStore* store() const { return store_; }

 private:
  class Impl;
  EventStore* store_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace duet

#endif  // DUET_REPOSITORY_H_
