// SqliteStoreFile: what every SQLite read store shares (docs/format.md, "Read
// stores"): the folder lock, `store.db` in WAL mode with synchronous=NORMAL,
// the duet_meta table (format version, kind, checkpoint) and the duet_parked
// table, one writer connection and a small pool of reader connections.
//
// A batch opens the writer's SQLite transaction at BeginBatch (deferred: it
// reads until the first write) so the transaction's reads of committed state
// share one snapshot instead of paying for one implicit transaction each;
// Commit writes the store's changes, the parked-event changes and the new
// checkpoint and commits; AbortBatch rolls back. Reads go through
// Read, which runs in one read transaction and hands the reader the
// checkpoint of the same snapshot, so every answer names the position it
// reflects. In WAL mode readers never block the writer nor the writer them.
//
// Thread-safe: Commit and UseWriter serialize on the writer mutex; Read may
// be called from any number of threads (up to kMaxReaders run at once, more
// wait for a free connection).
#ifndef DUET_READSTORE_SQLITE_STORE_FILE_H_
#define DUET_READSTORE_SQLITE_STORE_FILE_H_

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "duet/read_store.h"
#include "readstore/sqlite_db.h"
#include "readstore/txn_base.h"
#include "util/lock_file.h"
#include "util/thread_annotations.h"

namespace duet::readstore {

// The format version of a store of `kind` (docs/format.md, "Read stores"):
// document 1; search 2 (term counts, ids given out downwards); analytics 2
// (rollups per bucket size).
constexpr int ReadStoreFormatVersion(ReadStoreKind kind) {
  return kind == ReadStoreKind::kDocument ? 1 : 2;
}
inline constexpr const char* kStoreFileName = "store.db";
// flock'd by the store's opener (src/util/lock_file.h), so that one process
// at a time opens, replaces or removes the store's files.
inline constexpr const char* kLockFileName = "LOCK";

class SqliteStoreFile {
 public:
  static constexpr size_t kMaxReaders = 8;

  // Opens (creating when missing) the store of `kind` in `dir`. A new file
  // gets the shared tables plus `schema_sql`, the kind's own tables. Errors:
  // kBusy (folder locked by another holder), kCorruption (not a SQLite file,
  // or not a Duet read store), kFailedPrecondition (another kind, or another
  // format version), kIOError.
  static Result<std::unique_ptr<SqliteStoreFile>> Open(const std::filesystem::path& dir,
                                                       ReadStoreKind kind, const char* schema_sql);
  ~SqliteStoreFile();

  GlobalPosition checkpoint() const { return GlobalPosition(checkpoint_.load()); }

  // Opens the batch's transaction on the writer. REQUIRES: no batch open.
  Status BeginBatch();
  // Rolls back the open batch, if any.
  void AbortBatch();

  // Commits `write`'s changes, `park_ops` and `checkpoint` in the open
  // batch's transaction, or rolls it all back; either way the batch ends. `publish`, when given,
  // runs the final SQLite COMMIT it is passed and updates the store's in-memory state in the same
  // critical section (so a cache never lags the file); it must return the
  // COMMIT's Status. Errors: kFailedPrecondition when checkpoint is behind;
  // SQLite errors (nothing committed).
  using CommitFn = std::function<Status()>;
  Status Commit(GlobalPosition checkpoint, const std::vector<ParkOp>& park_ops,
                const std::function<Status(Connection&)>& write,
                const std::function<Status(const CommitFn& commit)>& publish = nullptr);

  // Runs `fn` on the writer connection, inside the open batch: for the
  // writer's own reads of committed state (a transaction's Get).
  Status UseWriter(const std::function<Status(Connection&)>& fn);

  // Runs `read` in one read transaction on a pooled reader connection, with
  // the checkpoint of that transaction's snapshot.
  Status Read(const std::function<Status(Connection&, GlobalPosition)>& read);

  Result<std::vector<ParkedEvent>> Parked();

 private:
  SqliteStoreFile(std::unique_ptr<LockFile> lock, std::filesystem::path file,
                  std::unique_ptr<Connection> writer, GlobalPosition checkpoint);

  Status ApplyParkOps(Connection& db, const std::vector<ParkOp>& ops);
  void RollbackLocked() REQUIRES(writer_mu_);
  Result<std::unique_ptr<Connection>> AcquireReader();
  void ReleaseReader(std::unique_ptr<Connection> reader);

  std::unique_ptr<LockFile> lock_;
  const std::filesystem::path file_;
  std::mutex writer_mu_;
  std::unique_ptr<Connection> writer_ GUARDED_BY(writer_mu_);
  bool batch_open_ GUARDED_BY(writer_mu_) = false;
  std::atomic<uint64_t> checkpoint_;

  std::mutex readers_mu_;
  std::condition_variable reader_freed_;
  std::vector<std::unique_ptr<Connection>> idle_readers_ GUARDED_BY(readers_mu_);
  size_t open_readers_ GUARDED_BY(readers_mu_) = 0;
};

// Rolls back the batch of `file` unless it was committed; held by a
// store's transaction so that destroying an uncommitted one discards it.
class BatchGuard {
 public:
  explicit BatchGuard(SqliteStoreFile* file) : file_(file) {}
  ~BatchGuard() { file_->AbortBatch(); }
  BatchGuard(const BatchGuard&) = delete;
  BatchGuard& operator=(const BatchGuard&) = delete;

 private:
  SqliteStoreFile* file_;
};

}  // namespace duet::readstore

#endif  // DUET_READSTORE_SQLITE_STORE_FILE_H_
