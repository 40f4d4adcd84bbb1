// Byte-string helpers for the small binary encodings of the read stores
// (cursors, a document's index entries): LEB128 varints and length-prefixed
// strings.
//
// Thread-safe: pure functions.
#ifndef DUET_READSTORE_BYTES_H_
#define DUET_READSTORE_BYTES_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace duet::readstore {

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
