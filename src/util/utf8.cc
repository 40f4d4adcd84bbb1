#include "util/utf8.h"

#include <cstdint>

namespace duet {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the well-formed sequence at the start of `text`, or 0 with
// `*bad` set to the length of the maximal ill-formed subpart there (>= 1).
// Table 3-7 of the Unicode standard: the second byte's range depends on the
// lead byte, later continuation bytes are 80..BF.
size_t SequenceLength(std::string_view text, size_t* bad) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(text[i]); };
  const uint8_t lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  uint8_t low = 0x80, high = 0xBF;  // range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // overlong
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // overlong
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    *bad = 1;  // a continuation byte, C0, C1 or F5..FF: never valid
    return 0;
  }
  for (size_t i = 1; i < length; ++i) {
    const bool in_range = i < text.size() && (i == 1 ? byte(i) >= low && byte(i) <= high
                                                     : byte(i) >= 0x80 && byte(i) <= 0xBF);
    if (!in_range) {
      *bad = i;
      return 0;
    }
  }
  return length;
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  while (!text.empty()) {
    size_t bad = 0;
    const size_t length = SequenceLength(text, &bad);
    if (length == 0) return false;
    text.remove_prefix(length);
  }
  return true;
}

std::string ReplaceInvalidUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    size_t bad = 0;
    const size_t length = SequenceLength(text, &bad);
    if (length == 0) {
      out += kReplacement;
      text.remove_prefix(bad);
    } else {
      out.append(text.substr(0, length));
      text.remove_prefix(length);
    }
  }
  return out;
}

}  // namespace duet
