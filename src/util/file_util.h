// Whole-file helpers for small metadata files (index checkpoints, snapshots).
// Log segments have their own I/O path (src/log/file.h).
#ifndef DUET_UTIL_FILE_UTIL_H_
#define DUET_UTIL_FILE_UTIL_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "duet/result.h"

namespace duet {

// Replaces `path` with `contents` so that a crash leaves either the old file or
// the new one, never a mix: writes `path`.tmp, fdatasyncs it, renames it over
// `path`, fsyncs the directory. IOError/StorageFull name the path.
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view contents);

// The whole file. NotFound if it does not exist, IOError otherwise.
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
Status CreateDirectoriesDurably(const std::filesystem::path& dir);

}  // namespace duet

#endif  // DUET_UTIL_FILE_UTIL_H_
