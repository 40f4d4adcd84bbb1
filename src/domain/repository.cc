#include "duet/repository.h"

#include <algorithm>
#include <atomic>

#include "domain/aggregate_cache.h"
#include "domain/snapshot_store.h"

namespace duet {

class Repository::Impl {
 public:
  Impl(EventStore* store, RepositoryOptions options)
      : store_(store),
        options_(std::move(options)),
        cache_(options_.cache_capacity),
        snapshots_(options_.snapshot_dir, options_.file_system) {}

  Result<LoadedAggregate> Load(const AggregateKind& kind, std::string_view stream);
  void Committed(const AggregateKind& kind, std::string_view stream, LoadedAggregate aggregate);
  void Invalidate(std::string_view stream) { cache_.Erase(stream); }
  RepositoryStats Stats() const;

 private:
  // Events per snapshot for `kind`; 0: never.
  uint64_t SnapshotEvery(const AggregateKind& kind) const;
  // The snapshot of `stream` if one is usable for `kind`; counts rejections.
  std::optional<domain::Snapshot> UsableSnapshot(const AggregateKind& kind, std::string_view stream,
                                                 bool* rejected);
  // Folds the stream's events from version `from` into `aggregate`. With
  // `check` set, the first event read must be the snapshot's last event
  // (same version and id) and is not folded; false is returned in *valid
  // when it is not.
  Status Replay(const AggregateKind& kind, std::string_view stream, StreamVersion from,
                const domain::Snapshot* check, bool* valid, LoadedAggregate& aggregate);
  void WriteSnapshot(const AggregateKind& kind, std::string_view stream,
                     LoadedAggregate& aggregate);
  // `stored` in today's shapes: `stored` itself when no event needs an
  // upcaster (no copy), else the upcast events, kept in `upcast`.
  Result<std::span<const RecordedEvent>> Upcast(std::span<const RecordedEvent> stored,
                                                std::vector<RecordedEvent>& upcast) const;

  EventStore* store_;
  const RepositoryOptions options_;
  domain::AggregateCache cache_;
  domain::SnapshotStore snapshots_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, replayed_{0}, snapshots_loaded_{0},
      snapshots_rejected_{0}, snapshots_written_{0}, snapshot_write_errors_{0};
};

uint64_t Repository::Impl::SnapshotEvery(const AggregateKind& kind) const {
  if (options_.snapshot_dir.empty() || !kind.can_snapshot()) return 0;
  auto it = options_.snapshot_every_by_category.find(kind.category());
  return it != options_.snapshot_every_by_category.end() ? it->second : options_.snapshot_every;
}

std::optional<domain::Snapshot> Repository::Impl::UsableSnapshot(const AggregateKind& kind,
                                                                 std::string_view stream,
                                                                 bool* rejected) {
  Result<std::optional<domain::Snapshot>> read = snapshots_.Read(stream);
  // An unreadable, corrupt or foreign snapshot is never misread: the state is
  // rebuilt from events instead (and the snapshot rewritten).
  if (!read.ok() || (*read && read->value().schema_version != kind.schema_version())) {
    *rejected = true;
    return std::nullopt;
  }
  return std::move(read).value();
}

Status Repository::Impl::Replay(const AggregateKind& kind, std::string_view stream,
                                StreamVersion from, const domain::Snapshot* check, bool* valid,
                                LoadedAggregate& aggregate) {
  const size_t page = std::max<size_t>(options_.read_page_size, 1);
  for (;;) {
    Result<std::vector<RecordedEvent>> events =
        store_->ReadStream(stream, from, page, ReadDirection::kForward);
    if (!events.ok()) return events.status();
    std::span<const RecordedEvent> fold(*events);
    if (check != nullptr) {
      if (fold.empty() || fold.front().version != check->version ||
          fold.front().id != check->event_id) {
        *valid = false;
        return Status::OK();
      }
      aggregate.position = fold.front().position;
      fold = fold.subspan(1);
      check = nullptr;
    }
    if (!fold.empty()) {
      // The decider folds today's shapes; the version and position recorded
      // are the stored events', whatever upcasting made of them.
      std::vector<RecordedEvent> upcast;
      DUET_ASSIGN_OR_RETURN(std::span<const RecordedEvent> current, Upcast(fold, upcast));
      Result<std::shared_ptr<const void>> state = kind.Apply(aggregate.state.get(), current);
      if (!state.ok()) return state.status();
      aggregate.state = std::move(state).value();
      aggregate.version = fold.back().version;
      aggregate.position = fold.back().position;
      aggregate.last_event_id = fold.back().id;
      aggregate.events_since_snapshot += fold.size();
      replayed_ += fold.size();
    }
    if (events->size() < page) return Status::OK();
    from = StreamVersion(events->back().version.value + 1);
  }
}

Result<std::span<const RecordedEvent>> Repository::Impl::Upcast(
    std::span<const RecordedEvent> stored, std::vector<RecordedEvent>& upcast) const {
  const UpcasterChain* chain = options_.upcasters.get();
  if (chain == nullptr ||
      std::none_of(stored.begin(), stored.end(),
                   [chain](const RecordedEvent& event) { return chain->NeedsUpcast(event); })) {
    return stored;
  }
  for (const RecordedEvent& event : stored) {
    if (!chain->NeedsUpcast(event)) {
      upcast.push_back(event);
      continue;
    }
    DUET_ASSIGN_OR_RETURN(std::vector<RecordedEvent> events, chain->Upcast(event));
    for (RecordedEvent& e : events) upcast.push_back(std::move(e));
  }
  return std::span<const RecordedEvent>(upcast);
}

Result<LoadedAggregate> Repository::Impl::Load(const AggregateKind& kind, std::string_view stream) {
  if (auto cached = cache_.Get(stream, kind.state_type())) {
    ++hits_;
    return *std::move(cached);
  }
  ++misses_;
  const uint64_t every = SnapshotEvery(kind);
  bool rejected = false;
  if (every > 0) {
    if (auto snapshot = UsableSnapshot(kind, stream, &rejected)) {
      Result<std::shared_ptr<const void>> state = kind.DecodeState(snapshot->payload);
      if (state.ok()) {
        LoadedAggregate aggregate{std::move(state).value(), snapshot->version, kNoPosition,
                                  snapshot->event_id, 0};
        bool valid = true;
        DUET_RETURN_IF_ERROR(
            Replay(kind, stream, snapshot->version, &*snapshot, &valid, aggregate));
        if (valid) {
          ++snapshots_loaded_;
          if (aggregate.events_since_snapshot >= every) WriteSnapshot(kind, stream, aggregate);
          cache_.Put(stream, kind.state_type(), aggregate);
          return aggregate;
        }
      }
      rejected = true;  // undecodable or stale: the stream does not hold its last event
    }
  }
  if (rejected) ++snapshots_rejected_;
  LoadedAggregate aggregate{kind.Initial(), std::nullopt, kNoPosition, EventId{}, 0};
  DUET_RETURN_IF_ERROR(Replay(kind, stream, StreamVersion(0), nullptr, nullptr, aggregate));
  if (every > 0 && aggregate.version && (rejected || aggregate.events_since_snapshot >= every)) {
    WriteSnapshot(kind, stream, aggregate);
  }
  cache_.Put(stream, kind.state_type(), aggregate);
  return aggregate;
}

void Repository::Impl::Committed(const AggregateKind& kind, std::string_view stream,
                                 LoadedAggregate aggregate) {
  const uint64_t every = SnapshotEvery(kind);
  if (every > 0 && aggregate.version && aggregate.events_since_snapshot >= every) {
    WriteSnapshot(kind, stream, aggregate);
  }
  cache_.Put(stream, kind.state_type(), aggregate);
}

void Repository::Impl::WriteSnapshot(const AggregateKind& kind, std::string_view stream,
                                     LoadedAggregate& aggregate) {
  domain::Snapshot snapshot{std::string(stream), kind.schema_version(), *aggregate.version,
                            aggregate.last_event_id, kind.EncodeState(aggregate.state.get())};
  if (snapshots_.Write(snapshot).ok()) {
    ++snapshots_written_;
    aggregate.events_since_snapshot = 0;
  } else {
    ++snapshot_write_errors_;  // costs replay later, never the command
  }
}

RepositoryStats Repository::Impl::Stats() const {
  RepositoryStats s;
  s.cache_hits = hits_;
  s.cache_misses = misses_;
  s.cache_evictions = cache_.evictions();
  s.cache_size = cache_.size();
  s.events_replayed = replayed_;
  s.snapshots_loaded = snapshots_loaded_;
  s.snapshots_rejected = snapshots_rejected_;
  s.snapshots_written = snapshots_written_;
  s.snapshot_write_errors = snapshot_write_errors_;
  return s;
}

Repository::Repository(EventStore* store, RepositoryOptions options)
    : store_(store), impl_(std::make_unique<Impl>(store, std::move(options))) {}

Repository::~Repository() = default;

Result<LoadedAggregate> Repository::LoadStream(const AggregateKind& kind, std::string_view stream) {
  return impl_->Load(kind, stream);
}

void Repository::Committed(const AggregateKind& kind, std::string_view stream,
                           LoadedAggregate aggregate) {
  impl_->Committed(kind, stream, std::move(aggregate));
}

void Repository::Invalidate(std::string_view stream) { impl_->Invalidate(stream); }

RepositoryStats Repository::Stats() const { return impl_->Stats(); }

}  // namespace duet
