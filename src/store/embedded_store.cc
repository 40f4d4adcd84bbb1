// EmbeddedStore: the event store on one data folder: a Log (src/log) plus an
// in-memory StreamIndex with persisted checkpoints.
//
// Append path (AppendMulti): validate outside any lock; under append_mu_
// check expected versions against the index (pending appends included),
// assign positions and versions, add them to the index, encode and Enqueue
// into the log; release the lock and wait for the log's group commit. Readers
// never take append_mu_: they read the index under its shared lock, filtered
// by the log's committed position, and pread the log.
//
// After a full disk the log rewinds to its committed position (a new epoch,
// src/log/README.md); the next append notices under append_mu_ and rolls
// back the positions and index entries handed out past it (RollBack).
#include "duet/embedded_store.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "log/log.h"
#include "log/record_codec.h"
#include "store/index_checkpoint.h"
#include "store/stream_index.h"
#include "util/file_util.h"
#include "util/lock_file.h"
#include "util/thread_annotations.h"
#include "util/thread_name.h"

namespace duet {
namespace store {
namespace {

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

RecordedEvent ToRecordedEvent(const log::RecordView& r) {
  return RecordedEvent{std::string(r.stream),
                       r.version,
                       r.position,
                       r.timestamp_us,
                       r.id,
                       std::string(r.type),
                       std::string(r.data),
                       std::string(r.metadata)};
}

// The log's part of the store's statistics (streams are the index's).
StoreStats StatsFromLog(const log::LogStats& log_stats) {
  StoreStats stats;
  stats.events = log_stats.head.value;  // positions are contiguous from 1
  stats.log_bytes = log_stats.bytes;
  stats.segments = log_stats.segments;
  stats.head = log_stats.head;
  return stats;
}

// What an append means for one of its streams, decided under the append lock.
struct StreamDecision {
  bool idempotent = false;  // the same events are already there
  AppendResult original;    // their result, when idempotent
  std::optional<StreamVersion> current;
};

class EmbeddedStoreImpl final : public EmbeddedStore {
 public:
  EmbeddedStoreImpl(std::filesystem::path dir, StoreOptions options, FileSystem* fs,
                    std::unique_ptr<LockFile> lock, std::unique_ptr<log::Log> log)
      : dir_(std::move(dir)),
        options_(std::move(options)),
        fs_(fs),
        lock_(std::move(lock)),
        log_(std::move(log)) {}

  ~EmbeddedStoreImpl() override {
    {
      std::lock_guard lock(checkpoint_mu_);
      stopping_ = true;
    }
    checkpoint_cv_.notify_all();
    if (checkpointer_.joinable()) checkpointer_.join();
    // A clean close leaves a checkpoint at the head so the next open reads
    // nothing from the log. Failure here only costs re-indexing next time.
    if (log_->CommittedPosition() > last_checkpoint_) (void)CheckpointIndex();
    log_.reset();
  }

  Status Recover() {
    const std::filesystem::path index_dir = dir_ / "index";
    const GlobalPosition head = log_->CommittedPosition();
    report_.truncated_bytes = log_->recovery_report().truncated_bytes;
    report_.truncated_segment = log_->recovery_report().truncated_segment;
    for (GlobalPosition checkpoint : ListIndexCheckpoints(*fs_, index_dir)) {
      const auto path = IndexCheckpointPath(index_dir, checkpoint);
      if (checkpoint > head) {
        // The log lost events this checkpoint covers (durability none or
        // interval): it describes a history that no longer exists.
        (void)fs_->Remove(path);
        continue;
      }
      auto bytes = ReadWholeFile(*fs_, path);
      if (!bytes.ok()) continue;
      auto loaded = DecodeIndexCheckpoint(*bytes);
      if (!loaded.ok() || loaded->position != checkpoint) continue;
      index_.Reset(std::move(loaded->streams));
      report_.index_checkpoint = checkpoint;
      last_checkpoint_ = checkpoint;
      break;
    }
    uint64_t reindexed = 0;
    DUET_RETURN_IF_ERROR(
        log_->Scan(report_.index_checkpoint.Next(), UINT64_MAX, [&](const log::RecordView& record) {
          index_.Add(record.stream, record.position);
          ++reindexed;
          return true;
        }));
    report_.events_reindexed = reindexed;
    next_position_ = head.Next();
    if (head != kNoPosition) {  // timestamps never go below the newest recorded one
      DUET_RETURN_IF_ERROR(log_->Scan(head, 1, [&](const log::RecordView& record) {
        last_timestamp_us_ = record.timestamp_us;
        return true;
      }));
    }
    events_since_checkpoint_ = reindexed;
    checkpointer_ = std::thread([this] {
      NameThisThread("duet-checkpoint");
      RunCheckpointer();
    });
    return Status::OK();
  }

  Result<MultiAppendResult> AppendMulti(std::span<const StreamAppend> appends) override {
    return WaitForAppend(appends);
  }

  // Validate, decide and enqueue under append_mu_; the log's flusher tells
  // `done` once the group commit made it durable. Timed from the call to
  // that answer for the observer.
  void AppendMultiAsync(std::span<const StreamAppend> appends, AppendCallback done) override {
    if (options_.observer != nullptr) {
      done = [observer = options_.observer, start = std::chrono::steady_clock::now(),
              done = std::move(done)](Result<MultiAppendResult> result) {
        observer->OnAppend(std::chrono::steady_clock::now() - start,
                           result.ok() ? StatusCode::kOk : result.status().code());
        done(std::move(result));
      };
    }
    // Answered here, outside append_mu_, unless the log took the append (or
    // the conflict's wait).
    log::CommitCallback refused;
    std::optional<Result<MultiAppendResult>> answer = Enqueue(appends, done, &refused);
    if (refused) return refused(answer->status());
    if (answer) done(std::move(*answer));
  }

  // Decides `appends` and, when they go ahead, enqueues them with a commit
  // callback that tells `done` (moved into it): then returns nullopt. Else
  // returns the answer already known: an error, or the original result of a
  // retry. If the log refuses the transaction, its callback (holding `done`)
  // comes back in `*refused`, to be told the error without append_mu_.
  std::optional<Result<MultiAppendResult>> Enqueue(std::span<const StreamAppend> appends,
                                                   AppendCallback& done,
                                                   log::CommitCallback* refused) {
    DUET_RETURN_IF_ERROR(ValidateAppends(appends, options_.limits));
    std::vector<StreamDecision> decisions(appends.size());
    MultiAppendResult result;
    result.streams.resize(appends.size());
    std::lock_guard lock(append_mu_);
    DUET_RETURN_IF_ERROR(log_->health());
    const uint64_t epoch = log_->Epoch();
    if (epoch != epoch_) RollBack(epoch);
    bool all_idempotent = true;
    for (size_t i = 0; i < appends.size(); ++i) {
      Result<StreamDecision> decision = Decide(appends[i]);
      if (!decision.ok()) {
        if (!decision.status().IsWrongExpectedVersion()) return decision.status();
        return Refuse(appends[i].stream, decision.status(), epoch, done, refused);
      }
      decisions[i] = std::move(decision).value();
      all_idempotent = all_idempotent && decisions[i].idempotent;
    }
    if (all_idempotent) {
      for (size_t i = 0; i < appends.size(); ++i) {
        result.streams[i] = decisions[i].original;
        result.position = std::max(result.position, decisions[i].original.position);
      }
      return result;
    }
    for (size_t i = 0; i < appends.size(); ++i) {
      // Part of this commit is already there and part is not: that is not a
      // retry of one earlier commit, so it is a conflict.
      if (decisions[i].idempotent) {
        return Status::WrongExpectedVersion(appends[i].stream, appends[i].expected.ToString(),
                                            ToOptionalValue(decisions[i].current));
      }
    }
    std::string encoded;
    const GlobalPosition first = next_position_;
    // Clamped so timestamps never decrease in position order, even when the
    // wall clock steps back: point-in-time lookups binary-search on them.
    const int64_t now = std::max(NowMicros(), last_timestamp_us_);
    last_timestamp_us_ = now;
    uint64_t event_count = 0;
    size_t bytes = 0;
    for (const StreamAppend& append : appends) {
      for (const EventData& event : append.events) {
        bytes += log::EncodedRecordSize(
            {{}, {}, 0, {}, false, append.stream, event.type, event.data, event.metadata});
      }
    }
    encoded.reserve(bytes);
    for (size_t i = 0; i < appends.size(); ++i) {
      const uint64_t n = appends[i].events.size();
      const StreamVersion first_version = index_.AddRun(appends[i].stream, next_position_, n);
      for (uint64_t e = 0; e < n; ++e) {
        const EventData& event = appends[i].events[e];
        const GlobalPosition position = next_position_;
        const StreamVersion version(first_version.value + e);
        next_position_ = next_position_.Next();
        ++event_count;
        const bool commit = i + 1 == appends.size() && e + 1 == n;
        log::AppendRecord({position, version, now, event.id.IsNil() ? EventId::Random() : event.id,
                           commit, appends[i].stream, event.type, event.data, event.metadata},
                          &encoded);
        result.streams[i] = AppendResult{version, position};
      }
    }
    const GlobalPosition last(next_position_.value - 1);
    result.position = last;
    log::CommitCallback on_commit = [this, event_count, result = std::move(result),
                                     done = std::move(done)](const Status& committed) mutable {
      if (!committed.ok()) return done(committed);
      NoteAppended(event_count);
      done(std::move(result));
    };
    Status queued = log_->Enqueue(std::move(encoded), first, last, epoch, std::move(on_commit));
    if (queued.ok()) return std::nullopt;
    // The log failed or rewound since the checks above. The positions handed
    // out here are given up by the next append's rollback (or never used
    // again, the failure being sticky).
    *refused = std::move(on_commit);
    return queued;
  }

  Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                size_t max_count,
                                                ReadDirection direction) override {
    DUET_RETURN_IF_ERROR(ValidateStreamName(stream, options_.limits));
    const auto positions =
        index_.Positions(stream, from, max_count, direction, log_->CommittedPosition());
    std::vector<RecordedEvent> out;
    out.reserve(positions.size());
    for (GlobalPosition position : positions) {
      DUET_RETURN_IF_ERROR(log_->Scan(position, 1, [&](const log::RecordView& record) {
        out.push_back(ToRecordedEvent(record));
        return true;
      }));
      if (out.empty() || out.back().position != position) {
        return Status::Corruption("index points at position " + std::to_string(position.value) +
                                  " which the log does not hold");
      }
    }
    return out;
  }

  Result<std::vector<RecordedEvent>> ReadAll(GlobalPosition from, size_t max_count) override {
    std::vector<RecordedEvent> out;
    if (from == kNoPosition) from = GlobalPosition(1);
    DUET_RETURN_IF_ERROR(log_->Scan(from, max_count, [&](const log::RecordView& record) {
      out.push_back(ToRecordedEvent(record));
      return true;
    }));
    return out;
  }

  std::optional<StreamVersion> StreamHead(std::string_view stream) override {
    return index_.LastCommittedVersion(stream, log_->CommittedPosition());
  }

  GlobalPosition HeadPosition() override { return log_->CommittedPosition(); }

  GlobalPosition WaitForHead(GlobalPosition position, std::chrono::milliseconds timeout) override {
    return log_->WaitForCommitted(position, timeout);
  }

  OpenReport open_report() const override { return report_; }

  StoreStats Stats() override {
    StoreStats stats = StatsFromLog(log_->Stats());
    stats.streams = index_.stream_count();
    return stats;
  }

  Status Health() const override { return log_->health(); }

  Status CheckpointIndex() override {
    std::lock_guard lock(checkpoint_write_mu_);
    const GlobalPosition position = log_->CommittedPosition();
    if (position == kNoPosition || position == last_checkpoint_) return Status::OK();
    const std::filesystem::path index_dir = dir_ / "index";
    DUET_RETURN_IF_ERROR(WriteFileAtomically(*fs_, IndexCheckpointPath(index_dir, position),
                                             EncodeIndexCheckpoint(index_, position)));
    // Keep the previous checkpoint too, in case this one is found bad later.
    const auto all = ListIndexCheckpoints(*fs_, index_dir);
    for (size_t i = 2; i < all.size(); ++i)
      (void)fs_->Remove(IndexCheckpointPath(index_dir, all[i]));
    last_checkpoint_ = position;
    return Status::OK();
  }

 private:
  static std::optional<uint64_t> ToOptionalValue(std::optional<StreamVersion> v) {
    return v ? std::optional<uint64_t>(v->value) : std::nullopt;
  }

  // A conflict on `stream` is an answer about its state, and that state may
  // still be in the group commit (appends are decided against pending ones):
  // answered at once only if durable, else once it is. Should it never be
  // (a crash, a rewind), the conflict was never true: the appender hears
  // the log's error instead. REQUIRES: as Enqueue, whose contract it shares.
  std::optional<Result<MultiAppendResult>> Refuse(std::string_view stream, const Status& conflict,
                                                  uint64_t epoch, AppendCallback& done,
                                                  log::CommitCallback* refused)
      REQUIRES(append_mu_) {
    const std::optional<StreamVersion> current = index_.LastVersion(stream);
    const std::optional<GlobalPosition> basis =
        current ? index_.PositionOf(stream, *current) : std::nullopt;
    if (!basis || *basis <= log_->CommittedPosition()) return conflict;
    log::CommitCallback on_commit = [conflict, done = std::move(done)](const Status& fate) {
      done(fate.ok() ? conflict : fate);
    };
    std::optional<Status> known = log_->WhenCommitted(*basis, epoch, std::move(on_commit));
    if (!known) return std::nullopt;
    // Committed (or failed) since the check above: told through the callback.
    *refused = std::move(on_commit);
    return known->ok() ? conflict : *known;
  }

  // Whether `append` may go ahead, is a retry of events already recorded at
  // that place (idempotent), or conflicts.
  Result<StreamDecision> Decide(const StreamAppend& append) REQUIRES(append_mu_) {
    StreamDecision decision;
    decision.current = index_.LastVersion(append.stream);
    if (append.expected.Matches(decision.current)) return decision;
    const auto conflict = Status::WrongExpectedVersion(append.stream, append.expected.ToString(),
                                                       ToOptionalValue(decision.current));
    const auto kind = append.expected.kind();
    if (kind != ExpectedVersion::Kind::kExact && kind != ExpectedVersion::Kind::kNoStream) {
      return conflict;
    }
    const uint64_t start =
        kind == ExpectedVersion::Kind::kNoStream ? 0 : append.expected.version().value + 1;
    const uint64_t n = append.events.size();
    if (!decision.current || decision.current->value + 1 < start + n) return conflict;
    std::vector<GlobalPosition> positions;
    for (uint64_t v = start; v < start + n; ++v) {
      if (append.events[v - start].id.IsNil()) return conflict;
      positions.push_back(*index_.PositionOf(append.stream, StreamVersion(v)));
    }
    // The earlier events may still be in the group commit: wait for them.
    DUET_RETURN_IF_ERROR(log_->WaitCommitted(positions.back(), epoch_));
    for (uint64_t i = 0; i < n; ++i) {
      bool same = false;
      DUET_RETURN_IF_ERROR(log_->Scan(positions[i], 1, [&](const log::RecordView& record) {
        same = record.id == append.events[i].id;
        return false;
      }));
      if (!same) return conflict;
    }
    decision.idempotent = true;
    decision.original = AppendResult{StreamVersion(start + n - 1), positions.back()};
    return decision;
  }

  // The log rewound after a full disk (src/log/README.md, "Rewind"): the
  // positions, versions and stream entries handed out beyond its committed
  // position were never written, so they are given up and handed out again.
  // Command-id records are events too, so a failed command's id is free
  // again with them. Nobody else enqueues while append_mu_ is held, so the
  // log's queued position equals its committed one here.
  void RollBack(uint64_t epoch) REQUIRES(append_mu_) {
    const GlobalPosition committed = log_->CommittedPosition();
    index_.RemoveAfter(committed);
    next_position_ = committed.Next();
    epoch_ = epoch;
  }

  void NoteAppended(uint64_t events) {
    std::lock_guard lock(checkpoint_mu_);
    events_since_checkpoint_ += events;
    if (events_since_checkpoint_ >= options_.index_checkpoint_interval) checkpoint_cv_.notify_one();
  }

  // Writes checkpoints off the append path, so no appender pays for one.
  void RunCheckpointer() {
    std::unique_lock lock(checkpoint_mu_);
    for (;;) {
      checkpoint_cv_.wait(lock, [this] {
        return stopping_ || events_since_checkpoint_ >= options_.index_checkpoint_interval;
      });
      if (stopping_) return;
      events_since_checkpoint_ = 0;
      lock.unlock();
      // A failed checkpoint is not fatal: the next one, or a longer re-index
      // on open, covers it.
      (void)CheckpointIndex();
      lock.lock();
    }
  }

  const std::filesystem::path dir_;
  const StoreOptions options_;
  FileSystem* const fs_;  // options_.file_system or the POSIX one
  std::unique_ptr<LockFile> lock_;
  std::unique_ptr<log::Log> log_;
  StreamIndex index_;
  OpenReport report_;

  std::mutex append_mu_;
  GlobalPosition next_position_ GUARDED_BY(append_mu_);
  uint64_t epoch_ GUARDED_BY(append_mu_) = 0;  // the log's epoch next_position_ belongs to
  int64_t last_timestamp_us_ GUARDED_BY(append_mu_) = 0;

  std::mutex checkpoint_write_mu_;  // serializes CheckpointIndex()
  GlobalPosition last_checkpoint_ GUARDED_BY(checkpoint_write_mu_);

  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  uint64_t events_since_checkpoint_ GUARDED_BY(checkpoint_mu_) = 0;
  bool stopping_ GUARDED_BY(checkpoint_mu_) = false;
  std::thread checkpointer_;
};

}  // namespace
}  // namespace store

Result<std::unique_ptr<EmbeddedStore>> EmbeddedStore::Open(const std::filesystem::path& data_dir,
                                                           const StoreOptions& options) {
  FileSystem* fs = options.file_system != nullptr ? options.file_system : DefaultFileSystem();
  // The LOCK is an flock on the real folder (it guards the folder, it holds
  // no data), so the folder itself exists on the real file system too; made
  // durably, so a power cut cannot take a new data folder with its log.
  DUET_RETURN_IF_ERROR(CreateDirectoriesDurably(data_dir));
  // Without the parent's sync a power cut can take data/log, and every
  // acknowledged event in it (found by tests/store/power_cut_test).
  for (const char* sub : {"log", "index"}) {
    DUET_RETURN_IF_ERROR(CreateDirectoriesDurably(*fs, data_dir / sub));
  }
  DUET_ASSIGN_OR_RETURN(auto lock, LockFile::Acquire(data_dir / "LOCK"));
  log::LogOptions log_options;
  log_options.durability = options.durability;
  log_options.segment_size_bytes = options.segment_size_bytes;
  log_options.observer = options.observer;
  log_options.file_system = fs;
  DUET_ASSIGN_OR_RETURN(auto log, log::Log::Open(data_dir / "log", log_options));
  auto store = std::make_unique<store::EmbeddedStoreImpl>(data_dir, options, fs, std::move(lock),
                                                          std::move(log));
  DUET_RETURN_IF_ERROR(store->Recover());
  return std::unique_ptr<EmbeddedStore>(std::move(store));
}

Result<StoreStats> VerifyDataFolder(const std::filesystem::path& data_dir) {
  return VerifyDataFolder(data_dir, nullptr);
}

Result<StoreStats> VerifyDataFolder(const std::filesystem::path& data_dir,
                                    FileSystem* file_system) {
  DUET_ASSIGN_OR_RETURN(log::LogStats log_stats, log::VerifyLog(data_dir / "log", file_system));
  return store::StatsFromLog(log_stats);
}

}  // namespace duet
