// The write path of Log: Enqueue, WaitCommitted and the flusher thread.
// State machine and invariants: src/log/README.md, "Group commit".
#include <algorithm>
#include <cassert>

#include "log/coding.h"
#include "log/log_format.h"
#include "log/log_impl.h"
#include "log/record_codec.h"
#include "log/segment_index.h"

namespace duet::log {

using Mode = Durability::Mode;

// The longest a round waits for more appenders, whatever the last fdatasync took.
constexpr std::chrono::nanoseconds kMaxGather = std::chrono::microseconds(500);

uint64_t Log::Impl::Epoch() const {
  std::lock_guard lock(mu_);
  return rewinds_.size();
}

Status Log::Impl::Enqueue(std::string encoded, GlobalPosition first, GlobalPosition last,
                          uint64_t epoch, CommitCallback&& on_commit) {
  if (encoded.size() > kMaxTransactionBytes) {
    return Status::InvalidArgument("transaction", "larger than the log's 1 GiB transaction limit");
  }
  bool wake;
  {
    std::lock_guard lock(mu_);
    if (!failure_.ok()) return failure_;
    if (closing_) return Status::FailedPrecondition("log is closing");
    if (epoch < rewinds_.size()) return rewinds_[epoch].why;  // positions of an ended epoch
    if (epoch > rewinds_.size()) return Status::InvalidArgument("epoch", "not begun yet");
    if (first.value != queued_ + 1 || last < first || encoded.empty()) {
      return Status::InvalidArgument("positions", "transaction [" + std::to_string(first.value) +
                                                      ", " + std::to_string(last.value) +
                                                      "] does not follow position " +
                                                      std::to_string(queued_));
    }
    if (pending_.empty()) {
      pending_.swap(encoded);  // keeps the flusher's spare buffer in `encoded`: freed below
    } else {
      pending_.append(encoded);
    }
    pending_txns_.push_back({first.value, last.value, pending_.size(), std::move(on_commit)});
    wake = pending_txns_.size() == std::max<size_t>(gather_wanted_, 1);
    queued_ = last.value;
  }
  if (wake) work_cv_.notify_one();
  return Status::OK();
}

std::optional<Status> Log::Impl::KnownFate(uint64_t last, uint64_t epoch) const {
  if (epoch < rewinds_.size()) {
    // Its epoch ended: the position may since belong to another transaction.
    return last <= rewinds_[epoch].committed ? Status::OK() : rewinds_[epoch].why;
  }
  if (committed_.load(std::memory_order_relaxed) >= last) return Status::OK();
  if (!failure_.ok()) return failure_;
  return std::nullopt;
}

void Log::Impl::TakeWatchers(std::vector<std::pair<CommitCallback, Status>>* ready) {
  std::erase_if(watchers_, [&](CommitWatcher& watcher) {
    std::optional<Status> fate = KnownFate(watcher.last, watcher.epoch);
    if (!fate) return false;
    ready->emplace_back(std::move(watcher.on_commit), std::move(*fate));
    return true;
  });
}

std::optional<Status> Log::Impl::WhenCommitted(GlobalPosition last, uint64_t epoch,
                                               CommitCallback&& on_commit) {
  std::lock_guard lock(mu_);
  if (epoch > rewinds_.size() || (epoch == rewinds_.size() && last.value > queued_)) {
    return Status::InvalidArgument("position", std::to_string(last.value) + " was never enqueued");
  }
  if (std::optional<Status> fate = KnownFate(last.value, epoch)) return fate;
  watchers_.push_back({last.value, epoch, std::move(on_commit)});
  return std::nullopt;
}

Status Log::Impl::WaitCommitted(GlobalPosition last, uint64_t epoch) {
  std::unique_lock lock(mu_);
  if (epoch > rewinds_.size() || (epoch == rewinds_.size() && last.value > queued_)) {
    return Status::InvalidArgument("position", std::to_string(last.value) + " was never enqueued");
  }
  commit_slots_[last.value % kCommitSlots].wait(lock, [&] {
    return epoch < rewinds_.size() || committed_.load(std::memory_order_relaxed) >= last.value ||
           !failure_.ok();
  });
  if (epoch < rewinds_.size()) {
    // Its epoch ended: the position may since belong to another transaction.
    if (last.value <= rewinds_[epoch].committed) return Status::OK();
    return rewinds_[epoch].why;
  }
  if (committed_.load(std::memory_order_relaxed) >= last.value) return Status::OK();
  return failure_;
}

GlobalPosition Log::Impl::WaitForCommitted(GlobalPosition position,
                                           std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  committed_cv_.wait_for(lock, timeout, [&] {
    return committed_.load(std::memory_order_relaxed) >= position.value || closing_;
  });
  return CommittedPosition();
}

Status Log::Impl::health() const {
  std::lock_guard lock(mu_);
  return failure_;
}

void Log::Impl::Fail(const Status& status) {
  assert(!status.ok());
  if (failure_.ok()) failure_ = status;
  NotifyAllWaiters();
}

void Log::Impl::Rewind(const Status& why, std::vector<PendingTxn>* dropped) {
  assert(!why.ok());
  rewinds_.push_back({committed_.load(std::memory_order_relaxed), why});
  pending_.clear();
  for (PendingTxn& txn : pending_txns_) dropped->push_back(std::move(txn));
  pending_txns_.clear();
  queued_ = written_;
  NotifyAllWaiters();
}

void Log::Impl::Complete(std::vector<PendingTxn>& txns, size_t begin, size_t end,
                         const Status& status) {
  for (size_t i = begin; i < end; ++i) {
    if (txns[i].on_commit) txns[i].on_commit(status);
  }
}

size_t Log::Impl::GatherTarget(size_t round_txns) const {
  if (options_.durability.mode != Mode::kSync) return 0;
  const size_t population = round_txns + pending_txns_.size();
  if (population < 2) return 0;
  return population - population / 8;  // most, not all: one straggler must not stall a round
}

void Log::Impl::NotifyAllWaiters() {
  for (auto& slot : commit_slots_) slot.notify_all();
  committed_cv_.notify_all();
}

void Log::Impl::PublishCommitted() {
  assert(queued_ >= written_ && written_ >= synced_);
  const uint64_t committed = options_.durability.mode == Mode::kSync ? synced_ : written_;
  const uint64_t previous = committed_.load(std::memory_order_relaxed);
  assert(committed >= previous);
  committed_.store(committed, std::memory_order_release);
  // Wake the appenders of (previous, committed]: one slot per position, at
  // most every slot once. An idle condition variable's notify is cheap.
  const uint64_t n = std::min<uint64_t>(committed - previous, kCommitSlots);
  for (uint64_t p = previous + 1; p <= previous + n; ++p)
    commit_slots_[p % kCommitSlots].notify_all();
  committed_cv_.notify_all();
}

bool Log::Impl::IntervalSyncDue(std::chrono::steady_clock::time_point now) const {
  return options_.durability.mode == Mode::kInterval &&
         now - last_sync_ >= options_.durability.interval;
}

void Log::Impl::FlusherLoop() {
  std::string batch;
  std::vector<PendingTxn> txns;
  std::vector<PendingTxn> failed;  // dropped by a failure or rewind, told without mu_
  std::vector<std::pair<CommitCallback, Status>> watched;  // WhenCommitted callers told
  size_t gather_target = 0;                                // see GatherTarget
  std::unique_lock lock(mu_);
  // Tells the watchers whose fate the last change decided, without mu_.
  auto tell_watchers = [&] {
    TakeWatchers(&watched);
    if (watched.empty()) return;
    lock.unlock();
    for (auto& [callback, fate] : watched) callback(fate);
    watched.clear();
    lock.lock();
  };
  // Runs the callbacks of `failed` without mu_.
  auto complete_failed = [&](const Status& why) {
    if (failed.empty()) return;
    lock.unlock();
    Complete(failed, 0, failed.size(), why);
    lock.lock();
    failed.clear();
  };
  for (;;) {
    // Idle: wait for a transaction, for closing, or (interval mode, with
    // unsynced data) for the next sync time.
    while (pending_txns_.empty() && !closing_) {
      if (failure_.ok() && written_ > synced_ && options_.durability.mode == Mode::kInterval) {
        if (IntervalSyncDue(std::chrono::steady_clock::now())) break;
        work_cv_.wait_until(lock, last_sync_ + options_.durability.interval);
      } else {
        work_cv_.wait(lock);
      }
    }
    // Gathering (sync mode): the appenders the last round woke are coming
    // back; give them up to a quarter of an fdatasync's time to join this
    // round (longer waits measured no better: the disk idles meanwhile).
    if (gather_target > 1 && pending_txns_.size() < gather_target && !closing_ && failure_.ok()) {
      gather_wanted_ = gather_target;
      const auto budget = std::min<std::chrono::nanoseconds>(last_sync_time_ / 4, kMaxGather);
      work_cv_.wait_for(lock, budget, [&] {
        return pending_txns_.size() >= gather_target || closing_ || !failure_.ok();
      });
      gather_wanted_ = 0;
    }
    if (!failure_.ok()) {
      // Failed: nothing more is written. Waiters already have the error.
      pending_.clear();
      for (PendingTxn& txn : pending_txns_) failed.push_back(std::move(txn));
      pending_txns_.clear();
      complete_failed(failure_);
      tell_watchers();
      if (closing_ && pending_txns_.empty()) break;
      continue;
    }
    if (pending_txns_.empty() && closing_) break;

    // Writing: take everything queued so far.
    batch.swap(pending_);
    txns.swap(pending_txns_);
    lock.unlock();
    RoundOutcome round = txns.empty() ? RoundOutcome{} : WriteRound(batch, txns);
    Status status = round.status;
    // Syncing (sync mode): one fdatasync for the whole round.
    std::chrono::nanoseconds sync_time{0};
    if (status.ok() && !txns.empty() && options_.durability.mode == Mode::kSync) {
      SyncOutcome synced = SyncActive();
      status = std::move(synced.status);
      sync_time = synced.took;
      last_sync_time_ = synced.took;
    }
    if (status.ok() && !txns.empty() && options_.observer != nullptr) {
      uint64_t events = 0;
      for (const PendingTxn& txn : txns) events += txn.last - txn.first + 1;
      options_.observer->OnCommitRound({txns.size(), events, batch.size(), sync_time});
    }
    lock.lock();
    if (!status.ok() && round.recoverable) {
      // Rewinding: what a roll already synced is committed, the rest of the
      // round and everything queued behind it fails.
      if (round.written_txns > 0) {
        written_ = txns[round.written_txns - 1].last;
        if (options_.durability.mode == Mode::kSync) synced_ = written_;
        PublishCommitted();
      }
      for (size_t i = round.written_txns; i < txns.size(); ++i)
        failed.push_back(std::move(txns[i]));
      txns.resize(round.written_txns);
      Rewind(status, &failed);
      lock.unlock();
      Complete(txns, 0, txns.size(), Status::OK());
      lock.lock();
      complete_failed(status);
      tell_watchers();
      batch.clear();
      txns.clear();
      gather_target = 0;
      continue;
    }
    if (!status.ok()) {
      Fail(status);
      for (PendingTxn& txn : txns) failed.push_back(std::move(txn));
      txns.clear();
      batch.clear();
      complete_failed(status);
      tell_watchers();
      continue;
    }
    if (!txns.empty()) {
      written_ = txns.back().last;
      if (options_.durability.mode == Mode::kSync) synced_ = written_;
      PublishCommitted();
      gather_target = GatherTarget(txns.size());
      lock.unlock();
      Complete(txns, 0, txns.size(), Status::OK());
      lock.lock();
      tell_watchers();
    }
    batch.clear();
    txns.clear();

    // Interval mode: acknowledged above already; sync if it is time.
    const auto now = std::chrono::steady_clock::now();
    if (written_ > synced_ && IntervalSyncDue(now)) {
      const uint64_t target = written_;
      lock.unlock();
      status = BackgroundSync();
      last_sync_ = now;
      lock.lock();
      if (!status.ok()) {
        Fail(status);
        continue;
      }
      synced_ = target;
      PublishCommitted();
    }
  }
  // Closing: whatever the mode, leave everything written durable.
  if (failure_.ok() && written_ > synced_) {
    const uint64_t target = written_;
    lock.unlock();
    Status status = BackgroundSync();
    lock.lock();
    if (status.ok()) {
      synced_ = target;
      PublishCommitted();
    } else {
      Fail(status);
    }
  }
  tell_watchers();
  // Everything enqueued was committed or failed by now, so no watcher is
  // left; should one be, it must still hear once.
  for (CommitWatcher& watcher : watchers_) {
    watched.emplace_back(std::move(watcher.on_commit), Status::FailedPrecondition("log closed"));
  }
  watchers_.clear();
  lock.unlock();
  for (auto& [callback, fate] : watched) callback(fate);
  lock.lock();
  NotifyAllWaiters();
}

Log::Impl::SyncOutcome Log::Impl::SyncActive() {
  const auto start = std::chrono::steady_clock::now();
  Status status = active_->file()->Sync();
  return {std::move(status), std::chrono::steady_clock::now() - start};
}

Status Log::Impl::BackgroundSync() {
  SyncOutcome synced = SyncActive();
  if (synced.status.ok() && options_.observer != nullptr) {
    options_.observer->OnBackgroundSync(synced.took);
  }
  return std::move(synced.status);
}

Log::Impl::RoundOutcome Log::Impl::WriteRound(const std::string& batch,
                                              const std::vector<PendingTxn>& txns) {
  const std::string_view bytes(batch);
  size_t run_begin = 0;      // first byte of batch not yet written
  size_t run_first_txn = 0;  // index of the run's first transaction
  uint64_t run_records = 0;
  size_t txn_begin = 0;
  for (size_t i = 0; i < txns.size(); ++i) {
    const PendingTxn& txn = txns[i];
    // Roll only between transactions, and never leave a segment empty.
    const uint64_t projected = active_->size() + (txn_begin - run_begin);
    if (projected >= options_.segment_size_bytes && active_->record_count() + run_records > 0) {
      WriteFailure wrote = WriteRun(bytes.substr(run_begin, txn_begin - run_begin));
      if (!wrote.status.ok()) return {std::move(wrote.status), wrote.recoverable, run_first_txn};
      // A failed roll leaves the transactions before it in a synced segment.
      WriteFailure rolled = Roll(GlobalPosition(txn.first));
      if (!rolled.status.ok()) return {std::move(rolled.status), rolled.recoverable, i};
      run_begin = txn_begin;
      run_first_txn = i;
      run_records = 0;
    }
    run_records += txn.last - txn.first + 1;
    txn_begin = txn.end;
  }
  WriteFailure wrote = WriteRun(bytes.substr(run_begin));
  return {std::move(wrote.status), wrote.recoverable, run_first_txn};
}

Log::Impl::WriteFailure Log::Impl::WriteRun(std::string_view bytes) {
  if (bytes.empty()) return {};
  const uint64_t base_offset = active_->size();
  run_offsets_.clear();
  for (size_t off = 0; off < bytes.size();) {
    assert(bytes.size() - off >= kFrameHeaderSize + kCommonBodySize);
    if (static_cast<uint8_t>(bytes[off + kFrameHeaderSize]) ==
        static_cast<uint8_t>(RecordType::kEvent)) {
      run_offsets_.push_back(static_cast<uint32_t>(base_offset + off));
    }
    off += kFrameHeaderSize + DecodeFixed32(bytes.data() + off + 4);
    assert(off <= bytes.size());
  }
  active_->Reserve(run_offsets_.size());
  Status status = active_->file()->WriteAt(base_offset, bytes);
  if (status.code() == StatusCode::kStorageFull) {
    return CutBack(active_->file(), base_offset, std::move(status));
  }
  if (!status.ok()) return {std::move(status), false};
  std::unique_lock lock(segments_mu_);
  active_->Publish(run_offsets_, base_offset + bytes.size());
  return {};
}

Log::Impl::WriteFailure Log::Impl::CutBack(File* file, uint64_t keep, Status why) {
  // The cut is synced so that a crash cannot bring back whole transactions
  // of the failed write that were never acknowledged.
  Status cut = file->Truncate(keep);
  if (cut.ok()) cut = file->Sync();
  if (!cut.ok()) return {std::move(cut), false};
  return {std::move(why), true};
}

Log::Impl::WriteFailure Log::Impl::Roll(GlobalPosition next_base) {
  assert(next_base == active_->end());
  if (Status synced = active_->file()->Sync(); !synced.ok()) return {std::move(synced), false};
  // Best effort: a missing sidecar only makes the next open rescan.
  (void)WriteSegmentIndex(fs_, dir_, active_->base(), active_->size(), active_->offsets());
  const std::filesystem::path path = dir_ / SegmentFileName(next_base);
  auto file = fs_->Open(path, OpenMode::kCreateNew);
  if (!file.ok()) {
    // Nothing was created: the next round tries the roll again.
    return {file.status(), file.status().code() == StatusCode::kStorageFull};
  }
  Status status = (*file)->WriteAt(0, EncodeSegmentHeader(next_base));
  if (status.code() == StatusCode::kStorageFull) {
    // A half-made segment must not stay: recovery would take it for the
    // last segment, and the next roll could not create it.
    file->reset();
    Status removed = fs_->Remove(path);
    if (removed.ok()) removed = fs_->SyncDir(dir_);
    if (!removed.ok()) return {std::move(removed), false};
    return {std::move(status), true};
  }
  if (status.ok()) status = (*file)->Sync();
  if (status.ok()) status = fs_->SyncDir(dir_);
  if (!status.ok()) return {std::move(status), false};
  auto segment = std::make_unique<Segment>(next_base, std::move(*file), std::vector<uint32_t>{},
                                           kSegmentHeaderSize);
  std::unique_lock lock(segments_mu_);
  segments_.push_back(std::move(segment));
  active_ = segments_.back().get();
  return {};
}

Result<std::unique_ptr<Segment>> Log::Impl::CreateSegment(FileSystem* fs,
                                                          const std::filesystem::path& dir,
                                                          GlobalPosition base) {
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                        fs->Open(dir / SegmentFileName(base), OpenMode::kCreateNew));
  DUET_RETURN_IF_ERROR(file->WriteAt(0, EncodeSegmentHeader(base)));
  DUET_RETURN_IF_ERROR(file->Sync());
  DUET_RETURN_IF_ERROR(fs->SyncDir(dir));
  return std::make_unique<Segment>(base, std::move(file), std::vector<uint32_t>{},
                                   kSegmentHeaderSize);
}

}  // namespace duet::log
