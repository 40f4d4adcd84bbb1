#include "util/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace duet::crc32c {
namespace {

constexpr uint32_t kPolyReflected = 0x82f63b78u;

// kTables[0] is the classic byte-at-a-time table; kTables[k][b] is the CRC of
// byte b followed by k zero bytes, which lets the portable path fold eight
// input bytes per step with eight independent lookups (slicing-by-8).
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t crc = b;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ ((crc & 1u) ? kPolyReflected : 0u);
    t[0][b] = crc;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xffu];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

inline uint64_t LoadLittleEndian64(const unsigned char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "portable CRC assumes little-endian");
  return v;
}

// Works on the inverted register (crc ^ ~0), as both paths do.
uint32_t ExtendPortable(uint32_t crc, const char* data, size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  uint32_t l = ~crc;
  // Byte-wise up to 8-byte alignment, then eight bytes per step.
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7u) != 0) {
    l = (l >> 8) ^ kTables[0][(l ^ *p++) & 0xffu];
    --n;
  }
  while (n >= 8) {
    const uint64_t v = LoadLittleEndian64(p) ^ l;
    l = kTables[7][v & 0xff] ^ kTables[6][(v >> 8) & 0xff] ^ kTables[5][(v >> 16) & 0xff] ^
        kTables[4][(v >> 24) & 0xff] ^ kTables[3][(v >> 32) & 0xff] ^ kTables[2][(v >> 40) & 0xff] ^
        kTables[1][(v >> 48) & 0xff] ^ kTables[0][v >> 56];
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    l = (l >> 8) ^ kTables[0][(l ^ *p++) & 0xffu];
    --n;
  }
  return ~l;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) uint32_t ExtendHardware(uint32_t crc, const char* data,
                                                          size_t n) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  uint64_t l = static_cast<uint32_t>(~crc);
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7u) != 0) {
    l = _mm_crc32_u8(static_cast<uint32_t>(l), *p++);
    --n;
  }
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, sizeof(v));
    l = _mm_crc32_u64(l, v);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    l = _mm_crc32_u8(static_cast<uint32_t>(l), *p++);
    --n;
  }
  return ~static_cast<uint32_t>(l);
}
#endif

using ExtendFn = uint32_t (*)(uint32_t, const char*, size_t);

ExtendFn ChooseExtend() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("sse4.2")) return &ExtendHardware;
#endif
  return &ExtendPortable;
}

// Chosen once; a function-local static is initialized thread-safely.
ExtendFn Chosen() {
  static const ExtendFn fn = ChooseExtend();
  return fn;
}

}  // namespace

uint32_t Extend(uint32_t crc, const char* data, size_t n) { return Chosen()(crc, data, n); }

bool HardwareAccelerated() { return Chosen() != &ExtendPortable; }

uint32_t ExtendPortableForTest(uint32_t crc, const char* data, size_t n) {
  return ExtendPortable(crc, data, n);
}

}  // namespace duet::crc32c
