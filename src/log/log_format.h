// Constants of the on-disk log format, version 1. The normative description
// (field tables, what each CRC covers, recovery rules, a worked example) is
// docs/format.md; change both together, and bump the version for any change
// an old reader would misread.
#ifndef DUET_LOG_LOG_FORMAT_H_
#define DUET_LOG_LOG_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace duet::log {

inline constexpr uint32_t kFormatVersion = 1;

// ---- Segment file: data/log/<20-digit base position>.seg -------------------
inline constexpr std::string_view kSegmentSuffix = ".seg";
inline constexpr size_t kSegmentNameDigits = 20;
inline constexpr std::string_view kSegmentMagic{"DUETLOG\0", 8};

// Header: magic[8] version u32 header_size u32 base u64 reserved[36] crc u32.
inline constexpr size_t kSegmentHeaderSize = 64;
inline constexpr size_t kSegmentHeaderVersionOffset = 8;
inline constexpr size_t kSegmentHeaderSizeOffset = 12;
inline constexpr size_t kSegmentHeaderBaseOffset = 16;
inline constexpr size_t kSegmentHeaderReservedOffset = 24;
inline constexpr size_t kSegmentHeaderCrcOffset = 60;  // masked CRC32C of [0, 60)
static_assert(kSegmentMagic.size() + 4 + 4 + 8 + 36 + 4 == kSegmentHeaderSize);
static_assert(kSegmentHeaderReservedOffset + 36 == kSegmentHeaderCrcOffset);

// ---- Record -----------------------------------------------------------------
// Frame header: masked CRC32C u32 (covers the body), body length u32.
inline constexpr size_t kFrameHeaderSize = 8;

// Body, common to every record type: type u8, flags u8, reserved u16.
inline constexpr size_t kCommonBodySize = 4;

enum class RecordType : uint8_t {
  kZero = 0,   // never written: a zero-filled region is not a record
  kEvent = 1,  // one event; carries a global position
  // 2..127: reserved; a version-1 reader refuses them (kCorruption).
  // 128..255: reserved, skippable: a version-1 reader checks the CRC and
  // skips them. They carry no position and are outside transactions.
};
inline constexpr uint8_t kFirstSkippableType = 128;

inline constexpr uint8_t kFlagCommit = 0x01;  // last record of its transaction

// Event body after the common part: position u64, version u64, timestamp_us
// i64, event id [16] (UUID byte order), stream_len u16, type_len u16,
// data_len u32, metadata_len u32; then stream, type, data, metadata bytes.
inline constexpr size_t kEventFixedBodySize = kCommonBodySize + 8 + 8 + 8 + 16 + 2 + 2 + 4 + 4;
static_assert(kEventFixedBodySize == 56);
inline constexpr size_t kEventPositionOffset = 4;  // within the body
inline constexpr size_t kEventVersionOffset = 12;
inline constexpr size_t kEventTimestampOffset = 20;
inline constexpr size_t kEventIdOffset = 28;
inline constexpr size_t kEventStreamLenOffset = 44;
inline constexpr size_t kEventTypeLenOffset = 46;
inline constexpr size_t kEventDataLenOffset = 48;
inline constexpr size_t kEventMetadataLenOffset = 52;
static_assert(kEventMetadataLenOffset + 4 == kEventFixedBodySize);

// Largest body a reader accepts; a larger length field is corruption.
inline constexpr uint32_t kMaxBodySize = 64u << 20;
inline constexpr size_t kMaxStreamBytes = UINT16_MAX;
inline constexpr size_t kMaxTypeBytes = UINT16_MAX;
// data + metadata together, so that the body stays within kMaxBodySize.
inline constexpr size_t kMaxPayloadBytes =
    kMaxBodySize - kEventFixedBodySize - kMaxStreamBytes - kMaxTypeBytes;

// ---- Segment offset index (sidecar): data/log/<base>.idx --------------------
// Header: magic[8] version u32 header_size u32 base u64 count u64
// segment_bytes u64; then count u32 record offsets; then masked CRC32C u32 of
// everything before it.
inline constexpr std::string_view kIndexSuffix = ".idx";
inline constexpr std::string_view kTempSuffix = ".tmp";
inline constexpr std::string_view kIndexMagic{"DUETIDX\0", 8};
inline constexpr size_t kIndexHeaderSize = 40;
static_assert(kIndexMagic.size() + 4 + 4 + 8 + 8 + 8 == kIndexHeaderSize);

// Record offsets are u32, so a segment stays below 4 GiB: the roll threshold
// is capped, and one transaction may overshoot it by at most this much.
inline constexpr uint64_t kMaxSegmentSizeBytes = 2ull << 30;
inline constexpr uint64_t kMaxTransactionBytes = 1ull << 30;

}  // namespace duet::log

#endif  // DUET_LOG_LOG_FORMAT_H_
