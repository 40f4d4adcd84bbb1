// Recovery on open (docs/format.md, "Recovery"): finds the segments of a log
// directory, checks their headers and contiguity, loads sealed segments'
// offsets (from the sidecar index, else by a full scan that rewrites it) and
// cuts a torn tail off the last segment.
//
// Thread-compatible: runs before the log is shared.
#ifndef DUET_LOG_RECOVERY_H_
#define DUET_LOG_RECOVERY_H_

#include <filesystem>
#include <memory>
#include <vector>

#include "duet/result.h"
#include "log/file.h"
#include "log/log.h"
#include "log/segment.h"

namespace duet::log {

struct RecoveredLog {
  std::vector<std::unique_ptr<Segment>> segments;  // by base; may be empty
  RecoveryReport report;
};

// Segment bases found in `dir`, ascending.
Result<std::vector<GlobalPosition>> ListSegments(FileSystem* fs, const std::filesystem::path& dir);

Result<RecoveredLog> RecoverLog(FileSystem* fs, const std::filesystem::path& dir);

}  // namespace duet::log

#endif  // DUET_LOG_RECOVERY_H_
