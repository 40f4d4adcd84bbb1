// CRC32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78): the
// checksum of every log record and file header (docs/format.md).
//
// Extend() uses the SSE4.2 crc32 instruction when the CPU has it (checked once
// at run time) and a portable slicing-by-8 table otherwise; both give the same
// values (tests/util/crc32c_test.cc checks the RFC 3720 vectors on both).
//
// Thread-safe: pure functions.
#ifndef DUET_UTIL_CRC32C_H_
#define DUET_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>

namespace duet::crc32c {

// The CRC32C of data[0, n) appended to a stream whose CRC so far is `crc`
// (0 for the empty stream): Extend(Value(a), b) == Value(a + b).
uint32_t Extend(uint32_t crc, const char* data, size_t n);

// The CRC32C of data[0, n).
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }

// A CRC stored next to the data it covers is masked, so that computing a CRC
// over a buffer that itself holds CRCs (a record inside a file, a frame inside
// a checksummed block) does not degenerate (LevelDB's rotate-and-add).
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;

inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

inline uint32_t Unmask(uint32_t masked) {
  const uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// Whether Extend() uses the hardware instruction on this CPU.
bool HardwareAccelerated();

// Extend() forced onto the portable table path, to test and benchmark it on
// machines that have SSE4.2.
uint32_t ExtendPortableForTest(uint32_t crc, const char* data, size_t n);

}  // namespace duet::crc32c

#endif  // DUET_UTIL_CRC32C_H_
