// Log: the segmented, append-only, CRC-framed file log under data/log/.
// Format: docs/format.md (constants in log_format.h).
//
// Writing is single-producer, group-committed: the store serializes Enqueue()
// calls (it assigns positions under its own lock) and each appender then
// blocks in WaitCommitted(). A dedicated flusher thread takes everything queued
// since its last round, writes it with one write() and, in sync mode, one
// fdatasync(), so concurrent appenders share one fsync.
//
// Positions tracked: queued >= written >= synced, asserted in that order.
// "Committed" is what an appender may be acknowledged for and what readers may
// see: synced in sync mode, written in interval and none modes.
//
// After a failed fsync, or any write failure other than a full disk, the log
// is failed: every later Enqueue and every waiter gets the same
// IOError/StorageFull (never retry an fsync: the kernel may have dropped the
// dirty pages). Reads keep working.
//
// A write that fails with ENOSPC/EDQUOT is not sticky: the flusher cuts the
// active segment back to its last whole transaction and *rewinds*: the
// failing round and everything queued behind it fail with StorageFull, the
// queued position falls back to the committed one, and a new epoch starts.
// The writer above must notice the new Epoch() and give up the positions it
// had handed out beyond CommittedPosition() before it enqueues again.
//
// Thread-safe: Enqueue must be externally serialized; everything else may be
// called from any thread.
#ifndef DUET_LOG_LOG_H_
#define DUET_LOG_LOG_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "duet/options.h"
#include "duet/result.h"
#include "duet/types.h"
#include "log/file.h"

namespace duet::log {

struct LogOptions {
  Durability durability;
  uint64_t segment_size_bytes = 256ull << 20;
  // Where every syscall of the log goes; nullptr: the POSIX file system.
  // Tests substitute a fault-injecting one. Must outlive the Log.
  FileSystem* file_system = nullptr;
  // Told about every commit round and background sync (flusher thread,
  // outside the log's lock); nullptr: none. Must outlive the Log.
  StoreObserver* observer = nullptr;
};

// One event record as framed in a segment. The views point into a buffer that
// lives only as long as the call that hands the RecordView out.
struct RecordView {
  GlobalPosition position;
  StreamVersion version;
  int64_t timestamp_us = 0;
  EventId id;
  bool commit = false;  // last record of its transaction
  std::string_view stream;
  std::string_view type;
  std::string_view data;
  std::string_view metadata;
};

// Encodes `record` with its framing (length, CRC32C) and appends it to `out`.
void AppendRecord(const RecordView& record, std::string* out);

// What recovery on open found and did.
struct RecoveryReport {
  uint64_t truncated_bytes = 0;   // torn tail removed (0: clean)
  std::string truncated_segment;  // file name of the segment cut
  uint64_t truncated_at = 0;      // its new length
};

struct LogStats {
  uint64_t segments = 0;
  uint64_t bytes = 0;   // all segment files, headers included
  GlobalPosition head;  // committed position
};

// Told once whether a transaction enqueued with it is committed: OK once it
// is (durable in sync mode), else the failure or the rewind's StorageFull.
// Runs on the flusher thread, outside the log's lock: it must be quick and
// must not enqueue or wait on the log.
using CommitCallback = std::function<void(const Status&)>;

class Log {
 public:
  // Opens `dir` (created if missing), recovers the tail: a torn tail (a record
  // or transaction cut short) is truncated and reported; a bad record with
  // valid data after it is kCorruption naming the segment and offset.
  static Result<std::unique_ptr<Log>> Open(const std::filesystem::path& dir,
                                           const LogOptions& options);
  // Flushes what is queued (syncing it), stops the flusher.
  ~Log();

  const RecoveryReport& recovery_report() const;

  // The current epoch: 0 at open, one more after every rewind.
  uint64_t Epoch() const;

  // Queues one transaction: `encoded` holds records [first, last] encoded by
  // AppendRecord, in position order, the last (only the last) with commit set.
  // Never blocks on I/O. Fails at once if the log has failed, and with the
  // rewind's StorageFull if `epoch` is no longer the current one; then
  // `on_commit` is left with the caller, not called. Otherwise the log takes
  // `on_commit` (when set) and calls it exactly once, from the flusher, when
  // the transaction's fate is known.
  // REQUIRES: externally serialized; first == last queued position + 1.
  Status Enqueue(std::string encoded, GlobalPosition first, GlobalPosition last, uint64_t epoch,
                 CommitCallback&& on_commit = {});
  // The same in the current epoch.
  Status Enqueue(std::string encoded, GlobalPosition first, GlobalPosition last);

  // The fate of `last`, enqueued in `epoch`, when it is known already (OK:
  // committed; else the failure or the rewind's StorageFull): then
  // `on_commit` stays with the caller. Else nullopt: the log takes
  // `on_commit` and calls it once from the flusher when it is known.
  std::optional<Status> WhenCommitted(GlobalPosition last, uint64_t epoch,
                                      CommitCallback&& on_commit);

  // Blocks until `last`, enqueued in `epoch`, is committed; returns the log's
  // failure if it failed before that, or the rewind's StorageFull if its
  // epoch ended without it.
  Status WaitCommitted(GlobalPosition last, uint64_t epoch);
  // The same for a transaction enqueued in the current epoch.
  Status WaitCommitted(GlobalPosition last);

  GlobalPosition CommittedPosition() const;

  // Blocks until CommittedPosition() >= `position`, the timeout passes or the
  // log is closing; returns the committed position.
  GlobalPosition WaitForCommitted(GlobalPosition position, std::chrono::milliseconds timeout) const;

  // Calls `visit` for committed records from `from` on, in position order,
  // until it returns false, `max_count` records were visited or the committed
  // end is reached. Checks each record's CRC: kCorruption on a bad one.
  // Runs concurrently with the writer and other readers.
  Status Scan(GlobalPosition from, uint64_t max_count,
              const std::function<bool(const RecordView&)>& visit) const;

  LogStats Stats() const;

  // The sticky failure, OK while the log is healthy.
  Status health() const;

 private:
  class Impl;
  explicit Log(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Reads every segment in `dir` read-only, checking framing and CRC of each
// record and the contiguity of positions. kCorruption names the first bad
// segment and offset. A torn tail is reported as corruption too (verify runs
// on a closed log, which recovery already cut clean).
// `fs`: where the segments are read (nullptr: the POSIX file system).
Result<LogStats> VerifyLog(const std::filesystem::path& dir, FileSystem* fs = nullptr);

}  // namespace duet::log

#endif  // DUET_LOG_LOG_H_
