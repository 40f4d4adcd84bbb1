#include "readstore/cursor.h"

#include <array>
#include <cstdint>

#include "readstore/bytes.h"
#include "util/crc32c.h"

namespace duet::readstore {
namespace {

constexpr uint8_t kCursorVersion = 1;
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t n = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(n >> shift) & 63]);
  }
  const size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t n = uint8_t(in[i]) << 16;
    if (rest == 2) n |= uint8_t(in[i + 1]) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(n >> 6) & 63]);
  }
  return out;
}

bool Base64UrlDecode(std::string_view in, std::string* out) {
  static const std::array<int8_t, 256> kTable = [] {
    std::array<int8_t, 256> table{};
    table.fill(-1);
    for (size_t i = 0; i < kAlphabet.size(); ++i) table[uint8_t(kAlphabet[i])] = int8_t(i);
    return table;
  }();
  if (in.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const int8_t v = kTable[uint8_t(c)];
    if (v < 0) return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(char((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, or two tokens would decode to the same bytes.
  return (acc & ((1u << bits) - 1)) == 0;
}

uint32_t MaskedCrc(std::string_view bytes) {
  return crc32c::Mask(crc32c::Value(bytes.data(), bytes.size()));
}

Status BadCursor() { return Status::InvalidArgument("cursor", "not a cursor this list issued"); }

}  // namespace

std::string EncodeCursor(std::string_view sort_key, std::string_view key, bool descending) {
  std::string raw;
  raw.push_back(char(kCursorVersion));
  raw.push_back(descending ? 1 : 0);
  PutLengthPrefixed(&raw, sort_key);
  PutLengthPrefixed(&raw, key);
  const uint32_t crc = MaskedCrc(raw);
  for (int i = 0; i < 4; ++i) raw.push_back(char((crc >> (8 * i)) & 0xff));
  return Base64UrlEncode(raw);
}

Result<CursorPosition> DecodeCursor(std::string_view token, bool descending) {
  std::string raw;
  if (!Base64UrlDecode(token, &raw) || raw.size() < 2 + 2 + 4) return BadCursor();
  std::string_view body(raw.data(), raw.size() - 4);
  uint32_t stored = 0;
  for (int i = 0; i < 4; ++i) stored |= uint32_t(uint8_t(raw[raw.size() - 4 + i])) << (8 * i);
  if (stored != MaskedCrc(body)) return BadCursor();
  if (uint8_t(body[0]) != kCursorVersion || uint8_t(body[1]) != (descending ? 1 : 0)) {
    return BadCursor();
  }
  body.remove_prefix(2);
  CursorPosition position;
  if (!GetLengthPrefixed(&body, &position.sort_key) || !GetLengthPrefixed(&body, &position.key) ||
      !body.empty()) {
    return BadCursor();
  }
  return position;
}

Status CheckPageLimit(size_t limit) {
  if (limit == 0 || limit > kMaxPageSize) {
    return Status::InvalidArgument("limit", "must be between 1 and 1000");
  }
  return Status::OK();
}

}  // namespace duet::readstore
