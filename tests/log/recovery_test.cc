// Recovery on open (docs/format.md, "Recovery"): torn tails are cut and
// reported, everything else that is damaged is kCorruption naming the
// segment and offset. Also VerifyLog.
#include "log/recovery.h"

#include <gtest/gtest.h>

#include "log/coding.h"
#include "log/log.h"
#include "log/log_format.h"
#include "log/record_codec.h"
#include "tests/log/log_test_util.h"
#include "tests/support/temp_dir.h"
#include "util/crc32c.h"

namespace duet::log {
namespace {

using testing::AppendTxn;
using testing::EncodeTxn;
using testing::OpenOrDie;
using testing::Options;
using testing::ReadAll;
using testing::RecordAt;

constexpr char kFirstSegment[] = "00000000000000000001.seg";

class RecoveryTest : public ::testing::Test {
 protected:
  // Writes transactions of the given sizes into a fresh log and closes it.
  void Write(const std::vector<uint64_t>& sizes, uint64_t segment_size = 256 << 20) {
    auto log = OpenOrDie(dir_, Options(Durability::Mode::kNone, segment_size));
    uint64_t next = 1;
    for (uint64_t count : sizes) {
      ASSERT_TRUE(AppendTxn(*log, next, count).ok());
      next += count;
    }
  }
  std::filesystem::path Segment(uint64_t base = 1) { return testing::SegmentPath(dir_, base); }
  // A record as the log would frame it, with an arbitrary type byte.
  static std::string Frame(uint8_t type, std::string body_rest) {
    std::string body = std::string(1, static_cast<char>(type)) + std::string(3, '\0') + body_rest;
    std::string frame(kFrameHeaderSize, '\0');
    EncodeFixed32(frame.data(), crc32c::Mask(crc32c::Value(body.data(), body.size())));
    EncodeFixed32(frame.data() + 4, static_cast<uint32_t>(body.size()));
    return frame + body;
  }

  duet::testing::TempDir tmp_;
  std::filesystem::path dir_ = tmp_ / "log";
};

// Cuts the file at every offset inside the last transaction (of `count`
// records) and checks that open cuts back to the transaction's start,
// reports it, keeps everything before and appends at the right position.
void CheckEveryCut(const std::filesystem::path& dir, const std::filesystem::path& segment,
                   uint64_t last_txn_first, uint64_t count) {
  const std::string original = testing::ReadFile(segment);
  const uint64_t txn_size = EncodeTxn(last_txn_first, count).size();
  const uint64_t txn_start = original.size() - txn_size;
  for (uint64_t cut = txn_start; cut < original.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    testing::WriteFile(segment, original.substr(0, cut));
    {
      auto log = OpenOrDie(dir, Options());
      ASSERT_NE(log, nullptr);
      const RecoveryReport& report = log->recovery_report();
      EXPECT_EQ(report.truncated_bytes, cut - txn_start);
      if (cut > txn_start) {
        EXPECT_EQ(report.truncated_segment, kFirstSegment);
        EXPECT_EQ(report.truncated_at, txn_start);
      }
      EXPECT_EQ(std::filesystem::file_size(segment), txn_start);
      auto records = ReadAll(*log);
      ASSERT_EQ(records.size(), last_txn_first - 1);
      for (uint64_t p = 1; p < last_txn_first; ++p) ASSERT_EQ(records[p - 1].position, p);
      ASSERT_TRUE(AppendTxn(*log, last_txn_first, 1).ok());
      EXPECT_EQ(ReadAll(*log).back(), RecordAt(last_txn_first, true));
    }
  }
}

TEST_F(RecoveryTest, TornLastRecordIsCutAtEveryOffset) {
  Write({1, 1, 1, 1, 1});
  CheckEveryCut(dir_, Segment(), 5, 1);
}

TEST_F(RecoveryTest, TornLastTransactionIsCutAtEveryOffset) {
  Write({2, 1, 3});
  CheckEveryCut(dir_, Segment(), 4, 3);
}

TEST_F(RecoveryTest, CutTailIsGoneForGood) {
  Write({1, 2});
  const std::string original = testing::ReadFile(Segment());
  testing::WriteFile(Segment(), original.substr(0, original.size() - 5));
  { auto log = OpenOrDie(dir_, Options()); }
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(log->recovery_report().truncated_bytes, 0u);
  EXPECT_EQ(ReadAll(*log).size(), 1u);
}

TEST_F(RecoveryTest, CompleteRecordsWithoutCommitAreCut) {
  Write({2});
  std::string uncommitted;
  AppendRecord(RecordAt(3, false).View(), &uncommitted);
  AppendRecord(RecordAt(4, false).View(), &uncommitted);
  const std::string original = testing::ReadFile(Segment());
  testing::WriteFile(Segment(), original + uncommitted);
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(log->recovery_report().truncated_bytes, uncommitted.size());
  EXPECT_EQ(log->recovery_report().truncated_at, original.size());
  EXPECT_EQ(log->CommittedPosition(), GlobalPosition(2));
}

TEST_F(RecoveryTest, BadCrcOnTheFinalRecordIsATornTail) {
  Write({1, 1});
  std::string bytes = testing::ReadFile(Segment());
  const uint64_t last_start = bytes.size() - EncodeTxn(2, 1).size();
  bytes[bytes.size() - 1] ^= 0x01;
  testing::WriteFile(Segment(), bytes);
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(log->recovery_report().truncated_at, last_start);
  EXPECT_EQ(ReadAll(*log).size(), 1u);
}

TEST_F(RecoveryTest, ZeroFilledTailIsCut) {
  Write({1});
  const std::string original = testing::ReadFile(Segment());
  testing::WriteFile(Segment(), original + std::string(4096, '\0'));
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(log->recovery_report().truncated_bytes, 4096u);
  EXPECT_EQ(ReadAll(*log).size(), 1u);
}

TEST_F(RecoveryTest, DamagedRecordWithDataAfterItIsCorruption) {
  Write({1, 1, 1});
  std::string bytes = testing::ReadFile(Segment());
  const uint64_t second = kSegmentHeaderSize + EncodeTxn(1, 1).size();
  bytes[second + 30] ^= 0x01;
  testing::WriteFile(Segment(), bytes);
  const Status s = Log::Open(dir_, Options()).status();
  EXPECT_TRUE(s.IsCorruption()) << s;
  EXPECT_NE(s.message().find(std::string(kFirstSegment) + " offset " + std::to_string(second)),
            std::string::npos)
      << s;
}

TEST_F(RecoveryTest, GarbageLengthWithDataAfterItIsCorruption) {
  Write({1, 1});
  std::string bytes = testing::ReadFile(Segment());
  EncodeFixed32(bytes.data() + kSegmentHeaderSize + 4, 2);  // below the minimum body
  testing::WriteFile(Segment(), bytes);
  EXPECT_TRUE(Log::Open(dir_, Options()).status().IsCorruption());
}

TEST_F(RecoveryTest, NonContiguousPositionIsCorruption) {
  Write({1});
  std::string skipped;
  AppendRecord(RecordAt(3, true).View(), &skipped);
  const std::string original = testing::ReadFile(Segment());
  testing::WriteFile(Segment(), original + skipped);
  const Status s = Log::Open(dir_, Options()).status();
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("offset " + std::to_string(original.size()) +
                             ": record position 3, expected 2"),
            std::string::npos)
      << s;
}

TEST_F(RecoveryTest, UnknownRecordTypeIsCorruption) {
  Write({1});
  const std::string original = testing::ReadFile(Segment());
  testing::WriteFile(Segment(), original + Frame(7, "what is this"));
  const Status s = Log::Open(dir_, Options()).status();
  EXPECT_NE(s.message().find("unknown record type 7"), std::string::npos) << s;
}

TEST_F(RecoveryTest, SkippableRecordIsKeptAndSkipped) {
  Write({1});
  const std::string original = testing::ReadFile(Segment());
  const std::string future = Frame(200, "a record type of a later version");
  testing::WriteFile(Segment(), original + future);
  {
    auto log = OpenOrDie(dir_, Options());
    EXPECT_EQ(log->recovery_report().truncated_bytes, 0u);
    ASSERT_TRUE(AppendTxn(*log, 2, 1).ok());
    EXPECT_EQ(ReadAll(*log).size(), 2u);
  }
  EXPECT_TRUE(VerifyLog(dir_).ok());
  auto log = OpenOrDie(dir_, Options());
  const auto records = ReadAll(*log);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1], RecordAt(2, true));
}

TEST_F(RecoveryTest, BadSegmentHeaderIsCorruption) {
  Write({1});
  std::string bytes = testing::ReadFile(Segment());
  bytes[kSegmentHeaderBaseOffset] ^= 0x01;
  testing::WriteFile(Segment(), bytes);
  const Status s = Log::Open(dir_, Options()).status();
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find(std::string(kFirstSegment) + " offset 0"), std::string::npos) << s;
}

TEST_F(RecoveryTest, HeaderOfAnotherBaseIsCorruption) {
  Write({1});
  std::filesystem::rename(Segment(1), Segment(2));
  EXPECT_TRUE(Log::Open(dir_, Options()).status().IsCorruption());
}

TEST_F(RecoveryTest, GapBetweenSegmentsIsCorruption) {
  Write(std::vector<uint64_t>(40, 1), 1024);
  auto bases = ListSegments(DefaultFileSystem(), dir_);
  ASSERT_TRUE(bases.ok());
  ASSERT_GE(bases->size(), 3u);
  const uint64_t third = (*bases)[2].value;
  std::filesystem::remove(Segment((*bases)[1].value));
  const Status s = Log::Open(dir_, Options()).status();
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find(SegmentFileName(GlobalPosition(third))), std::string::npos) << s;
  EXPECT_NE(s.message().find("gap"), std::string::npos) << s;
}

TEST_F(RecoveryTest, MissingFirstSegmentIsCorruption) {
  Write(std::vector<uint64_t>(40, 1), 1024);
  std::filesystem::remove(Segment(1));
  EXPECT_TRUE(Log::Open(dir_, Options()).status().IsCorruption());
}

TEST_F(RecoveryTest, TornHeaderOfTheLastSegmentIsRemoved) {
  Write({1, 1});
  const std::string torn = EncodeSegmentHeader(GlobalPosition(3)).substr(0, 20);
  testing::WriteFile(Segment(3), torn);
  auto log = OpenOrDie(dir_, Options());
  EXPECT_FALSE(std::filesystem::exists(Segment(3)));
  EXPECT_EQ(log->recovery_report().truncated_segment, SegmentFileName(GlobalPosition(3)));
  EXPECT_EQ(log->recovery_report().truncated_bytes, 20u);
  ASSERT_TRUE(AppendTxn(*log, 3, 1).ok());
  EXPECT_EQ(ReadAll(*log).size(), 3u);
}

TEST_F(RecoveryTest, EmptyFirstSegmentIsRecreated) {
  std::filesystem::create_directories(dir_);
  testing::WriteFile(Segment(1), "");
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(log->recovery_report().truncated_segment, kFirstSegment);
  ASSERT_TRUE(AppendTxn(*log, 1, 1).ok());
}

TEST_F(RecoveryTest, HeaderOnlyLastSegmentIsFine) {
  Write({1, 1});
  testing::WriteFile(Segment(3), EncodeSegmentHeader(GlobalPosition(3)));
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(log->recovery_report().truncated_bytes, 0u);
  ASSERT_TRUE(AppendTxn(*log, 3, 2).ok());
  EXPECT_GT(std::filesystem::file_size(Segment(3)), kSegmentHeaderSize);
  EXPECT_EQ(ReadAll(*log).size(), 4u);
}

TEST_F(RecoveryTest, OtherFilesInTheDirectoryAreIgnored) {
  Write({1});
  testing::WriteFile(dir_ / "README", "not a segment");
  auto log = OpenOrDie(dir_, Options());
  EXPECT_EQ(ReadAll(*log).size(), 1u);
}

TEST_F(RecoveryTest, VerifyCountsSegmentsBytesAndHead) {
  Write(std::vector<uint64_t>(30, 2), 2048);
  Result<LogStats> stats = VerifyLog(dir_);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->head, GlobalPosition(60));
  auto bases = ListSegments(DefaultFileSystem(), dir_);
  ASSERT_TRUE(bases.ok());
  EXPECT_EQ(stats->segments, bases->size());
  uint64_t bytes = 0;
  for (GlobalPosition base : *bases) bytes += std::filesystem::file_size(Segment(base.value));
  EXPECT_EQ(stats->bytes, bytes);
}

TEST_F(RecoveryTest, VerifyNamesTheDamagedSegmentAndOffset) {
  Write({1, 1, 1});
  std::string bytes = testing::ReadFile(Segment());
  bytes[kSegmentHeaderSize + 10] ^= 0x01;
  testing::WriteFile(Segment(), bytes);
  const Status s = VerifyLog(dir_).status();
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find(std::string(kFirstSegment) + " offset 64"), std::string::npos) << s;
}

TEST_F(RecoveryTest, VerifyReportsATornTailAsCorruption) {
  Write({1, 1});
  const std::string bytes = testing::ReadFile(Segment());
  testing::WriteFile(Segment(), bytes.substr(0, bytes.size() - 1));
  EXPECT_TRUE(VerifyLog(dir_).status().IsCorruption());
}

}  // namespace
}  // namespace duet::log
