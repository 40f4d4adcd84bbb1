// The journal of the power-loss interposer: what a real process did to the
// files of one data folder, in the order it did it, so that after a SIGKILL
// the folder can be rolled back to what a power cut at that instant would
// have left on disk (power_loss_rollback.h). A killed process keeps the page
// cache; a power cut does not. The journal is what tells them apart.
//
// power_loss_preload.cc (an LD_PRELOAD library) appends one record per change
// to a file under $DUET_POWER_LOSS_DIR, BEFORE the change is made and while
// holding its lock, to $DUET_POWER_LOSS_JOURNAL/journal; files it must keep
// so that a change can be undone (the old target of a rename, an unlinked
// file) are hard-linked into $DUET_POWER_LOSS_JOURNAL/aside/<record index>.
// The journal folder must be on the data folder's file system (hard links).
//
// Record: a RecordHeader, then `path_length` bytes of path, then
// `other_path_length` bytes of the second path (renames), then `data_length`
// bytes of pre-image. Native byte order: the journal is read on the machine
// that wrote it. A SIGKILL can tear the last record; the reader drops it
// (the change it announced was not made yet, or is undone idempotently).
#ifndef DUET_TESTS_SUPPORT_POWER_LOSS_POWER_LOSS_JOURNAL_H_
#define DUET_TESTS_SUPPORT_POWER_LOSS_POWER_LOSS_JOURNAL_H_

#include <cstdint>

namespace duet::testing::power_loss {

// The folder whose files are journalled (absolute, no symlinks).
inline constexpr const char* kDataDirEnv = "DUET_POWER_LOSS_DIR";
// The folder that receives the journal and the aside links.
inline constexpr const char* kJournalDirEnv = "DUET_POWER_LOSS_JOURNAL";
inline constexpr const char* kJournalFileName = "journal";
inline constexpr const char* kAsideDirName = "aside";

inline constexpr uint32_t kRecordMagic = 0x4c5a4653;  // "LZFS"

enum class RecordType : uint32_t {
  kCreate = 1,   // a new regular file at `path` (open with O_CREAT of a missing name)
  kMkdir = 2,    // a new directory at `path`
  kWrite = 3,    // `inode` written at `offset`; data: the bytes it overwrote
  kResize = 4,   // `inode` resized to `offset` from `old_size`; data: the bytes cut off
  kSync = 5,     // fsync/fdatasync of `inode` returned 0, begun before record `covers_before`
  kDirSync = 6,  // fsync of the directory `path` returned 0, begun before `covers_before`
  kRename = 7,   // `path` (inode `inode`) renamed to `other_path`; `target_aside`: the old
                 // file at `other_path` is linked at aside/<this record's index>
  kUnlink = 8,   // `path` (inode `inode`) unlinked; linked at aside/<this record's index>
  kRmdir = 9,    // the (empty) directory `path` removed
};

struct RecordHeader {
  uint32_t magic = kRecordMagic;
  RecordType type = RecordType::kCreate;
  uint64_t inode = 0;
  uint64_t offset = 0;         // kWrite: where; kResize: the new size
  uint64_t old_size = 0;       // kWrite, kResize: the file's size before
  uint64_t covers_before = 0;  // kSync, kDirSync: records before this index are covered
  uint32_t target_aside = 0;   // kRename: 1 when the replaced target was linked aside
  uint32_t path_length = 0;
  uint32_t other_path_length = 0;
  uint32_t reserved = 0;
  uint64_t data_length = 0;
};
static_assert(sizeof(RecordHeader) == 64, "the journal's record header is 64 bytes");

}  // namespace duet::testing::power_loss

#endif  // DUET_TESTS_SUPPORT_POWER_LOSS_POWER_LOSS_JOURNAL_H_
