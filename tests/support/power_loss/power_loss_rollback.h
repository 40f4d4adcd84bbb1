// Rolls a data folder back to what a power cut would have left of it, from
// the journal power_loss_preload.cc wrote while a process (killed since)
// changed it. Model (per POSIX and the LazyFS/RocksDB fault-injection tests):
//   - file data: a write or size change survives only if an fsync or
//     fdatasync of the file began after it and returned 0; otherwise its
//     pre-image is put back (appends are cut to the last synced length,
//     in-place overwrites such as SQLite's restarted WAL get their old bytes);
//   - directory entries: a created file or directory, a rename or an unlink
//     survives only if an fsync of each directory it changed began after it
//     and returned 0; otherwise it is undone (the new name removed, the
//     rename reversed and a replaced target brought back, the unlinked file
//     linked again, the removed directory made again).
// Data and names are rolled back separately (data by inode, first; then
// names in reverse order), since a file's data and its name are made durable
// by different syncs. Not modelled: torn writes (a write is all or nothing),
// a removed directory's mode (made again 0755), and what power_loss_preload.cc does not see (its
// header lists it).
#ifndef DUET_TESTS_SUPPORT_POWER_LOSS_POWER_LOSS_ROLLBACK_H_
#define DUET_TESTS_SUPPORT_POWER_LOSS_POWER_LOSS_ROLLBACK_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "duet/result.h"

namespace duet::testing::power_loss {

struct RollbackSummary {
  uint64_t records = 0;      // journal records read
  bool torn_tail = false;    // the last record was cut short by the kill (and dropped)
  uint64_t data_undone = 0;  // writes and size changes not covered by a sync
  // creates, mkdirs, renames, unlinks and rmdirs not covered by a directory sync
  uint64_t entries_undone = 0;
  uint64_t unresolved = 0;  // unsynced data of files no longer reachable (left as they are)
  std::vector<std::string> entries;  // the entries undone, e.g. "create log/segment"

  std::string Describe() const;
};

// Rolls `data_dir` back to its durable state as described by the journal in
// `journal_dir`, then empties `journal_dir` (so the next run starts a new
// journal from a durable folder). REQUIRES: the process that wrote the
// journal is dead. Errors: kNotFound (no journal), kCorruption (a record
// other than the last is malformed), kIOError (a file could not be restored).
Result<RollbackSummary> RollBackToDurableState(const std::filesystem::path& data_dir,
                                               const std::filesystem::path& journal_dir);

}  // namespace duet::testing::power_loss

#endif  // DUET_TESTS_SUPPORT_POWER_LOSS_POWER_LOSS_ROLLBACK_H_
