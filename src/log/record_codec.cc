#include "log/record_codec.h"

#include <cassert>
#include <charconv>
#include <cstdio>

#include "log/coding.h"
#include "util/crc32c.h"

namespace duet::log {

size_t EncodedRecordSize(const RecordView& record) {
  return kFrameHeaderSize + kEventFixedBodySize + record.stream.size() + record.type.size() +
         record.data.size() + record.metadata.size();
}

Status CheckRecordLimits(const RecordView& record) {
  if (record.stream.size() > kMaxStreamBytes) {
    return Status::InvalidArgument("stream", "longer than the log format's 65535 bytes");
  }
  if (record.type.size() > kMaxTypeBytes) {
    return Status::InvalidArgument("type", "longer than the log format's 65535 bytes");
  }
  if (record.data.size() + record.metadata.size() > kMaxPayloadBytes) {
    return Status::InvalidArgument("data", "data + metadata exceed the log format's record limit");
  }
  return Status::OK();
}

void AppendRecord(const RecordView& record, std::string* out) {
  assert(CheckRecordLimits(record).ok());
  const size_t start = out->size();
  const size_t body_size = EncodedRecordSize(record) - kFrameHeaderSize;
  out->resize(start + kFrameHeaderSize + body_size);
  char* frame = out->data() + start;
  char* body = frame + kFrameHeaderSize;
  body[0] = static_cast<char>(RecordType::kEvent);
  body[1] = static_cast<char>(record.commit ? kFlagCommit : 0);
  EncodeFixed16(body + 2, 0);
  EncodeFixed64(body + kEventPositionOffset, record.position.value);
  EncodeFixed64(body + kEventVersionOffset, record.version.value);
  EncodeFixed64(body + kEventTimestampOffset, static_cast<uint64_t>(record.timestamp_us));
  EncodeBigEndian64(body + kEventIdOffset, record.id.hi);
  EncodeBigEndian64(body + kEventIdOffset + 8, record.id.lo);
  EncodeFixed16(body + kEventStreamLenOffset, static_cast<uint16_t>(record.stream.size()));
  EncodeFixed16(body + kEventTypeLenOffset, static_cast<uint16_t>(record.type.size()));
  EncodeFixed32(body + kEventDataLenOffset, static_cast<uint32_t>(record.data.size()));
  EncodeFixed32(body + kEventMetadataLenOffset, static_cast<uint32_t>(record.metadata.size()));
  char* p = body + kEventFixedBodySize;
  for (std::string_view part : {record.stream, record.type, record.data, record.metadata}) {
    if (!part.empty()) std::memcpy(p, part.data(), part.size());
    p += part.size();
  }
  EncodeFixed32(frame, crc32c::Mask(crc32c::Value(body, body_size)));
  EncodeFixed32(frame + 4, static_cast<uint32_t>(body_size));
}

FrameResult ParseFrame(std::string_view bytes, std::string_view* body, uint32_t* body_size) {
  if (bytes.size() < kFrameHeaderSize) return FrameResult::kShortHeader;
  const uint32_t size = DecodeFixed32(bytes.data() + 4);
  *body_size = size;
  if (size < kCommonBodySize || size > kMaxBodySize) return FrameResult::kBadLength;
  if (bytes.size() - kFrameHeaderSize < size) return FrameResult::kShortBody;
  const char* b = bytes.data() + kFrameHeaderSize;
  const uint32_t expected = crc32c::Unmask(DecodeFixed32(bytes.data()));
  if (crc32c::Value(b, size) != expected) return FrameResult::kBadCrc;
  *body = std::string_view(b, size);
  return FrameResult::kOk;
}

Result<BodyKind> DecodeBody(std::string_view body, RecordView* record) {
  const auto type = static_cast<uint8_t>(body[0]);
  if (type >= kFirstSkippableType) return BodyKind::kSkippable;
  if (type != static_cast<uint8_t>(RecordType::kEvent)) {
    return Status::Corruption("unknown record type " + std::to_string(type));
  }
  if (body.size() < kEventFixedBodySize) {
    return Status::Corruption("event record body of " + std::to_string(body.size()) +
                              " bytes is shorter than its fixed part");
  }
  const char* b = body.data();
  const size_t stream_len = DecodeFixed16(b + kEventStreamLenOffset);
  const size_t type_len = DecodeFixed16(b + kEventTypeLenOffset);
  const size_t data_len = DecodeFixed32(b + kEventDataLenOffset);
  const size_t metadata_len = DecodeFixed32(b + kEventMetadataLenOffset);
  if (kEventFixedBodySize + stream_len + type_len + data_len + metadata_len != body.size()) {
    return Status::Corruption("event record field lengths do not add up to its length " +
                              std::to_string(body.size()));
  }
  record->commit = (static_cast<uint8_t>(b[1]) & kFlagCommit) != 0;
  record->position = GlobalPosition(DecodeFixed64(b + kEventPositionOffset));
  record->version = StreamVersion(DecodeFixed64(b + kEventVersionOffset));
  record->timestamp_us = static_cast<int64_t>(DecodeFixed64(b + kEventTimestampOffset));
  record->id.hi = DecodeBigEndian64(b + kEventIdOffset);
  record->id.lo = DecodeBigEndian64(b + kEventIdOffset + 8);
  const char* p = b + kEventFixedBodySize;
  record->stream = std::string_view(p, stream_len);
  p += stream_len;
  record->type = std::string_view(p, type_len);
  p += type_len;
  record->data = std::string_view(p, data_len);
  p += data_len;
  record->metadata = std::string_view(p, metadata_len);
  return BodyKind::kEvent;
}

std::string EncodeSegmentHeader(GlobalPosition base) {
  std::string header(kSegmentHeaderSize, '\0');
  char* h = header.data();
  std::memcpy(h, kSegmentMagic.data(), kSegmentMagic.size());
  EncodeFixed32(h + kSegmentHeaderVersionOffset, kFormatVersion);
  EncodeFixed32(h + kSegmentHeaderSizeOffset, static_cast<uint32_t>(kSegmentHeaderSize));
  EncodeFixed64(h + kSegmentHeaderBaseOffset, base.value);
  EncodeFixed32(h + kSegmentHeaderCrcOffset,
                crc32c::Mask(crc32c::Value(h, kSegmentHeaderCrcOffset)));
  return header;
}

Result<GlobalPosition> DecodeSegmentHeader(std::string_view header) {
  if (header.size() < kSegmentHeaderSize) {
    return Status::Corruption("segment header cut short (" + std::to_string(header.size()) +
                              " of " + std::to_string(kSegmentHeaderSize) + " bytes)");
  }
  const char* h = header.data();
  if (header.substr(0, kSegmentMagic.size()) != kSegmentMagic) {
    return Status::Corruption("bad segment magic");
  }
  if (crc32c::Unmask(DecodeFixed32(h + kSegmentHeaderCrcOffset)) !=
      crc32c::Value(h, kSegmentHeaderCrcOffset)) {
    return Status::Corruption("segment header CRC mismatch");
  }
  const uint32_t version = DecodeFixed32(h + kSegmentHeaderVersionOffset);
  if (version != kFormatVersion) {
    return Status::Corruption("unsupported segment format version " + std::to_string(version));
  }
  if (DecodeFixed32(h + kSegmentHeaderSizeOffset) != kSegmentHeaderSize) {
    return Status::Corruption("unexpected segment header size");
  }
  const GlobalPosition base(DecodeFixed64(h + kSegmentHeaderBaseOffset));
  if (base == kNoPosition) return Status::Corruption("segment base position 0");
  return base;
}

std::string SegmentFileName(GlobalPosition base) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020llu", static_cast<unsigned long long>(base.value));
  return std::string(name) + std::string(kSegmentSuffix);
}

std::string IndexFileName(GlobalPosition base) {
  std::string name = SegmentFileName(base);
  return name.replace(name.size() - kSegmentSuffix.size(), kSegmentSuffix.size(), kIndexSuffix);
}

bool ParseSegmentFileName(std::string_view name, GlobalPosition* base) {
  if (name.size() != kSegmentNameDigits + kSegmentSuffix.size() ||
      name.substr(kSegmentNameDigits) != kSegmentSuffix) {
    return false;
  }
  uint64_t value = 0;
  const char* end = name.data() + kSegmentNameDigits;
  auto [ptr, ec] = std::from_chars(name.data(), end, value);
  if (ec != std::errc() || ptr != end || value == 0) return false;
  *base = GlobalPosition(value);
  return true;
}

}  // namespace duet::log
