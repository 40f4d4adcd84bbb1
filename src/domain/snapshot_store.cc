#include "domain/snapshot_store.h"

#include <cstring>
#include <system_error>

#include "util/crc32c.h"
#include "util/file_util.h"

namespace duet::domain {
namespace {

void PutFixed32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutFixed64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}
uint64_t GetFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

// FNV-1a, to shorten long stream names into file names.
uint64_t Fnv1a64(std::string_view s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

std::string EncodeSnapshot(const Snapshot& s) {
  std::string out;
  out.reserve(kSnapshotHeaderSize + s.stream.size() + s.payload.size() + kSnapshotTrailerSize);
  out.append(kSnapshotMagic, sizeof(kSnapshotMagic));
  PutFixed32(out, kSnapshotFormatVersion);
  PutFixed32(out, s.schema_version);
  PutFixed64(out, s.version.value);
  PutFixed64(out, s.event_id.hi);
  PutFixed64(out, s.event_id.lo);
  PutFixed32(out, static_cast<uint32_t>(s.stream.size()));
  PutFixed32(out, static_cast<uint32_t>(s.payload.size()));
  out.append(s.stream);
  out.append(s.payload);
  PutFixed32(out, crc32c::Mask(crc32c::Value(out.data(), out.size())));
  return out;
}

Result<Snapshot> DecodeSnapshot(std::string_view bytes) {
  if (bytes.size() < kSnapshotHeaderSize + kSnapshotTrailerSize) {
    return Status::Corruption("snapshot: truncated (" + std::to_string(bytes.size()) + " bytes)");
  }
  const char* p = bytes.data();
  if (std::memcmp(p, kSnapshotMagic, sizeof(kSnapshotMagic)) != 0) {
    return Status::Corruption("snapshot: bad magic");
  }
  const uint32_t format = GetFixed32(p + 8);
  if (format != kSnapshotFormatVersion) {
    return Status::FailedPrecondition("snapshot: unsupported format version " +
                                      std::to_string(format));
  }
  const uint64_t stream_size = GetFixed32(p + 40);
  const uint64_t payload_size = GetFixed32(p + 44);
  if (kSnapshotHeaderSize + stream_size + payload_size + kSnapshotTrailerSize != bytes.size()) {
    return Status::Corruption("snapshot: lengths do not match the file size");
  }
  const size_t covered = bytes.size() - kSnapshotTrailerSize;
  const uint32_t expected = crc32c::Unmask(GetFixed32(p + covered));
  if (crc32c::Value(p, covered) != expected) return Status::Corruption("snapshot: CRC mismatch");
  Snapshot s;
  s.schema_version = GetFixed32(p + 12);
  s.version = StreamVersion(GetFixed64(p + 16));
  s.event_id.hi = GetFixed64(p + 24);
  s.event_id.lo = GetFixed64(p + 32);
  s.stream.assign(p + kSnapshotHeaderSize, stream_size);
  s.payload.assign(p + kSnapshotHeaderSize + stream_size, payload_size);
  return s;
}

SnapshotStore::SnapshotStore(std::filesystem::path dir, FileSystem* fs)
    : dir_(std::move(dir)), fs_(fs != nullptr ? fs : DefaultFileSystem()) {}

std::filesystem::path SnapshotStore::PathFor(std::string_view stream) const {
  // Stream names use [A-Za-z0-9-_.:@$] only, all safe in a file name; the
  // ".snap" suffix keeps "." and ".." out.
  std::string base(stream);
  if (base.size() > kMaxSnapshotBaseName) {
    static constexpr char kHex[] = "0123456789abcdef";
    uint64_t h = Fnv1a64(stream);
    base.resize(kMaxSnapshotBaseName - 17);
    base.push_back('~');
    for (int i = 15; i >= 0; --i) base.push_back(kHex[(h >> (4 * i)) & 0xf]);
  }
  return dir_ / (base + ".snap");
}

Status SnapshotStore::Write(const Snapshot& snapshot) {
  const std::string bytes = EncodeSnapshot(snapshot);
  std::lock_guard<std::mutex> lock(write_mu_);
  if (!dir_synced_) {
    // A new folder's entry persists only once its parent is synced; else a
    // power cut takes every snapshot in it (once per process is enough).
    DUET_RETURN_IF_ERROR(CreateDirectoriesDurably(*fs_, dir_));
    dir_synced_ = true;
  }
  return WriteFileAtomically(*fs_, PathFor(snapshot.stream), bytes);
}

Result<std::optional<Snapshot>> SnapshotStore::Read(std::string_view stream) const {
  Result<std::string> bytes = ReadWholeFile(*fs_, PathFor(stream));
  if (!bytes.ok()) {
    if (bytes.status().IsNotFound()) return std::optional<Snapshot>();
    return bytes.status();
  }
  Result<Snapshot> snapshot = DecodeSnapshot(*bytes);
  if (!snapshot.ok()) return snapshot.status();
  if (snapshot->stream != stream) {
    return Status::Corruption("snapshot file of stream '" + std::string(stream) +
                              "' holds stream '" + snapshot->stream + "'");
  }
  return std::optional<Snapshot>(std::move(snapshot).value());
}

}  // namespace duet::domain
