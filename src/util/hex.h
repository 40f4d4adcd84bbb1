// Hexadecimal digits, shared by every parser of hex text (UUIDs, percent
// escapes).
#ifndef DUET_UTIL_HEX_H_
#define DUET_UTIL_HEX_H_

namespace duet {

// 0..15 for [0-9a-fA-F], -1 for anything else.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace duet

#endif  // DUET_UTIL_HEX_H_
