// Record framing, field limits and segment headers (docs/format.md).
#include "log/record_codec.h"

#include <gtest/gtest.h>

#include "log/coding.h"
#include "log/log_format.h"
#include "log/segment_index.h"
#include "tests/log/log_test_util.h"
#include "util/crc32c.h"

namespace duet::log {
namespace {

using testing::Record;
using testing::RecordAt;

std::string Encode(const Record& r) {
  std::string out;
  AppendRecord(r.View(), &out);
  return out;
}

// Parses one whole frame and decodes it; fails the test if either step fails.
Record Decode(std::string_view bytes) {
  std::string_view body;
  uint32_t size = 0;
  EXPECT_EQ(ParseFrame(bytes, &body, &size), FrameResult::kOk);
  RecordView view;
  Result<BodyKind> kind = DecodeBody(body, &view);
  EXPECT_TRUE(kind.ok()) << kind.status();
  return Record::From(view);
}

FrameResult Parse(std::string_view bytes) {
  std::string_view body;
  uint32_t size = 0;
  return ParseFrame(bytes, &body, &size);
}

// Rewrites the frame CRC after a test edited the body on purpose.
void Reseal(std::string* frame) {
  EncodeFixed32(frame->data(), crc32c::Mask(crc32c::Value(frame->data() + kFrameHeaderSize,
                                                          frame->size() - kFrameHeaderSize)));
}

TEST(RecordCodecTest, RoundTrip) {
  const Record r = RecordAt(42, true);
  EXPECT_EQ(Decode(Encode(r)), r);
}

TEST(RecordCodecTest, EmptyFieldsRoundTrip) {
  Record r;
  r.position = 1;
  EXPECT_EQ(Decode(Encode(r)), r);
}

TEST(RecordCodecTest, NegativeTimestampAndExtremeValuesRoundTrip) {
  Record r = RecordAt(7, false);
  r.timestamp_us = INT64_MIN;
  r.version = UINT64_MAX;
  r.position = UINT64_MAX;
  r.id = EventId{UINT64_MAX, 0};
  EXPECT_EQ(Decode(Encode(r)), r);
}

TEST(RecordCodecTest, CommitFlagRoundTrips) {
  EXPECT_TRUE(Decode(Encode(RecordAt(1, true))).commit);
  EXPECT_FALSE(Decode(Encode(RecordAt(1, false))).commit);
}

TEST(RecordCodecTest, SizeIsFixedPartPlusFields) {
  const Record r = RecordAt(9, true);
  const size_t expected = 64 + r.stream.size() + r.type.size() + r.data.size() + r.metadata.size();
  EXPECT_EQ(Encode(r).size(), expected);
  EXPECT_EQ(EncodedRecordSize(r.View()), expected);
}

TEST(RecordCodecTest, EventIdIsStoredInUuidByteOrder) {
  Record r = RecordAt(1, true);
  r.id = EventId{0x0011223344556677ull, 0x8899aabbccddeeffull};
  const std::string bytes = Encode(r);
  const std::string id = bytes.substr(kFrameHeaderSize + kEventIdOffset, 16);
  EXPECT_EQ(id,
            std::string("\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16));
}

TEST(RecordCodecTest, LongestStreamNameRoundTrips) {
  Record r = RecordAt(1, true);
  r.stream.assign(kMaxStreamBytes, 's');
  EXPECT_TRUE(CheckRecordLimits(r.View()).ok());
  EXPECT_EQ(Decode(Encode(r)), r);
}

TEST(RecordCodecTest, StreamNameOverLimitIsRejected) {
  Record r = RecordAt(1, true);
  r.stream.assign(kMaxStreamBytes + 1, 's');
  const Status s = CheckRecordLimits(r.View());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.subject(), "stream");
}

TEST(RecordCodecTest, LongestTypeRoundTrips) {
  Record r = RecordAt(1, true);
  r.type.assign(kMaxTypeBytes, 't');
  EXPECT_EQ(Decode(Encode(r)), r);
}

TEST(RecordCodecTest, TypeOverLimitIsRejected) {
  Record r = RecordAt(1, true);
  r.type.assign(kMaxTypeBytes + 1, 't');
  EXPECT_EQ(CheckRecordLimits(r.View()).subject(), "type");
}

TEST(RecordCodecTest, LargestPayloadRoundTripsAndFillsTheMaximumBody) {
  Record r = RecordAt(1, true);
  r.stream.assign(kMaxStreamBytes, 's');
  r.type.assign(kMaxTypeBytes, 't');
  r.metadata = "{}";
  r.data.assign(kMaxPayloadBytes - r.metadata.size(), 'd');
  ASSERT_TRUE(CheckRecordLimits(r.View()).ok());
  const std::string bytes = Encode(r);
  EXPECT_EQ(bytes.size(), kFrameHeaderSize + kMaxBodySize);
  EXPECT_EQ(Decode(bytes), r);
}

TEST(RecordCodecTest, PayloadOverLimitIsRejected) {
  Record r = RecordAt(1, true);
  r.data.assign(kMaxPayloadBytes, 'd');
  r.metadata = "x";
  EXPECT_EQ(CheckRecordLimits(r.View()).subject(), "data");
}

TEST(RecordCodecTest, ShortHeaderIsReported) {
  const std::string bytes = Encode(RecordAt(1, true));
  for (size_t n = 0; n < kFrameHeaderSize; ++n) {
    EXPECT_EQ(Parse(std::string_view(bytes).substr(0, n)), FrameResult::kShortHeader) << n;
  }
}

TEST(RecordCodecTest, ShortBodyIsReported) {
  const std::string bytes = Encode(RecordAt(1, true));
  for (size_t n = kFrameHeaderSize; n < bytes.size(); ++n) {
    EXPECT_EQ(Parse(std::string_view(bytes).substr(0, n)), FrameResult::kShortBody) << n;
  }
}

TEST(RecordCodecTest, LengthAboveMaximumIsBad) {
  std::string bytes = Encode(RecordAt(1, true));
  EncodeFixed32(bytes.data() + 4, kMaxBodySize + 1);
  EXPECT_EQ(Parse(bytes), FrameResult::kBadLength);
}

TEST(RecordCodecTest, LengthBelowCommonPartIsBad) {
  std::string bytes = Encode(RecordAt(1, true));
  EncodeFixed32(bytes.data() + 4, kCommonBodySize - 1);
  EXPECT_EQ(Parse(bytes), FrameResult::kBadLength);
}

TEST(RecordCodecTest, AnyFlippedBitIsACrcMismatch) {
  const std::string good = Encode(RecordAt(5, true));
  for (size_t i = 0; i < good.size(); ++i) {
    if (i >= 4 && i < 8) continue;  // the length field: other checks catch it
    std::string bad = good;
    bad[i] ^= 0x10;
    EXPECT_EQ(Parse(bad), FrameResult::kBadCrc) << "byte " << i;
  }
}

TEST(RecordCodecTest, UnmaskedCrcIsRejected) {
  std::string bytes = Encode(RecordAt(5, true));
  EncodeFixed32(bytes.data(), crc32c::Unmask(DecodeFixed32(bytes.data())));
  EXPECT_EQ(Parse(bytes), FrameResult::kBadCrc);
}

TEST(RecordCodecTest, FieldLengthsThatDoNotAddUpAreCorruption) {
  std::string bytes = Encode(RecordAt(5, true));
  EncodeFixed16(bytes.data() + kFrameHeaderSize + kEventStreamLenOffset, 3);
  Reseal(&bytes);
  std::string_view body;
  uint32_t size;
  ASSERT_EQ(ParseFrame(bytes, &body, &size), FrameResult::kOk);
  RecordView view;
  EXPECT_TRUE(DecodeBody(body, &view).status().IsCorruption());
}

TEST(RecordCodecTest, EventBodyShorterThanFixedPartIsCorruption) {
  std::string body(kEventFixedBodySize - 1, '\0');
  body[0] = static_cast<char>(RecordType::kEvent);
  RecordView view;
  EXPECT_TRUE(DecodeBody(body, &view).status().IsCorruption());
}

TEST(RecordCodecTest, UnknownNonSkippableTypeIsCorruption) {
  for (int type : {0, 2, 127}) {
    std::string body(kCommonBodySize, '\0');
    body[0] = static_cast<char>(type);
    RecordView view;
    const Status s = DecodeBody(body, &view).status();
    EXPECT_TRUE(s.IsCorruption()) << type;
    EXPECT_NE(s.message().find("unknown record type"), std::string::npos);
  }
}

TEST(RecordCodecTest, SkippableTypesAreSkipped) {
  for (int type : {128, 200, 255}) {
    std::string body = "\0\0\0\0opaque future payload";
    body[0] = static_cast<char>(type);
    RecordView view;
    Result<BodyKind> kind = DecodeBody(body, &view);
    ASSERT_TRUE(kind.ok());
    EXPECT_EQ(*kind, BodyKind::kSkippable);
  }
}

std::string FromHex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size();) {
    if (hex[i] == ' ' || hex[i] == '\n') {
      ++i;
      continue;
    }
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

// The worked example of docs/format.md, byte for byte.
TEST(FormatDocTest, WorkedExampleRecord) {
  Record r;
  r.position = 1;
  r.version = 0;
  r.timestamp_us = 1'700'000'000'000'000;
  r.id = EventId{0x0011223344556677ull, 0x8899aabbccddeeffull};
  r.commit = true;
  r.stream = "acct-1";
  r.type = "Opened";
  r.data = "{}";
  EXPECT_EQ(Encode(r), FromHex("01 a1 76 ab 46 00 00 00 01 01 00 00 01 00 00 00 "
                               "00 00 00 00 00 00 00 00 00 00 00 00 00 40 1e 18 "
                               "24 0a 06 00 00 11 22 33 44 55 66 77 88 99 aa bb "
                               "cc dd ee ff 06 00 06 00 02 00 00 00 00 00 00 00 "
                               "61 63 63 74 2d 31 4f 70 65 6e 65 64 7b 7d"));
}

TEST(FormatDocTest, WorkedExampleSegmentHeader) {
  EXPECT_EQ(EncodeSegmentHeader(GlobalPosition(1)),
            FromHex("44 55 45 54 4c 4f 47 00 01 00 00 00 40 00 00 00 "
                    "01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
                    "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
                    "00 00 00 00 00 00 00 00 00 00 00 00 f0 fa 1b 96"));
}

TEST(SegmentHeaderTest, RoundTrip) {
  const std::string header = EncodeSegmentHeader(GlobalPosition(12345));
  ASSERT_EQ(header.size(), kSegmentHeaderSize);
  Result<GlobalPosition> base = DecodeSegmentHeader(header);
  ASSERT_TRUE(base.ok()) << base.status();
  EXPECT_EQ(*base, GlobalPosition(12345));
}

TEST(SegmentHeaderTest, ShortHeaderIsCorruption) {
  const std::string header = EncodeSegmentHeader(GlobalPosition(1));
  EXPECT_TRUE(
      DecodeSegmentHeader(header.substr(0, kSegmentHeaderSize - 1)).status().IsCorruption());
}

TEST(SegmentHeaderTest, BadMagicIsCorruption) {
  std::string header = EncodeSegmentHeader(GlobalPosition(1));
  header[0] = 'X';
  EXPECT_NE(DecodeSegmentHeader(header).status().message().find("magic"), std::string::npos);
}

TEST(SegmentHeaderTest, AnyFlippedByteIsCorruption) {
  const std::string good = EncodeSegmentHeader(GlobalPosition(77));
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x01;
    EXPECT_TRUE(DecodeSegmentHeader(bad).status().IsCorruption()) << "byte " << i;
  }
}

TEST(SegmentHeaderTest, OtherVersionIsCorruption) {
  std::string header = EncodeSegmentHeader(GlobalPosition(1));
  EncodeFixed32(header.data() + kSegmentHeaderVersionOffset, 2);
  EncodeFixed32(header.data() + kSegmentHeaderCrcOffset,
                crc32c::Mask(crc32c::Value(header.data(), kSegmentHeaderCrcOffset)));
  EXPECT_NE(DecodeSegmentHeader(header).status().message().find("version 2"), std::string::npos);
}

TEST(SegmentHeaderTest, BasePositionZeroIsCorruption) {
  std::string header = EncodeSegmentHeader(GlobalPosition(1));
  EncodeFixed64(header.data() + kSegmentHeaderBaseOffset, 0);
  EncodeFixed32(header.data() + kSegmentHeaderCrcOffset,
                crc32c::Mask(crc32c::Value(header.data(), kSegmentHeaderCrcOffset)));
  EXPECT_TRUE(DecodeSegmentHeader(header).status().IsCorruption());
}

TEST(SegmentNameTest, RoundTrip) {
  EXPECT_EQ(SegmentFileName(GlobalPosition(1)), "00000000000000000001.seg");
  EXPECT_EQ(IndexFileName(GlobalPosition(1)), "00000000000000000001.idx");
  GlobalPosition base;
  ASSERT_TRUE(ParseSegmentFileName("00000000000000004097.seg", &base));
  EXPECT_EQ(base, GlobalPosition(4097));
}

TEST(SegmentNameTest, OtherNamesAreNotSegments) {
  GlobalPosition base;
  for (const char* name :
       {"00000000000000000001.idx", "0000000000000000001.seg", "LOCK", "00000000000000000000.seg",
        "0000000000000000000x.seg", "00000000000000000001.seg.tmp"}) {
    EXPECT_FALSE(ParseSegmentFileName(name, &base)) << name;
  }
}

TEST(SegmentIndexTest, RoundTrip) {
  const std::vector<uint32_t> offsets = {64, 200, 333};
  const std::string bytes = EncodeSegmentIndex(GlobalPosition(9), 500, offsets);
  Result<std::vector<uint32_t>> decoded = DecodeSegmentIndex(bytes, GlobalPosition(9), 500);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, offsets);
}

TEST(SegmentIndexTest, IndexOfAnotherSizeOrBaseIsRejected) {
  const std::string bytes = EncodeSegmentIndex(GlobalPosition(9), 500, {64, 200});
  EXPECT_TRUE(DecodeSegmentIndex(bytes, GlobalPosition(9), 501).status().IsCorruption());
  EXPECT_TRUE(DecodeSegmentIndex(bytes, GlobalPosition(10), 500).status().IsCorruption());
}

TEST(SegmentIndexTest, AnyFlippedByteIsRejected) {
  const std::string good = EncodeSegmentIndex(GlobalPosition(9), 500, {64, 200});
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= 0x04;
    EXPECT_FALSE(DecodeSegmentIndex(bad, GlobalPosition(9), 500).ok()) << "byte " << i;
  }
}

TEST(SegmentIndexTest, OffsetsOutOfOrderAreRejected) {
  const std::string bytes = EncodeSegmentIndex(GlobalPosition(9), 500, {64, 60});
  EXPECT_FALSE(DecodeSegmentIndex(bytes, GlobalPosition(9), 500).ok());
}

}  // namespace
}  // namespace duet::log
