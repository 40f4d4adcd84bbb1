// Fuzz target: arbitrary bytes as a log segment file, through the record
// decoder, the segment scanner and recovery on open (src/log, docs/format.md).
// The first input byte picks how the rest becomes the file:
//   0  as it is (header included);
//   1  a valid header, then the rest as records;
//   2  a valid header, then the rest cut into bodies (u16 length each) that
//      the target frames with a good length and CRC, so the fuzzer reaches
//      the body decoder and the transaction rules behind the checksums.
// The second byte picks the header's base position (modes 1 and 2).
// Invariants: only Corruption, never a crash; every committed record the scan
// yields passes its CRC, decodes, has the next position and re-encodes to the
// same fields; the committed part is a prefix that scans clean on its own;
// recovery cuts the file to exactly that prefix, and a second recovery finds
// nothing to cut; scanning twice gives the same answer.
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "log/file.h"
#include "log/log.h"
#include "log/log_format.h"
#include "log/record_codec.h"
#include "log/recovery.h"
#include "log/segment_scan.h"
#include "tests/fuzz/fuzz_check.h"
#include "util/crc32c.h"

namespace {

namespace fs = std::filesystem;
using namespace duet;       // NOLINT: a test file over many duet names
using namespace duet::log;  // NOLINT

// Files in memory: a fuzz target writes nothing to disk, and runs fast.
class MemoryFile : public File {
 public:
  MemoryFile(fs::path path, std::shared_ptr<std::string> bytes)
      : File(std::move(path)), bytes_(std::move(bytes)) {}
  Status WriteAt(uint64_t offset, std::string_view data) override {
    if (bytes_->size() < offset + data.size()) bytes_->resize(offset + data.size());
    bytes_->replace(offset, data.size(), data);
    return Status::OK();
  }
  Result<size_t> ReadAt(uint64_t offset, size_t n, char* scratch) const override {
    if (offset >= bytes_->size()) return size_t{0};
    const size_t got = std::min<size_t>(n, bytes_->size() - offset);
    bytes_->copy(scratch, got, offset);
    return got;
  }
  Status Sync() override { return Status::OK(); }
  Status Truncate(uint64_t size) override {
    bytes_->resize(size);
    return Status::OK();
  }
  Result<uint64_t> Size() const override { return uint64_t{bytes_->size()}; }

 private:
  std::shared_ptr<std::string> bytes_;
};

class MemoryFileSystem : public FileSystem {
 public:
  Result<std::unique_ptr<File>> Open(const fs::path& path, OpenMode mode) override {
    auto it = files_.find(path);
    if (it == files_.end()) {
      if (mode == OpenMode::kRead || mode == OpenMode::kReadWrite) {
        return Status::IOError("open " + path.string() + ": no such file");
      }
      it = files_.emplace(path, std::make_shared<std::string>()).first;
    } else if (mode == OpenMode::kCreateNew) {
      return Status::IOError("open " + path.string() + ": exists");
    } else if (mode == OpenMode::kCreateTrunc) {
      it->second->clear();
    }
    return std::unique_ptr<File>(new MemoryFile(path, it->second));
  }
  Status CreateDir(const fs::path&) override { return Status::OK(); }
  Status SyncDir(const fs::path&) override { return Status::OK(); }
  Status Rename(const fs::path& from, const fs::path& to) override {
    auto it = files_.find(from);
    if (it == files_.end()) return Status::IOError("rename: no such file");
    files_[to] = it->second;
    files_.erase(from);
    return Status::OK();
  }
  Status Remove(const fs::path& path) override {
    files_.erase(path);
    return Status::OK();
  }
  Result<std::vector<std::string>> ListDir(const fs::path& dir) override {
    std::vector<std::string> names;
    for (const auto& [path, bytes] : files_) {
      if (path.parent_path() == dir) names.push_back(path.filename().string());
    }
    return names;
  }
  std::shared_ptr<std::string> Add(const fs::path& path, std::string bytes) {
    auto shared = std::make_shared<std::string>(std::move(bytes));
    files_[path] = shared;
    return shared;
  }

 private:
  std::map<fs::path, std::shared_ptr<std::string>> files_;
};

const fs::path kDir = "/log";

bool SameScan(const SegmentScan& a, const SegmentScan& b) {
  return a.base == b.base && a.offsets == b.offsets && a.file_size == b.file_size &&
         a.committed_end == b.committed_end && a.tail == b.tail && a.tail_offset == b.tail_offset;
}

// Frames each u16-length-prefixed body of `rest` with its length and CRC.
std::string FrameBodies(std::string_view rest) {
  std::string out;
  while (rest.size() >= 2) {
    size_t len = static_cast<uint8_t>(rest[0]) | (static_cast<uint8_t>(rest[1]) << 8);
    rest.remove_prefix(2);
    len = std::min(len, rest.size());
    const std::string_view body = rest.substr(0, len);
    rest.remove_prefix(len);
    const uint32_t crc = crc32c::Mask(crc32c::Value(body.data(), body.size()));
    const auto size = static_cast<uint32_t>(body.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((size >> (8 * i)) & 0xFF));
    out.append(body);
  }
  return out;
}

// The committed records of a successful scan, checked one by one.
void CheckCommittedRecords(std::string_view file, const SegmentScan& scan) {
  DUET_FUZZ_CHECK(scan.committed_end <= scan.file_size, "committed end past the file");
  DUET_FUZZ_CHECK(scan.committed_end >= kSegmentHeaderSize, "committed end inside the header");
  DUET_FUZZ_CHECK(scan.tail != TailKind::kClean || scan.committed_end == scan.file_size,
                  "a clean tail with bytes after the committed end");
  uint64_t previous_end = kSegmentHeaderSize;
  for (size_t i = 0; i < scan.offsets.size(); ++i) {
    const uint64_t offset = scan.offsets[i];
    DUET_FUZZ_CHECK(offset >= previous_end, "record offsets overlap or fall");
    DUET_FUZZ_CHECK(offset < scan.committed_end, "a committed record past the committed end");
    std::string_view body;
    uint32_t body_size = 0;
    DUET_FUZZ_CHECK(ParseFrame(file.substr(offset), &body, &body_size) == FrameResult::kOk,
                    "a committed record fails its frame checks");
    RecordView record;
    const Result<BodyKind> kind = DecodeBody(body, &record);
    DUET_FUZZ_CHECK(kind.ok() && *kind == BodyKind::kEvent, "a committed record does not decode");
    DUET_FUZZ_CHECK(scan.base.value <= std::numeric_limits<uint64_t>::max() - i,
                    "record positions wrap around");
    DUET_FUZZ_CHECK(record.position.value == scan.base.value + i, "a record out of position");
    previous_end = offset + kFrameHeaderSize + body_size;
    DUET_FUZZ_CHECK(previous_end <= scan.committed_end, "a committed record ends past the end");
    if (i + 1 == scan.offsets.size()) {
      DUET_FUZZ_CHECK(record.commit, "the last committed record has no commit flag");
    }
    // Encoding the decoded record again gives back the same fields.
    std::string again;
    AppendRecord(record, &again);
    std::string_view again_body;
    RecordView again_record;
    DUET_FUZZ_CHECK(ParseFrame(again, &again_body, &body_size) == FrameResult::kOk,
                    "a re-encoded record fails its frame checks");
    DUET_FUZZ_CHECK(DecodeBody(again_body, &again_record).ok(), "a re-encoded record fails");
    DUET_FUZZ_CHECK(
        again_record.position == record.position && again_record.version == record.version &&
            again_record.timestamp_us == record.timestamp_us && again_record.id == record.id &&
            again_record.commit == record.commit && again_record.stream == record.stream &&
            again_record.type == record.type && again_record.data == record.data &&
            again_record.metadata == record.metadata,
        "a re-encoded record reads back different");
  }
}

Result<SegmentScan> Scan(const std::string& bytes) {
  const MemoryFile file(kDir / "scan.seg", std::make_shared<std::string>(bytes));
  return ScanSegment(file);
}

void CheckRecovery(const std::string& bytes, GlobalPosition name_base,
                   const Result<SegmentScan>& scan) {
  MemoryFileSystem fs;
  const fs::path path = kDir / SegmentFileName(name_base);
  std::shared_ptr<std::string> stored = fs.Add(path, bytes);
  Result<RecoveredLog> recovered = RecoverLog(&fs, kDir);
  if (bytes.size() < kSegmentHeaderSize) {
    // A roll cut short: the headerless segment is removed, nothing else.
    DUET_FUZZ_CHECK(recovered.ok() && recovered->segments.empty(),
                    "a headerless last segment is not dropped");
    return;
  }
  if (!scan.ok()) {
    DUET_FUZZ_CHECK(!recovered.ok() && recovered.status().IsCorruption(),
                    "recovery accepts a segment the scan refuses");
    return;
  }
  if (scan->base != name_base) {
    DUET_FUZZ_CHECK(!recovered.ok() && recovered.status().IsCorruption(),
                    "recovery accepts a segment whose header does not match its name");
    return;
  }
  if (scan->base != GlobalPosition(1)) {
    DUET_FUZZ_CHECK(!recovered.ok() && recovered.status().IsCorruption(),
                    "recovery accepts a log that does not start at position 1");
    return;
  }
  DUET_FUZZ_CHECK(recovered.ok(), "recovery refuses a segment the scan accepts");
  DUET_FUZZ_CHECK(recovered->segments.size() == 1, "recovery lost the segment");
  DUET_FUZZ_CHECK(recovered->segments[0]->offsets() == scan->offsets,
                  "recovery kept other records than the scan committed");
  DUET_FUZZ_CHECK(stored->size() == scan->committed_end, "recovery cut elsewhere than the scan");
  DUET_FUZZ_CHECK(recovered->report.truncated_bytes == bytes.size() - scan->committed_end,
                  "recovery reports a different cut");
  DUET_FUZZ_CHECK(bytes.compare(0, stored->size(), *stored) == 0,
                  "recovery left other than a prefix of the file");
  recovered->segments.clear();  // closes the file before it is opened again

  Result<RecoveredLog> again = RecoverLog(&fs, kDir);
  DUET_FUZZ_CHECK(again.ok(), "a recovered log does not open again");
  DUET_FUZZ_CHECK(again->report.truncated_bytes == 0, "a second recovery cuts again");
  DUET_FUZZ_CHECK(again->segments.size() == 1 && again->segments[0]->offsets() == scan->offsets,
                  "a second recovery finds other records");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static constexpr uint64_t kBases[] = {1,
                                        2,
                                        1000,
                                        uint64_t{1} << 32,
                                        std::numeric_limits<uint64_t>::max() - 1,
                                        std::numeric_limits<uint64_t>::max()};
  const uint8_t mode = data[0] % 3;
  const GlobalPosition base(kBases[data[1] % 6]);
  const std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::string bytes;
  if (mode == 0) {
    bytes.assign(rest);
  } else {
    bytes = EncodeSegmentHeader(base);
    bytes += mode == 1 ? std::string(rest) : FrameBodies(rest);
  }

  const Result<SegmentScan> scan = Scan(bytes);
  const Result<SegmentScan> scan_again = Scan(bytes);
  DUET_FUZZ_CHECK(scan.ok() == scan_again.ok(), "scanning twice gives different answers");
  if (scan.ok()) {
    DUET_FUZZ_CHECK(SameScan(*scan, *scan_again), "scanning twice gives different answers");
    CheckCommittedRecords(bytes, *scan);
    // The committed part alone is a whole, clean segment with the same records.
    const Result<SegmentScan> prefix = Scan(bytes.substr(0, scan->committed_end));
    DUET_FUZZ_CHECK(prefix.ok(), "the committed prefix does not scan");
    DUET_FUZZ_CHECK(prefix->tail == TailKind::kClean, "the committed prefix has a torn tail");
    DUET_FUZZ_CHECK(prefix->offsets == scan->offsets, "the committed prefix has other records");
  } else {
    DUET_FUZZ_CHECK(scan.status().IsCorruption(), "a bad segment must be corruption");
    DUET_FUZZ_CHECK(scan.status() == scan_again.status(), "scanning twice gives other errors");
  }
  CheckRecovery(bytes, mode == 0 ? GlobalPosition(1) : base, scan);
  return 0;
}
