#include "log/recovery.h"

#include <algorithm>
#include <set>
#include <string>

#include "log/log_format.h"
#include "log/record_codec.h"
#include "log/segment_index.h"
#include "log/segment_scan.h"

namespace duet::log {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A sealed segment: its header must match its name and position, and its
// records end at a commit. The sidecar index is trusted when it matches the
// file's base and size (records are still CRC-checked on every read).
Result<std::unique_ptr<Segment>> OpenSealed(FileSystem* fs, const std::filesystem::path& dir,
                                            std::unique_ptr<File> file, GlobalPosition base,
                                            uint64_t size) {
  Result<std::vector<uint32_t>> offsets = LoadSegmentIndex(fs, dir, base, size);
  if (!offsets.ok()) {
    DUET_ASSIGN_OR_RETURN(SegmentScan scan, ScanSegment(*file));
    if (scan.tail != TailKind::kClean) {
      return SegmentCorruption(
          *file, scan.tail_offset,
          std::string(TailKindName(scan.tail)) + " in a segment followed by another");
    }
    offsets = std::move(scan.offsets);
    // Best effort: without the sidecar the next open scans again.
    (void)WriteSegmentIndex(fs, dir, base, size, *offsets);
  }
  return std::make_unique<Segment>(base, std::move(file), std::move(*offsets), size);
}

// The last segment: scanned in full; a torn tail is cut off and reported.
Result<std::unique_ptr<Segment>> OpenActive(FileSystem* fs, const std::filesystem::path& dir,
                                            std::unique_ptr<File> file, bool has_sidecar,
                                            RecoveryReport* report) {
  DUET_ASSIGN_OR_RETURN(SegmentScan scan, ScanSegment(*file));
  // A sidecar would describe an older length of this segment once it grows.
  if (has_sidecar) DUET_RETURN_IF_ERROR(fs->Remove(dir / IndexFileName(scan.base)));
  if (scan.committed_end < scan.file_size) {
    DUET_RETURN_IF_ERROR(file->Truncate(scan.committed_end));
    DUET_RETURN_IF_ERROR(file->Sync());
    report->truncated_bytes = scan.file_size - scan.committed_end;
    report->truncated_segment = SegmentFileName(scan.base);
    report->truncated_at = scan.committed_end;
  }
  return std::make_unique<Segment>(scan.base, std::move(file), std::move(scan.offsets),
                                   scan.committed_end);
}

}  // namespace

Result<std::vector<GlobalPosition>> ListSegments(FileSystem* fs, const std::filesystem::path& dir) {
  DUET_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  std::vector<GlobalPosition> bases;
  for (const std::string& name : names) {
    GlobalPosition base;
    if (ParseSegmentFileName(name, &base)) bases.push_back(base);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

Result<RecoveredLog> RecoverLog(FileSystem* fs, const std::filesystem::path& dir) {
  RecoveredLog log;
  DUET_ASSIGN_OR_RETURN(std::vector<std::string> names, fs->ListDir(dir));
  std::set<std::string> sidecars;
  for (const std::string& name : names) {
    if (EndsWith(name, std::string(kIndexSuffix) + std::string(kTempSuffix))) {
      DUET_RETURN_IF_ERROR(fs->Remove(dir / name));  // a sidecar write cut short
    } else if (EndsWith(name, kIndexSuffix)) {
      sidecars.insert(name);
    }
  }
  DUET_ASSIGN_OR_RETURN(std::vector<GlobalPosition> bases, ListSegments(fs, dir));
  if (!bases.empty()) {
    // A roll cut short before the new segment's header was durable: nothing
    // in that segment was ever acknowledged, so it goes.
    const std::filesystem::path path = dir / SegmentFileName(bases.back());
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(path, OpenMode::kRead));
    DUET_ASSIGN_OR_RETURN(const uint64_t size, file->Size());
    if (size < kSegmentHeaderSize) {
      file.reset();
      DUET_RETURN_IF_ERROR(fs->Remove(path));
      DUET_RETURN_IF_ERROR(fs->SyncDir(dir));
      log.report = {size, SegmentFileName(bases.back()), 0};
      bases.pop_back();
    }
  }
  GlobalPosition expected(1);
  for (size_t i = 0; i < bases.size(); ++i) {
    const bool last = i + 1 == bases.size();
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                          fs->Open(dir / SegmentFileName(bases[i]), OpenMode::kReadWrite));
    DUET_ASSIGN_OR_RETURN(const uint64_t size, file->Size());
    DUET_ASSIGN_OR_RETURN(const GlobalPosition base, ReadSegmentHeader(*file, size));
    if (base != bases[i]) {
      return SegmentCorruption(
          *file, 0,
          "header base position " + std::to_string(base.value) + " does not match the file name");
    }
    if (base != expected) {
      return SegmentCorruption(*file, 0,
                               "segment starts at position " + std::to_string(base.value) +
                                   ", expected " + std::to_string(expected.value) +
                                   " (gap between segments)");
    }
    std::unique_ptr<Segment> segment;
    if (last) {
      const bool has_sidecar = sidecars.count(IndexFileName(base)) > 0;
      DUET_ASSIGN_OR_RETURN(segment,
                            OpenActive(fs, dir, std::move(file), has_sidecar, &log.report));
    } else {
      DUET_ASSIGN_OR_RETURN(segment, OpenSealed(fs, dir, std::move(file), base, size));
    }
    expected = segment->end();
    log.segments.push_back(std::move(segment));
  }
  return log;
}

}  // namespace duet::log
