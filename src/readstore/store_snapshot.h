// Consistent copies of a SQLite read store's file, for projection snapshots
// (docs/format.md, "Projection snapshots"), and the check a copy must pass
// before it is trusted again. The file-level steps behind the public
// snapshot, restore and remove functions of include/duet/read_store.h ("a
// persistent store's files"), which store_snapshot.cc implements too; only
// this folder and tests use these directly.
//
// Thread-safe: each call opens its own read-only connection. A copy reads in
// one read transaction, so in WAL mode it neither blocks the store's writer
// nor sees a half-committed batch: the copy's duet_meta checkpoint matches
// its data.
#ifndef DUET_READSTORE_STORE_SNAPSHOT_H_
#define DUET_READSTORE_STORE_SNAPSHOT_H_

#include <filesystem>

#include "duet/read_store.h"
#include "duet/result.h"
#include "duet/status.h"
#include "duet/types.h"

namespace duet::readstore {

// Copies the store.db of the read store in `store_dir` (open or not) into
// the new file `to` (VACUUM INTO, then fsync of the file; the caller renames
// it into place and syncs the folder). Errors: kFailedPrecondition when
// `store_dir` is empty (a memory store has no file) or `to` exists;
// kNotFound when there is no store.db; SQLite errors.
Status SnapshotStoreFile(const std::filesystem::path& store_dir, const std::filesystem::path& to);

// Checks that `file` is a whole, readable read store of `kind` in this
// build's format (PRAGMA quick_check, the Duet application id, duet_meta)
// and returns its checkpoint. A truncated or damaged copy gives
// kCorruption; another kind or format version kFailedPrecondition. SQLite's
// "out of memory" stays kIOError even when a damaged file caused it (SQLite
// refuses oversized allocations; it cannot tell those from memory pressure).
Result<GlobalPosition> CheckStoreFile(const std::filesystem::path& file, ReadStoreKind kind);

}  // namespace duet::readstore

#endif  // DUET_READSTORE_STORE_SNAPSHOT_H_
