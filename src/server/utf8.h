// UTF-8 repair for text that is quoted into JSON. Request bytes (a path, a
// query parameter, a header) reach messages and answers unchecked, and
// Boost.JSON serializes bytes as they are: one invalid sequence would make
// the whole document unparsable for a strict client.
#ifndef DUET_SERVER_UTF8_H_
#define DUET_SERVER_UTF8_H_

#include <string>
#include <string_view>

namespace duet::server {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// `text` with each maximal ill-formed subsequence replaced by U+FFFD (the
// Unicode standard's recommended practice, which is also what browsers do);
// valid text comes back unchanged.
std::string ReplaceInvalidUtf8(std::string_view text);

}  // namespace duet::server

#endif  // DUET_SERVER_UTF8_H_
