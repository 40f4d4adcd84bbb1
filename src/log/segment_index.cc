#include "log/segment_index.h"

#include "log/coding.h"
#include "log/log_format.h"
#include "log/record_codec.h"
#include "util/crc32c.h"

namespace duet::log {

std::string EncodeSegmentIndex(GlobalPosition base, uint64_t segment_bytes,
                               const std::vector<uint32_t>& offsets) {
  std::string out(kIndexHeaderSize + 4 * offsets.size() + 4, '\0');
  char* p = out.data();
  std::memcpy(p, kIndexMagic.data(), kIndexMagic.size());
  EncodeFixed32(p + 8, kFormatVersion);
  EncodeFixed32(p + 12, static_cast<uint32_t>(kIndexHeaderSize));
  EncodeFixed64(p + 16, base.value);
  EncodeFixed64(p + 24, offsets.size());
  EncodeFixed64(p + 32, segment_bytes);
  p += kIndexHeaderSize;
  for (uint32_t offset : offsets) {
    EncodeFixed32(p, offset);
    p += 4;
  }
  EncodeFixed32(p, crc32c::Mask(crc32c::Value(out.data(), out.size() - 4)));
  return out;
}

Result<std::vector<uint32_t>> DecodeSegmentIndex(std::string_view bytes, GlobalPosition base,
                                                 uint64_t segment_bytes) {
  if (bytes.size() < kIndexHeaderSize + 4) return Status::Corruption("index file too short");
  const char* p = bytes.data();
  if (bytes.substr(0, kIndexMagic.size()) != kIndexMagic)
    return Status::Corruption("bad index magic");
  const size_t crc_at = bytes.size() - 4;
  if (crc32c::Unmask(DecodeFixed32(p + crc_at)) != crc32c::Value(p, crc_at)) {
    return Status::Corruption("index CRC mismatch");
  }
  if (DecodeFixed32(p + 8) != kFormatVersion || DecodeFixed32(p + 12) != kIndexHeaderSize) {
    return Status::Corruption("unsupported index version");
  }
  const uint64_t count = DecodeFixed64(p + 24);
  if (DecodeFixed64(p + 16) != base.value) return Status::Corruption("index of another segment");
  if (DecodeFixed64(p + 32) != segment_bytes)
    return Status::Corruption("index of another segment size");
  if (count != (bytes.size() - kIndexHeaderSize - 4) / 4 ||
      (bytes.size() - kIndexHeaderSize - 4) % 4 != 0) {
    return Status::Corruption("index count does not match its size");
  }
  std::vector<uint32_t> offsets(count);
  uint64_t previous = 0;
  for (uint64_t i = 0; i < count; ++i) {
    offsets[i] = DecodeFixed32(p + kIndexHeaderSize + 4 * i);
    // Each record takes at least a frame header plus a fixed event body.
    const uint64_t min =
        i == 0 ? kSegmentHeaderSize : previous + kFrameHeaderSize + kEventFixedBodySize;
    if (offsets[i] < min || offsets[i] >= segment_bytes ||
        (i == 0 && offsets[i] != kSegmentHeaderSize)) {
      return Status::Corruption("index offsets out of order");
    }
    previous = offsets[i];
  }
  return offsets;
}

Status WriteSegmentIndex(FileSystem* fs, const std::filesystem::path& dir, GlobalPosition base,
                         uint64_t segment_bytes, const std::vector<uint32_t>& offsets) {
  const std::filesystem::path path = dir / IndexFileName(base);
  const std::filesystem::path temp = path.string() + std::string(kTempSuffix);
  {
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<File> file, fs->Open(temp, OpenMode::kCreateTrunc));
    DUET_RETURN_IF_ERROR(file->WriteAt(0, EncodeSegmentIndex(base, segment_bytes, offsets)));
    DUET_RETURN_IF_ERROR(file->Sync());
  }
  DUET_RETURN_IF_ERROR(fs->Rename(temp, path));
  return fs->SyncDir(dir);
}

Result<std::vector<uint32_t>> LoadSegmentIndex(FileSystem* fs, const std::filesystem::path& dir,
                                               GlobalPosition base, uint64_t segment_bytes) {
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<File> file,
                        fs->Open(dir / IndexFileName(base), OpenMode::kRead));
  DUET_ASSIGN_OR_RETURN(const uint64_t size, file->Size());
  if (size >
      kIndexHeaderSize + 4 + 4 * (segment_bytes / (kFrameHeaderSize + kEventFixedBodySize))) {
    return Status::Corruption("index file larger than its segment allows");
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  DUET_ASSIGN_OR_RETURN(const size_t got, file->ReadAt(0, bytes.size(), bytes.data()));
  bytes.resize(got);
  return DecodeSegmentIndex(bytes, base, segment_bytes);
}

}  // namespace duet::log
