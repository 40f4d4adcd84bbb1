// Fixed-width little-endian integer coding for the on-disk formats
// (docs/format.md: every integer is little-endian unless its table says so).
#ifndef DUET_LOG_CODING_H_
#define DUET_LOG_CODING_H_

#include <cstdint>
#include <cstring>

namespace duet::log {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the coders below copy native integers: port them for big-endian hosts");

inline void EncodeFixed16(char* dst, uint16_t v) { std::memcpy(dst, &v, sizeof(v)); }
inline void EncodeFixed32(char* dst, uint32_t v) { std::memcpy(dst, &v, sizeof(v)); }
inline void EncodeFixed64(char* dst, uint64_t v) { std::memcpy(dst, &v, sizeof(v)); }

inline uint16_t DecodeFixed16(const char* src) {
  uint16_t v;
  std::memcpy(&v, src, sizeof(v));
  return v;
}
inline uint32_t DecodeFixed32(const char* src) {
  uint32_t v;
  std::memcpy(&v, src, sizeof(v));
  return v;
}
inline uint64_t DecodeFixed64(const char* src) {
  uint64_t v;
  std::memcpy(&v, src, sizeof(v));
  return v;
}

// Big-endian, for the event id only (so its 16 bytes read as the UUID).
inline void EncodeBigEndian64(char* dst, uint64_t v) {
  v = __builtin_bswap64(v);
  std::memcpy(dst, &v, sizeof(v));
}
inline uint64_t DecodeBigEndian64(const char* src) { return __builtin_bswap64(DecodeFixed64(src)); }

}  // namespace duet::log

#endif  // DUET_LOG_CODING_H_
