#include "domain/snapshot_store.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"
#include "util/file_util.h"

namespace duet::domain {
namespace {

Snapshot Sample(std::string stream = "tally-1") {
  return Snapshot{std::move(stream), 3, StreamVersion(41), EventId{0x1122, 0x3344},
                  R"({"total":10})"};
}

void ExpectSame(const Snapshot& a, const Snapshot& b) {
  EXPECT_EQ(a.stream, b.stream);
  EXPECT_EQ(a.schema_version, b.schema_version);
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.event_id, b.event_id);
  EXPECT_EQ(a.payload, b.payload);
}

TEST(SnapshotFormatTest, RoundTrips) {
  auto decoded = DecodeSnapshot(EncodeSnapshot(Sample()));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ExpectSame(*decoded, Sample());
}

TEST(SnapshotFormatTest, LayoutIsHeaderNamePayloadCrc) {
  const std::string bytes = EncodeSnapshot(Sample());
  EXPECT_EQ(bytes.size(), kSnapshotHeaderSize + 7 + 12 + kSnapshotTrailerSize);
  EXPECT_EQ(bytes.substr(0, 8), "DUETSNAP");
  EXPECT_EQ(bytes[8], 1);  // format version, little-endian
  EXPECT_EQ(bytes.substr(kSnapshotHeaderSize, 7), "tally-1");
}

TEST(SnapshotFormatTest, MatchesTheWorkedExampleOfTheFormatDoc) {
  const std::string expected_hex =
      "4455455453 4e4150 01000000 03000000 2900000000000000 2211000000000000"
      "4433000000000000 07000000 0c000000 7461 6c6c792d31"
      "7b22746f74616c223a31307d";
  std::string expected;
  std::string digits;
  for (char c : expected_hex)
    if (c != ' ') digits.push_back(c);
  for (size_t i = 0; i < digits.size(); i += 2) {
    expected.push_back(static_cast<char>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  const std::string bytes = EncodeSnapshot(Sample());
  ASSERT_EQ(bytes.size(), 71u);
  EXPECT_EQ(bytes.substr(0, 67), expected);
}

TEST(SnapshotFormatTest, EveryFlippedByteIsDetected) {
  const std::string good = EncodeSnapshot(Sample());
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x20;
    EXPECT_FALSE(DecodeSnapshot(bad).ok()) << "byte " << i;
  }
}

TEST(SnapshotFormatTest, TruncationIsCorruption) {
  const std::string good = EncodeSnapshot(Sample());
  for (size_t n : {size_t{0}, size_t{10}, kSnapshotHeaderSize, good.size() - 1}) {
    auto decoded = DecodeSnapshot(good.substr(0, n));
    ASSERT_FALSE(decoded.ok());
    EXPECT_TRUE(decoded.status().IsCorruption()) << n;
  }
}

TEST(SnapshotFormatTest, BadMagicIsCorruption) {
  std::string bytes = EncodeSnapshot(Sample());
  bytes[0] = 'X';
  EXPECT_TRUE(DecodeSnapshot(bytes).status().IsCorruption());
}

TEST(SnapshotFormatTest, OtherFormatVersionIsNotRead) {
  std::string bytes = EncodeSnapshot(Sample());
  bytes[8] = 2;
  EXPECT_EQ(DecodeSnapshot(bytes).status().code(), StatusCode::kFailedPrecondition);
}

TEST(SnapshotStoreTest, MissingSnapshotIsNullopt) {
  testing::TempDir dir;
  SnapshotStore store(dir / "snapshots");
  auto read = store.Read("tally-1");
  ASSERT_TRUE(read.ok());
  EXPECT_FALSE(read->has_value());
}

TEST(SnapshotStoreTest, WriteCreatesDirectoryAndReadsBack) {
  testing::TempDir dir;
  SnapshotStore store(dir / "data" / "snapshots");
  ASSERT_TRUE(store.Write(Sample()).ok());
  auto read = store.Read("tally-1");
  ASSERT_TRUE(read.ok() && read->has_value());
  ExpectSame(**read, Sample());
  EXPECT_FALSE(std::filesystem::exists(store.PathFor("tally-1").string() + ".tmp"));
}

TEST(SnapshotStoreTest, WriteReplacesThePreviousSnapshot) {
  testing::TempDir dir;
  SnapshotStore store(dir / "snapshots");
  ASSERT_TRUE(store.Write(Sample()).ok());
  Snapshot newer = Sample();
  newer.version = StreamVersion(99);
  ASSERT_TRUE(store.Write(newer).ok());
  EXPECT_EQ((*store.Read("tally-1"))->version, StreamVersion(99));
}

TEST(SnapshotStoreTest, LongStreamNamesGetDistinctShortFileNames) {
  testing::TempDir dir;
  SnapshotStore store(dir / "snapshots");
  const std::string a = "x-" + std::string(250, 'a');
  const std::string b = "x-" + std::string(249, 'a') + "b";
  EXPECT_LE(store.PathFor(a).filename().string().size(), kMaxSnapshotBaseName + 5);
  EXPECT_NE(store.PathFor(a), store.PathFor(b));
  ASSERT_TRUE(store.Write(Sample(a)).ok());
  ASSERT_TRUE(store.Write(Sample(b)).ok());
  EXPECT_EQ((*store.Read(a))->stream, a);
  EXPECT_EQ((*store.Read(b))->stream, b);
}

TEST(SnapshotStoreTest, FileOfAnotherStreamIsCorruption) {
  testing::TempDir dir;
  SnapshotStore store(dir / "snapshots");
  ASSERT_TRUE(store.Write(Sample("tally-2")).ok());
  std::filesystem::rename(store.PathFor("tally-2"), store.PathFor("tally-1"));
  EXPECT_TRUE(store.Read("tally-1").status().IsCorruption());
}

TEST(SnapshotStoreTest, CorruptFileIsCorruption) {
  testing::TempDir dir;
  SnapshotStore store(dir / "snapshots");
  ASSERT_TRUE(store.Write(Sample()).ok());
  ASSERT_TRUE(WriteFileAtomically(store.PathFor("tally-1"), "garbage").ok());
  EXPECT_TRUE(store.Read("tally-1").status().IsCorruption());
}

}  // namespace
}  // namespace duet::domain
