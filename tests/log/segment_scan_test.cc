#include "log/segment_scan.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "log/file.h"
#include "log/record_codec.h"
#include "tests/log/log_test_util.h"
#include "tests/support/temp_dir.h"

namespace duet::log {
namespace {

constexpr uint64_t kMax = UINT64_MAX;

// A segment file of base `base` holding one transaction of `count` records.
Result<SegmentScan> ScanTransaction(uint64_t base, uint64_t count) {
  duet::testing::TempDir dir;
  const std::filesystem::path path = dir.path() / SegmentFileName(GlobalPosition(base));
  std::string bytes = EncodeSegmentHeader(GlobalPosition(base));
  for (uint64_t i = 0; i < count; ++i) {
    AppendRecord(testing::RecordAt(base + i, i + 1 == count).View(), &bytes);
  }
  testing::WriteFile(path, bytes);
  Result<std::unique_ptr<File>> file = DefaultFileSystem()->Open(path, OpenMode::kRead);
  if (!file.ok()) return file.status();
  return ScanSegment(**file);
}

TEST(SegmentScanTest, PositionsUpToTheLastButOneScan) {
  Result<SegmentScan> scan = ScanTransaction(kMax - 2, 2);
  ASSERT_TRUE(scan.ok()) << scan.status();
  EXPECT_EQ(scan->offsets.size(), 2u);
  EXPECT_EQ(scan->tail, TailKind::kClean);
}

// A record at 2^64 - 1 was accepted, so the next one was expected at position 0 and a segment
// whose positions wrapped around scanned clean. Caught by fuzz_segment's position invariant on
// a hand-made input, kept as tests/fuzz/regressions/fuzz_segment/positions_wrap_around.
TEST(SegmentScanTest, RecordAtTheLastPositionIsCorruption) {
  Result<SegmentScan> scan = ScanTransaction(kMax - 1, 2);
  EXPECT_TRUE(scan.status().IsCorruption()) << scan.status();
}

}  // namespace
}  // namespace duet::log
