#include "store/index_checkpoint.h"

#include <gtest/gtest.h>

#include "util/crc32c.h"

namespace duet::store {
namespace {

void FillSample(StreamIndex& index) {
  index.Add("a-1", GlobalPosition(1));
  index.Add("b-1", GlobalPosition(2));
  index.Add("a-1", GlobalPosition(3));
  index.Add("b-1", GlobalPosition(4));
  index.Add("c-1", GlobalPosition(5));  // pending: beyond the checkpoint
}

std::string SampleCheckpoint() {
  StreamIndex index;
  FillSample(index);
  return EncodeIndexCheckpoint(index, GlobalPosition(4));
}

TEST(IndexCheckpointTest, RoundTripKeepsEntriesUpToPosition) {
  auto loaded = DecodeIndexCheckpoint(SampleCheckpoint());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->position, GlobalPosition(4));
  ASSERT_EQ(loaded->streams.size(), 2u);
  EXPECT_EQ(loaded->streams["a-1"], (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(loaded->streams["b-1"], (std::vector<uint64_t>{2, 4}));
}

TEST(IndexCheckpointTest, EmptyIndexRoundTrips) {
  StreamIndex index;
  auto loaded = DecodeIndexCheckpoint(EncodeIndexCheckpoint(index, kNoPosition));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->streams.empty());
}

TEST(IndexCheckpointTest, EveryFlippedByteIsDetected) {
  const std::string bytes = SampleCheckpoint();
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ 0x40);
    EXPECT_TRUE(DecodeIndexCheckpoint(bad).status().IsCorruption()) << "byte " << i;
  }
}

TEST(IndexCheckpointTest, EveryTruncationIsDetected) {
  const std::string bytes = SampleCheckpoint();
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_TRUE(DecodeIndexCheckpoint(bytes.substr(0, n)).status().IsCorruption()) << n;
  }
}

// A well-formed file (good CRC) whose content lies is still rejected.
TEST(IndexCheckpointTest, CountThatDoesNotCoverPositionIsCorruption) {
  std::string bytes = SampleCheckpoint();
  bytes.resize(bytes.size() - 4);
  bytes[16] = 9;  // claim position 9 while only 4 events are listed
  const uint32_t crc = crc32c::Mask(crc32c::Value(bytes.data(), bytes.size()));
  for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  EXPECT_TRUE(DecodeIndexCheckpoint(bytes).status().IsCorruption());
}

// A checkpoint file written field by field (docs/format.md), with a good CRC,
// for contents the encoder never produces.
class RawCheckpoint {
 public:
  RawCheckpoint(uint64_t position, uint64_t stream_count) {
    bytes_.append(kIndexCheckpointMagic, sizeof(kIndexCheckpointMagic));
    Fixed(kIndexCheckpointVersion, 4);
    Fixed(0, 4);
    Fixed(position, 8);
    Fixed(stream_count, 8);
  }
  RawCheckpoint& Stream(std::string_view name, uint64_t count) {
    Varint(name.size());
    bytes_.append(name);
    Varint(count);
    return *this;
  }
  RawCheckpoint& Delta(uint64_t delta) {
    Varint(delta);
    return *this;
  }
  std::string Finish() const {
    std::string out = bytes_;
    const uint32_t crc = crc32c::Mask(crc32c::Value(out.data(), out.size()));
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
    return out;
  }

 private:
  void Fixed(uint64_t v, int width) {
    for (int i = 0; i < width; ++i) bytes_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  }
  void Varint(uint64_t v) {
    for (; v >= 0x80; v >>= 7) bytes_.push_back(static_cast<char>((v & 0x7F) | 0x80));
    bytes_.push_back(static_cast<char>(v));
  }
  std::string bytes_;
};

TEST(IndexCheckpointTest, RawCheckpointOfAGoodIndexLoads) {
  // Guards the helper: the same layout with honest fields is accepted.
  auto loaded = DecodeIndexCheckpoint(
      RawCheckpoint(3, 2).Stream("a", 2).Delta(1).Delta(2).Stream("b", 1).Delta(2).Finish());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->streams["a"], (std::vector<uint64_t>{1, 3}));
  EXPECT_EQ(loaded->streams["b"], (std::vector<uint64_t>{2}));
}

// Found by fuzz_index_checkpoint (tests/fuzz/regressions/fuzz_index_checkpoint/
// huge_event_count): the reader reserved room for a count taken from the file
// (2^61 entries) before checking it against the bytes that follow.
TEST(IndexCheckpointTest, CountBeyondTheBytesLeftIsCorruption) {
  const uint64_t huge = uint64_t{1} << 61;
  const Result<LoadedIndex> loaded =
      DecodeIndexCheckpoint(RawCheckpoint(huge, 1).Stream("a", huge).Delta(1).Finish());
  EXPECT_TRUE(loaded.status().IsCorruption()) << loaded.status();
}

// previous + delta wrapping past 2^64 once let a falling position through.
TEST(IndexCheckpointTest, DeltaThatWrapsAroundIsCorruption) {
  const Result<LoadedIndex> loaded = DecodeIndexCheckpoint(
      RawCheckpoint(2, 1).Stream("a", 2).Delta(2).Delta(~uint64_t{0}).Finish());
  EXPECT_TRUE(loaded.status().IsCorruption()) << loaded.status();
}

// The counts add up to P, but position 1 is in two streams and 2 in none.
TEST(IndexCheckpointTest, PositionInTwoStreamsIsCorruption) {
  const Result<LoadedIndex> loaded = DecodeIndexCheckpoint(
      RawCheckpoint(2, 2).Stream("a", 1).Delta(1).Stream("b", 1).Delta(1).Finish());
  EXPECT_TRUE(loaded.status().IsCorruption()) << loaded.status();
}

TEST(IndexCheckpointTest, FileNamesSortNewestFirst) {
  EXPECT_EQ(IndexCheckpointPath("/d", GlobalPosition(42)).filename(), "00000000000000000042.idx");
}

}  // namespace
}  // namespace duet::store
