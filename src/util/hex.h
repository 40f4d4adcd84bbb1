// Hexadecimal digits, shared by every parser of hex text (UUIDs, percent
// escapes).
#ifndef DUET_UTIL_HEX_H_
#define DUET_UTIL_HEX_H_

#include <string>
#include <string_view>

namespace duet {

// 0..15 for [0-9a-fA-F], -1 for anything else.
constexpr int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Lower-case hex text of `bytes`, two digits per byte.
inline std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  return out;
}

}  // namespace duet

#endif  // DUET_UTIL_HEX_H_
