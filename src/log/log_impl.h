// Log::Impl: the state behind Log. log.cc holds open and the read path,
// group_commit.cc the write path (Enqueue, the flusher thread, segment rolls).
// The group commit state machine is written down in src/log/README.md.
#ifndef DUET_LOG_LOG_IMPL_H_
#define DUET_LOG_LOG_IMPL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "log/file.h"
#include "log/log.h"
#include "log/segment.h"
#include "util/thread_annotations.h"

namespace duet::log {

class Log::Impl {
 public:
  // `segments` holds at least one segment; the last is the active one.
  Impl(FileSystem* fs, std::filesystem::path dir, const LogOptions& options,
       std::vector<std::unique_ptr<Segment>> segments, RecoveryReport report);
  // Stops the flusher after it has written and synced everything queued.
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void StartFlusher();

  const RecoveryReport& recovery_report() const { return report_; }
  uint64_t Epoch() const;
  Status Enqueue(std::string encoded, GlobalPosition first, GlobalPosition last, uint64_t epoch,
                 CommitCallback&& on_commit);
  std::optional<Status> WhenCommitted(GlobalPosition last, uint64_t epoch,
                                      CommitCallback&& on_commit);
  Status WaitCommitted(GlobalPosition last, uint64_t epoch);
  GlobalPosition CommittedPosition() const {
    return GlobalPosition(committed_.load(std::memory_order_acquire));
  }
  GlobalPosition WaitForCommitted(GlobalPosition position, std::chrono::milliseconds timeout) const;
  Status Scan(GlobalPosition from, uint64_t max_count,
              const std::function<bool(const RecordView&)>& visit) const;
  LogStats Stats() const;
  Status health() const;

  // Creates the segment file starting at `base`: header written and synced,
  // directory synced.
  static Result<std::unique_ptr<Segment>> CreateSegment(FileSystem* fs,
                                                        const std::filesystem::path& dir,
                                                        GlobalPosition base);

 private:
  // One queued transaction: positions [first, last], its bytes end at `end`
  // in pending_; `on_commit` (may be empty) learns its fate.
  struct PendingTxn {
    uint64_t first;
    uint64_t last;
    size_t end;
    CommitCallback on_commit;
  };
  // A WhenCommitted caller waiting for `last` of `epoch`.
  struct CommitWatcher {
    uint64_t last;
    uint64_t epoch;
    CommitCallback on_commit;
  };
  // The fate of `last` of `epoch` if known now.
  std::optional<Status> KnownFate(uint64_t last, uint64_t epoch) const REQUIRES(mu_);
  // Moves the watchers whose fate is now known into `ready`, with it.
  void TakeWatchers(std::vector<std::pair<CommitCallback, Status>>* ready) REQUIRES(mu_);
  // Tells txns[begin, end) their fate. Flusher thread, without mu_.
  static void Complete(std::vector<PendingTxn>& txns, size_t begin, size_t end,
                       const Status& status);

  // How a round's writing ended. `recoverable`: the storage was full and
  // the active segment is back at its last whole transaction, so the log can
  // rewind instead of failing; the first `written_txns` transactions are in
  // segments that a roll already synced.
  struct RoundOutcome {
    Status status;
    bool recoverable = false;
    size_t written_txns = 0;
  };
  // A write failure: recoverable after the file is cut back to `keep` bytes.
  struct WriteFailure {
    Status status;
    bool recoverable = false;
  };

  void FlusherLoop();
  // Writes one round: one write per segment touched, rolling between
  // transactions. Flusher thread only, without mu_.
  RoundOutcome WriteRound(const std::string& batch, const std::vector<PendingTxn>& txns);
  WriteFailure WriteRun(std::string_view bytes);
  WriteFailure Roll(GlobalPosition next_base);
  // A storage-full write left part of `bytes` past `keep`: cuts the file back
  // and syncs the cut. Anything failing here makes the failure sticky.
  WriteFailure CutBack(File* file, uint64_t keep, Status why);
  // Recoverable failure: drops everything queued (moved to `dropped`, whose
  // callbacks the caller runs without mu_), fails its waiters with `why`, and
  // starts a new epoch from the committed position.
  void Rewind(const Status& why, std::vector<PendingTxn>* dropped) REQUIRES(mu_);
  // How many transactions the next round should wait for (sync mode): most of
  // those the last round committed plus those that queued meanwhile, so
  // appenders woken by one round make the next instead of splitting into
  // cohorts that alternate fsyncs. 0: do not wait.
  size_t GatherTarget(size_t round_txns) const REQUIRES(mu_);
  // fdatasync of the active segment and how long it took. Flusher thread.
  struct SyncOutcome {
    Status status;
    std::chrono::nanoseconds took;
  };
  SyncOutcome SyncActive();
  // An fdatasync outside a round (interval timer, close), reported to the
  // observer. Flusher thread, without mu_.
  Status BackgroundSync();
  bool IntervalSyncDue(std::chrono::steady_clock::time_point now) const;
  void Fail(const Status& status) REQUIRES(mu_);
  void PublishCommitted() REQUIRES(mu_);
  void NotifyAllWaiters() REQUIRES(mu_);
  // The segment holding `p`, or nullptr. REQUIRES: segments_mu_ held.
  const Segment* FindSegment(GlobalPosition p) const;

  FileSystem* const fs_;
  const std::filesystem::path dir_;
  const LogOptions options_;
  const RecoveryReport report_;

  // The segment list. Readers hold it shared while they look up an offset;
  // the flusher takes it exclusively only to publish a round's offsets or
  // push a new segment. Segments are never removed while the log is open, so
  // a Segment* stays valid after the lock is released.
  mutable std::shared_mutex segments_mu_;
  std::vector<std::unique_ptr<Segment>> segments_ GUARDED_BY(segments_mu_);

  // Flusher thread only.
  Segment* active_;
  std::vector<uint32_t> run_offsets_;  // scratch, reused every round
  std::chrono::steady_clock::time_point last_sync_;

  // Group commit state.
  mutable std::mutex mu_;
  std::condition_variable work_cv_;               // flusher waits for work
  mutable std::condition_variable committed_cv_;  // WaitForCommitted waits
  // WaitCommitted(last) waits on commit_slots_[last % kCommitSlots], so a
  // round wakes only the appenders it committed (plus rare slot-mates), not
  // every appender queued behind it: with 64 writers, waking all of them
  // every round costs more CPU than the writes.
  static constexpr size_t kCommitSlots = 128;
  std::condition_variable commit_slots_[kCommitSlots];
  std::string pending_ GUARDED_BY(mu_);
  std::vector<PendingTxn> pending_txns_ GUARDED_BY(mu_);
  uint64_t queued_ GUARDED_BY(mu_);   // last position handed to Enqueue
  uint64_t written_ GUARDED_BY(mu_);  // last position written to its segment
  uint64_t synced_ GUARDED_BY(mu_);   // last position made durable
  Status failure_ GUARDED_BY(mu_);    // sticky
  // Rewinds after a full disk. An epoch is one run of contiguous positions;
  // rewinds_[e] says where epoch e ended (its last committed position) and
  // why, so a late waiter of epoch e learns whether its transaction made it.
  struct RewindPoint {
    uint64_t committed;
    Status why;
  };
  std::vector<RewindPoint> rewinds_ GUARDED_BY(mu_);  // epoch == rewinds_.size()
  bool closing_ GUARDED_BY(mu_) = false;
  // Set while the flusher gathers a round: Enqueue wakes it once this many
  // transactions are pending. 0: wake on the first.
  size_t gather_wanted_ GUARDED_BY(mu_) = 0;
  std::vector<CommitWatcher> watchers_ GUARDED_BY(mu_);
  // How long the flusher may gather: the last round's fdatasync time.
  std::chrono::nanoseconds last_sync_time_{0};
  // What appenders may be acknowledged for and readers may see; written
  // under mu_, read without it.
  std::atomic<uint64_t> committed_;

  std::thread flusher_;
};

}  // namespace duet::log

#endif  // DUET_LOG_LOG_IMPL_H_
