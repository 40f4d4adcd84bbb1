// Reading a whole segment file record by record, checking everything: the
// shared core of recovery on open (for the last segment and for sealed
// segments without a usable sidecar) and of VerifyLog.
//
// Thread-compatible: pure functions over a File.
#ifndef DUET_LOG_SEGMENT_SCAN_H_
#define DUET_LOG_SEGMENT_SCAN_H_

#include <cstdint>
#include <string>
#include <vector>

#include "duet/result.h"
#include "duet/types.h"
#include "log/file.h"

namespace duet::log {

// What follows the last committed transaction of a segment (docs/format.md,
// "Recovery"). Everything but kClean is a torn tail.
enum class TailKind : uint8_t {
  kClean,        // the file ends right after a commit record (or the header)
  kShortFrame,   // fewer than 8 bytes left for a frame header
  kZeroFill,     // only zero bytes from a frame start to end of file
  kPastEnd,      // a length field reaching past the end of the file
  kBadCrcAtEnd,  // the file's final record fails its CRC
  kUncommitted,  // valid records whose transaction has no commit record
};

const char* TailKindName(TailKind kind);

struct SegmentScan {
  GlobalPosition base;
  std::vector<uint32_t> offsets;  // committed event records only
  uint64_t file_size = 0;
  uint64_t committed_end = 0;  // byte just past the last committed record
  TailKind tail = TailKind::kClean;
  uint64_t tail_offset = 0;  // where the torn record itself starts
};

// "segment <path> offset <n>: <what>" as kCorruption.
Status SegmentCorruption(const File& file, uint64_t offset, std::string_view what);

// Reads and validates the header of `file`, which is `file_size` bytes long.
Result<GlobalPosition> ReadSegmentHeader(const File& file, uint64_t file_size);

// Scans `file` from its header to its end. Corruption (naming the file and
// byte offset) for a bad header, a bad record with data after it, an unknown
// non-skippable record type or a non-contiguous position; a torn tail is not
// an error here but described in the result.
Result<SegmentScan> ScanSegment(const File& file);

}  // namespace duet::log

#endif  // DUET_LOG_SEGMENT_SCAN_H_
