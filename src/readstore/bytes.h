// Byte-string helpers of the read stores: LEB128 varints and length-prefixed
// strings for the small binary encodings (cursors, a document's index
// entries), and a transparent string hash.
//
// Thread-safe: pure functions.
#ifndef DUET_READSTORE_BYTES_H_
#define DUET_READSTORE_BYTES_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace duet::readstore {

// Hash for maps keyed by std::string that are probed with string_views,
// without building a string per lookup (use with std::equal_to<>).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(char((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(char(v));
}

// False when `in` ends inside the varint or it is longer than 10 bytes.
inline bool GetVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    const auto byte = uint8_t(in->front());
    in->remove_prefix(1);
    *v |= uint64_t(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

inline void PutLengthPrefixed(std::string* out, std::string_view bytes) {
  PutVarint(out, bytes.size());
  out->append(bytes);
}

inline bool GetLengthPrefixed(std::string_view* in, std::string* out) {
  uint64_t n = 0;
  if (!GetVarint(in, &n) || n > in->size()) return false;
  out->assign(in->substr(0, n));
  in->remove_prefix(n);
  return true;
}

}  // namespace duet::readstore

#endif  // DUET_READSTORE_BYTES_H_
