// Whole-file helpers for small metadata files (index checkpoints, snapshots).
// Those of the embedded store go through its FileSystem (util/file_system.h);
// the forms without one use the POSIX file system.
#ifndef DUET_UTIL_FILE_UTIL_H_
#define DUET_UTIL_FILE_UTIL_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "duet/result.h"
#include "util/file_system.h"

namespace duet {

// Replaces `path` with `contents` so that a crash (or a power cut) leaves
// either the old file or the new one, never a mix: writes `path`.tmp,
// fdatasyncs it, renames it over `path`, fsyncs the directory. IOError/
// StorageFull name the path.
Status WriteFileAtomically(FileSystem& fs, const std::filesystem::path& path,
                           std::string_view contents);
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

// The whole file. NotFound if it does not exist, IOError otherwise.
Result<std::string> ReadWholeFile(FileSystem& fs, const std::filesystem::path& path);
Result<std::string> ReadWholeFile(const std::filesystem::path& path);

// fsyncs a directory so that entries created, renamed or removed in it persist.
Status SyncDirectory(const std::filesystem::path& dir);

// "open(...) of PATH: strerror" as IOError, or StorageFull for ENOSPC/EDQUOT.
Status ErrnoToStatus(std::string_view what, const std::filesystem::path& path, int error);

// Creates `dir` and whichever of its parents are missing, and fsyncs the
// parent of each folder it created: a new folder's entry persists only once
// its parent is synced, so a power cut cannot take the folder and every
// synced file in it. A folder that exists already is left as it is.
// IOError/StorageFull name the path.
Status CreateDirectoriesDurably(FileSystem& fs, const std::filesystem::path& dir);
Status CreateDirectoriesDurably(const std::filesystem::path& dir);

}  // namespace duet

#endif  // DUET_UTIL_FILE_UTIL_H_
