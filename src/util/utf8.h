// UTF-8 checks and repair. Query parameters must be valid UTF-8
// (query/params); text quoted into a problem document is repaired, because
// request bytes (a path, a header) reach messages unchecked and Boost.JSON
// serializes bytes as they are: one invalid sequence would make the whole
// document unparsable for a strict client.
#ifndef DUET_UTIL_UTF8_H_
#define DUET_UTIL_UTF8_H_

#include <string>
#include <string_view>

namespace duet {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// `text` with each maximal ill-formed subsequence replaced by U+FFFD (the
// Unicode standard's recommended practice, which is also what browsers do);
// valid text comes back unchanged.
std::string ReplaceInvalidUtf8(std::string_view text);

}  // namespace duet

#endif  // DUET_UTIL_UTF8_H_
