// Segment rolls and the sidecar offset index of sealed segments.
#include <gtest/gtest.h>

#include "log/log.h"
#include "log/log_format.h"
#include "log/recovery.h"
#include "tests/log/log_test_util.h"
#include "tests/support/temp_dir.h"

namespace duet::log {
namespace {

using testing::AppendTxn;
using testing::OpenOrDie;
using testing::Options;
using testing::ReadAll;
using testing::RecordAt;

constexpr uint64_t kSegmentSize = 4096;

class SegmentRollTest : public ::testing::Test {
 protected:
  // Appends 300 transactions of 1-4 records; returns the last position.
  uint64_t Fill() {
    auto log = OpenOrDie(dir_, Options(Durability::Mode::kNone, kSegmentSize));
    uint64_t next = 1;
    for (int i = 0; i < 300; ++i) {
      const uint64_t count = 1 + i % 4;
      EXPECT_TRUE(AppendTxn(*log, next, count).ok());
      next += count;
    }
    return next - 1;
  }
  std::vector<GlobalPosition> Bases() {
    auto bases = ListSegments(DefaultFileSystem(), dir_);
    EXPECT_TRUE(bases.ok());
    return bases.ok() ? *bases : std::vector<GlobalPosition>{};
  }
  std::filesystem::path IndexPath(GlobalPosition base) { return dir_ / IndexFileName(base); }

  duet::testing::TempDir tmp_;
  std::filesystem::path dir_ = tmp_ / "log";
};

TEST_F(SegmentRollTest, RollsAndReadsBackAfterReopen) {
  const uint64_t last = Fill();
  EXPECT_GT(Bases().size(), 5u);
  auto log = OpenOrDie(dir_, Options(Durability::Mode::kNone, kSegmentSize));
  const auto records = ReadAll(*log);
  ASSERT_EQ(records.size(), last);
  for (uint64_t p = 1; p <= last; ++p) ASSERT_EQ(records[p - 1].position, p);
}

TEST_F(SegmentRollTest, SegmentsStartAtTransactionBoundaries) {
  Fill();
  auto log = OpenOrDie(dir_, Options());
  const auto records = ReadAll(*log);
  for (GlobalPosition base : Bases()) {
    if (base.value == 1) continue;
    EXPECT_TRUE(records[base.value - 2].commit) << "segment " << base.value;
  }
}

TEST_F(SegmentRollTest, SegmentExceedsTheSizeByAtMostOneTransaction) {
  Fill();
  const auto bases = Bases();
  for (size_t i = 0; i + 1 < bases.size(); ++i) {
    const uint64_t size = std::filesystem::file_size(testing::SegmentPath(dir_, bases[i].value));
    EXPECT_GE(size, kSegmentSize);
    EXPECT_LT(size, kSegmentSize + 4 * 200);  // a transaction here is < 4 * 200 bytes
  }
}

TEST_F(SegmentRollTest, SealedSegmentsHaveSidecarsAndTheActiveOneNone) {
  Fill();
  const auto bases = Bases();
  for (size_t i = 0; i < bases.size(); ++i) {
    EXPECT_EQ(std::filesystem::exists(IndexPath(bases[i])), i + 1 < bases.size()) << i;
  }
}

TEST_F(SegmentRollTest, OpenTrustsTheSidecarInsteadOfScanning) {
  Fill();
  // A damaged record in a sealed segment: open, which only reads the sidecar,
  // does not see it; a read of that record does.
  const auto path = testing::SegmentPath(dir_, 1);
  std::string bytes = testing::ReadFile(path);
  bytes[kSegmentHeaderSize + 20] ^= 0x01;
  testing::WriteFile(path, bytes);
  auto log = OpenOrDie(dir_, Options(Durability::Mode::kNone, kSegmentSize));
  const Status s = log->Scan(GlobalPosition(1), 1, [](const RecordView&) { return true; });
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("00000000000000000001.seg offset 64"), std::string::npos) << s;
}

TEST_F(SegmentRollTest, WithoutTheSidecarOpenScansTheSegment) {
  Fill();
  const auto path = testing::SegmentPath(dir_, 1);
  std::string bytes = testing::ReadFile(path);
  bytes[kSegmentHeaderSize + 20] ^= 0x01;
  testing::WriteFile(path, bytes);
  std::filesystem::remove(IndexPath(GlobalPosition(1)));
  EXPECT_TRUE(Log::Open(dir_, Options()).status().IsCorruption());
}

TEST_F(SegmentRollTest, DeletedSidecarIsRebuilt) {
  const uint64_t last = Fill();
  const std::string original = testing::ReadFile(IndexPath(GlobalPosition(1)));
  std::filesystem::remove(IndexPath(GlobalPosition(1)));
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(testing::ReadFile(IndexPath(GlobalPosition(1))), original);
  EXPECT_EQ(ReadAll(*log).size(), last);
}

TEST_F(SegmentRollTest, DamagedSidecarIsRebuilt) {
  const uint64_t last = Fill();
  const auto bases = Bases();
  const auto index = IndexPath(bases[1]);
  const std::string original = testing::ReadFile(index);
  std::string damaged = original;
  damaged[damaged.size() / 2] ^= 0x40;
  testing::WriteFile(index, damaged);
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(testing::ReadFile(index), original);
  const auto records = ReadAll(*log);
  ASSERT_EQ(records.size(), last);
  EXPECT_EQ(records[bases[1].value - 1],
            RecordAt(bases[1].value, records[bases[1].value - 1].commit));
}

TEST_F(SegmentRollTest, LeftoverTemporarySidecarIsRemoved) {
  Fill();
  const auto temp = dir_ / (IndexFileName(GlobalPosition(1)) + ".tmp");
  testing::WriteFile(temp, "half");
  auto log = OpenOrDie(dir_, Options());
  EXPECT_FALSE(std::filesystem::exists(temp));
}

TEST_F(SegmentRollTest, AppendingAfterReopenContinuesInTheLastSegment) {
  const uint64_t last = Fill();
  const size_t segments = Bases().size();
  {
    auto log = OpenOrDie(dir_, Options(Durability::Mode::kNone, kSegmentSize));
    ASSERT_TRUE(AppendTxn(*log, last + 1, 1).ok());
  }
  EXPECT_LE(Bases().size(), segments + 1);
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(ReadAll(*log).back(), RecordAt(last + 1, true));
}

TEST_F(SegmentRollTest, OneByteSegmentsHoldOneTransactionEach) {
  {
    auto log = OpenOrDie(dir_, Options(Durability::Mode::kNone, 1));
    ASSERT_TRUE(AppendTxn(*log, 1, 2).ok());
    ASSERT_TRUE(AppendTxn(*log, 3, 1).ok());
    ASSERT_TRUE(AppendTxn(*log, 4, 3).ok());
  }
  EXPECT_EQ(Bases(),
            (std::vector<GlobalPosition>{GlobalPosition(1), GlobalPosition(3), GlobalPosition(4)}));
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(ReadAll(*log).size(), 6u);
}

}  // namespace
}  // namespace duet::log
