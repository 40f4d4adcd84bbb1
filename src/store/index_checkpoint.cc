#include "store/index_checkpoint.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "util/crc32c.h"

namespace duet::store {
namespace {

constexpr size_t kHeaderSize = 32;  // magic 8, version 4, reserved 4, position 8, streams 8

void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

// Bounds-checked little-endian reader over the checkpoint bytes.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : bytes_(bytes) {}
  bool Fixed32(uint32_t* v) { return Fixed(v, 4); }
  bool Fixed64(uint64_t* v) { return Fixed(v, 8); }
  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= bytes_.size()) return false;
      const auto byte = static_cast<uint8_t>(bytes_[pos_++]);
      *v |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (bytes_.size() - pos_ < n) return false;
    *out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  template <typename T>
  bool Fixed(T* v, size_t width) {
    if (bytes_.size() - pos_ < width) return false;
    *v = 0;
    for (size_t i = 0; i < width; ++i) {
      *v |= static_cast<T>(static_cast<uint8_t>(bytes_[pos_ + i])) << (8 * i);
    }
    pos_ += width;
    return true;
  }
  std::string_view bytes_;
  size_t pos_ = 0;
};

Status Bad(std::string_view what) {
  return Status::Corruption("index checkpoint: " + std::string(what));
}

}  // namespace

std::string EncodeIndexCheckpoint(const StreamIndex& index, GlobalPosition position) {
  std::string body;
  uint64_t streams = 0;
  index.ForEach(position, [&](std::string_view name, std::span<const uint64_t> positions) {
    ++streams;
    PutVarint(&body, name.size());
    body.append(name);
    PutVarint(&body, positions.size());
    uint64_t previous = 0;
    for (uint64_t p : positions) {
      PutVarint(&body, p - previous);  // positions rise, so deltas stay small
      previous = p;
    }
  });
  std::string out;
  out.reserve(kHeaderSize + body.size() + 4);
  out.append(kIndexCheckpointMagic, sizeof(kIndexCheckpointMagic));
  PutFixed32(&out, kIndexCheckpointVersion);
  PutFixed32(&out, 0);
  PutFixed64(&out, position.value);
  PutFixed64(&out, streams);
  out.append(body);
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out.data(), out.size())));
  return out;
}

Result<LoadedIndex> DecodeIndexCheckpoint(std::string_view bytes) {
  if (bytes.size() < kHeaderSize + 4) return Bad("file too short");
  const std::string_view covered = bytes.substr(0, bytes.size() - 4);
  Reader trailer(bytes.substr(bytes.size() - 4));
  uint32_t stored_crc = 0;
  trailer.Fixed32(&stored_crc);
  if (crc32c::Unmask(stored_crc) != crc32c::Value(covered.data(), covered.size())) {
    return Bad("CRC mismatch");
  }
  if (std::memcmp(covered.data(), kIndexCheckpointMagic, sizeof(kIndexCheckpointMagic)) != 0) {
    return Bad("bad magic");
  }
  Reader in(covered.substr(sizeof(kIndexCheckpointMagic)));
  uint32_t version = 0, reserved = 0;
  uint64_t position = 0, stream_count = 0;
  in.Fixed32(&version);
  in.Fixed32(&reserved);
  in.Fixed64(&position);
  in.Fixed64(&stream_count);
  if (version != kIndexCheckpointVersion) {
    return Bad("unsupported format version " + std::to_string(version));
  }
  LoadedIndex loaded;
  loaded.position = GlobalPosition(position);
  uint64_t events = 0;
  for (uint64_t s = 0; s < stream_count; ++s) {
    uint64_t name_size = 0, count = 0;
    std::string_view name;
    if (!in.Varint(&name_size) || !in.Bytes(name_size, &name) || !in.Varint(&count)) {
      return Bad("truncated stream entry");
    }
    // Every position takes at least one byte, so a count beyond the bytes left
    // is a lie; checked before reserving, since the count comes from the file.
    if (count == 0 || count > position - events || count > in.remaining()) {
      return Bad("bad event count");
    }
    std::vector<uint64_t> positions;
    positions.reserve(count);
    uint64_t previous = 0;
    for (uint64_t i = 0; i < count; ++i) {
      uint64_t delta = 0;
      // Compared as `delta > position - previous`: `previous + delta` could wrap.
      if (!in.Varint(&delta) || delta == 0 || delta > position - previous) {
        return Bad("bad position delta");
      }
      previous += delta;
      positions.push_back(previous);
    }
    events += count;
    if (!loaded.streams.emplace(std::string(name), std::move(positions)).second) {
      return Bad("duplicate stream");
    }
  }
  if (in.remaining() != 0) return Bad("trailing bytes");
  // Positions are contiguous from 1, so the checkpoint must cover every one,
  // each in exactly one stream. `position` equals the events read, so the
  // bitmap is bounded by the file's size.
  if (events != position) return Bad("event count does not match position");
  std::vector<bool> seen(position + 1, false);
  for (const auto& [name, positions] : loaded.streams) {
    for (uint64_t p : positions) {
      if (seen[p]) return Bad("position listed in two streams");
      seen[p] = true;
    }
  }
  return loaded;
}

std::filesystem::path IndexCheckpointPath(const std::filesystem::path& index_dir,
                                          GlobalPosition position) {
  char name[32];
  std::snprintf(name, sizeof(name), "%020llu.idx", static_cast<unsigned long long>(position.value));
  return index_dir / name;
}

std::vector<GlobalPosition> ListIndexCheckpoints(FileSystem& fs,
                                                 const std::filesystem::path& index_dir) {
  std::vector<GlobalPosition> out;
  Result<std::vector<std::string>> names = fs.ListDir(index_dir);
  if (!names.ok()) return out;  // an unreadable folder holds no usable checkpoint
  for (const std::string& name : *names) {
    if (name.size() != 24 || !name.ends_with(".idx")) continue;
    uint64_t value = 0;
    const auto [end, err] = std::from_chars(name.data(), name.data() + 20, value);
    if (err != std::errc() || end != name.data() + 20) continue;
    out.emplace_back(value);
  }
  std::sort(out.begin(), out.end(), std::greater<>());
  return out;
}

}  // namespace duet::store
