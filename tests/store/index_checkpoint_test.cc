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

TEST(IndexCheckpointTest, FileNamesSortNewestFirst) {
  EXPECT_EQ(IndexCheckpointPath("/d", GlobalPosition(42)).filename(), "00000000000000000042.idx");
}

}  // namespace
}  // namespace duet::store
