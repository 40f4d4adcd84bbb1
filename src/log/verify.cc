// VerifyLog: a read-only check of a closed log directory.
#include "log/file.h"
#include "log/log.h"
#include "log/record_codec.h"
#include "log/recovery.h"
#include "log/segment_scan.h"

namespace duet::log {

Result<LogStats> VerifyLog(const std::filesystem::path& dir, FileSystem* fs) {
  if (fs == nullptr) fs = DefaultFileSystem();
  DUET_ASSIGN_OR_RETURN(std::vector<GlobalPosition> bases, ListSegments(fs, dir));
  LogStats stats;
  GlobalPosition expected(1);
  for (GlobalPosition base : bases) {
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                          fs->Open(dir / SegmentFileName(base), OpenMode::kRead));
    DUET_ASSIGN_OR_RETURN(SegmentScan scan, ScanSegment(*file));
    if (scan.base != base) {
      return SegmentCorruption(*file, 0, "header base position does not match the file name");
    }
    if (scan.base != expected) {
      return SegmentCorruption(*file, 0,
                               "segment starts at position " + std::to_string(base.value) +
                                   ", expected " + std::to_string(expected.value));
    }
    if (scan.tail != TailKind::kClean) {
      return SegmentCorruption(*file, scan.tail_offset, TailKindName(scan.tail));
    }
    expected = GlobalPosition(base.value + scan.offsets.size());
    stats.segments += 1;
    stats.bytes += scan.file_size;
  }
  stats.head = GlobalPosition(expected.value - 1);
  return stats;
}

}  // namespace duet::log
