// Encoding and decoding of log records and segment headers (docs/format.md).
// AppendRecord (log.h) is the encoder; this header adds the decoders every
// reader shares: recovery, Scan and VerifyLog.
//
// Thread-safe: pure functions.
#ifndef DUET_LOG_RECORD_CODEC_H_
#define DUET_LOG_RECORD_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "duet/result.h"
#include "duet/types.h"
#include "log/log.h"
#include "log/log_format.h"

namespace duet::log {

// Total encoded size (frame header included) of an event record.
size_t EncodedRecordSize(const RecordView& record);

// InvalidArgument naming the field when `record` exceeds a format limit
// (stream/type length, payload size); AppendRecord REQUIRES this to be OK.
Status CheckRecordLimits(const RecordView& record);

// Outcome of looking at the frame that starts at bytes[0].
enum class FrameResult : uint8_t {
  kOk,           // *body holds the whole body, CRC verified
  kShortHeader,  // fewer than kFrameHeaderSize bytes available
  kBadLength,    // length field is 0-3 or above kMaxBodySize
  kShortBody,    // header fine, body not all available (*body_size is set)
  kBadCrc,       // body complete, CRC mismatch
};

// Parses one frame. *body_size is set whenever the length field could be read
// (all results but kShortHeader).
FrameResult ParseFrame(std::string_view bytes, std::string_view* body, uint32_t* body_size);

enum class BodyKind : uint8_t {
  kEvent,      // *record filled in; views point into `body`
  kSkippable,  // a type >= kFirstSkippableType: ignore it
};

// Decodes a CRC-checked body. Corruption (without a location: the caller
// adds segment and offset) for an unknown non-skippable type or inconsistent
// lengths.
Result<BodyKind> DecodeBody(std::string_view body, RecordView* record);

// The fixed-size header of a segment whose first record has position `base`.
std::string EncodeSegmentHeader(GlobalPosition base);

// Validates magic, version, header size and CRC; returns the base position.
// Corruption (without a location) otherwise.
Result<GlobalPosition> DecodeSegmentHeader(std::string_view header);

// "<20-digit base>.seg", and its inverse (nullopt-like: false if `name` is
// not a segment file name).
std::string SegmentFileName(GlobalPosition base);
bool ParseSegmentFileName(std::string_view name, GlobalPosition* base);
std::string IndexFileName(GlobalPosition base);

}  // namespace duet::log

#endif  // DUET_LOG_RECORD_CODEC_H_
