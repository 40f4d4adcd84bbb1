#include "log/segment_scan.h"

#include <algorithm>
#include <string>

#include "log/log.h"
#include "log/log_format.h"
#include "log/record_codec.h"

namespace duet::log {
namespace {

constexpr size_t kReadChunk = 1 << 20;

// A window over the file, refilled on demand: records are parsed in place.
class FileWindow {
 public:
  FileWindow(const File& file, uint64_t size) : file_(file), size_(size) {}

  // Bytes from `offset` on: at least `want` of them (fewer only at end of
  // file), usually more.
  Result<std::string_view> At(uint64_t offset, size_t want) {
    want = static_cast<size_t>(std::min<uint64_t>(want, size_ - offset));
    if (offset < start_ || offset + want > start_ + buf_.size()) {
      const size_t n =
          static_cast<size_t>(std::min<uint64_t>(std::max(want, kReadChunk), size_ - offset));
      buf_.resize(n);
      DUET_ASSIGN_OR_RETURN(const size_t got, file_.ReadAt(offset, n, buf_.data()));
      if (got != n) return Status::IOError("file " + file_.path().string() + " shrank while read");
      start_ = offset;
    }
    return std::string_view(buf_).substr(static_cast<size_t>(offset - start_));
  }

  // Whether every byte from `offset` to end of file is zero.
  Result<bool> ZeroFrom(uint64_t offset) {
    while (offset < size_) {
      DUET_ASSIGN_OR_RETURN(std::string_view bytes, At(offset, kReadChunk));
      if (bytes.find_first_not_of('\0') != std::string_view::npos) return false;
      offset += bytes.size();
    }
    return true;
  }

 private:
  const File& file_;
  uint64_t size_;
  uint64_t start_ = 0;
  std::string buf_;
};

}  // namespace

const char* TailKindName(TailKind kind) {
  switch (kind) {
    case TailKind::kClean: return "clean";
    case TailKind::kShortFrame: return "frame header cut short";
    case TailKind::kZeroFill: return "zero-filled tail";
    case TailKind::kPastEnd: return "record length reaches past end of file";
    case TailKind::kBadCrcAtEnd: return "final record fails its CRC";
    case TailKind::kUncommitted: return "transaction without commit record";
  }
  return "?";
}

Status SegmentCorruption(const File& file, uint64_t offset, std::string_view what) {
  return Status::Corruption("segment " + file.path().string() + " offset " +
                            std::to_string(offset) + ": " + std::string(what));
}

Result<GlobalPosition> ReadSegmentHeader(const File& file, uint64_t file_size) {
  std::string header(kSegmentHeaderSize, '\0');
  const size_t want = static_cast<size_t>(std::min<uint64_t>(file_size, kSegmentHeaderSize));
  DUET_ASSIGN_OR_RETURN(const size_t got, file.ReadAt(0, want, header.data()));
  header.resize(got);
  Result<GlobalPosition> base = DecodeSegmentHeader(header);
  if (!base.ok()) return SegmentCorruption(file, 0, base.status().message());
  return base;
}

Result<SegmentScan> ScanSegment(const File& file) {
  SegmentScan scan;
  DUET_ASSIGN_OR_RETURN(scan.file_size, file.Size());
  DUET_ASSIGN_OR_RETURN(scan.base, ReadSegmentHeader(file, scan.file_size));
  FileWindow window(file, scan.file_size);
  uint64_t offset = kSegmentHeaderSize;
  scan.committed_end = offset;
  size_t committed_count = 0;
  GlobalPosition next = scan.base;
  auto torn = [&](TailKind kind) {
    scan.tail = kind;
    scan.tail_offset = offset;
  };
  while (offset < scan.file_size) {
    DUET_ASSIGN_OR_RETURN(std::string_view bytes, window.At(offset, kFrameHeaderSize));
    std::string_view body;
    uint32_t body_size = 0;
    FrameResult frame = ParseFrame(bytes, &body, &body_size);
    if (frame != FrameResult::kOk && frame != FrameResult::kShortHeader) {
      // Make the whole record visible before judging it.
      DUET_ASSIGN_OR_RETURN(bytes, window.At(offset, kFrameHeaderSize + size_t{body_size}));
      frame = ParseFrame(bytes, &body, &body_size);
    }
    if (frame != FrameResult::kOk) {
      DUET_ASSIGN_OR_RETURN(const bool zero, window.ZeroFrom(offset));
      if (zero) {
        torn(TailKind::kZeroFill);
        break;
      }
    }
    const uint64_t record_end = offset + kFrameHeaderSize + body_size;
    if (frame == FrameResult::kShortHeader) {
      torn(TailKind::kShortFrame);
      break;
    }
    if (frame == FrameResult::kShortBody ||
        (frame == FrameResult::kBadLength && record_end > scan.file_size)) {
      torn(TailKind::kPastEnd);
      break;
    }
    if (frame == FrameResult::kBadLength) {
      return SegmentCorruption(file, offset,
                               "record length " + std::to_string(body_size) + " out of range");
    }
    if (frame == FrameResult::kBadCrc) {
      if (record_end == scan.file_size) {
        torn(TailKind::kBadCrcAtEnd);
        break;
      }
      return SegmentCorruption(file, offset, "record CRC mismatch with more data after it");
    }
    RecordView record;
    Result<BodyKind> kind = DecodeBody(body, &record);
    if (!kind.ok()) return SegmentCorruption(file, offset, kind.status().message());
    if (*kind == BodyKind::kEvent) {
      // The last position, 2^64 - 1, is refused too: the segment's end (one
      // past its last record) would wrap to 0 and the next record would be 0.
      if (record.position.value == UINT64_MAX) {
        return SegmentCorruption(file, offset, "record position 2^64 - 1 is beyond the last");
      }
      if (record.position != next) {
        return SegmentCorruption(file, offset,
                                 "record position " + std::to_string(record.position.value) +
                                     ", expected " + std::to_string(next.value));
      }
      if (offset > UINT32_MAX) return SegmentCorruption(file, offset, "segment larger than 4 GiB");
      scan.offsets.push_back(static_cast<uint32_t>(offset));
      next = next.Next();
      if (record.commit) {
        committed_count = scan.offsets.size();
        scan.committed_end = record_end;
      }
    } else if (scan.offsets.size() == committed_count) {
      scan.committed_end = record_end;  // a skippable record outside a transaction
    }
    offset = record_end;
  }
  if (scan.tail == TailKind::kClean && scan.offsets.size() > committed_count) {
    scan.tail = TailKind::kUncommitted;
    scan.tail_offset = scan.offsets[committed_count];
  }
  scan.offsets.resize(committed_count);
  return scan;
}

}  // namespace duet::log
