// CanonicalJson: one byte string per JSON value, so that equal content gives
// equal bytes whatever order a projection inserted object keys in. Used by
// every read store for ForEachEntry (digests, diffs), by the SQLite stores
// for what they write, and by the command bus for the digest of a request
// (domain/command_record.h). Both are kept on disk, so the form never changes.
//
// Form: boost::json's serialization of scalars and arrays (doubles in its
// exponent form, unlike JsonText), object members sorted by key (bytewise),
// no whitespace.
//
// Thread-safe: pure functions.
#ifndef DUET_UTIL_CANONICAL_JSON_H_
#define DUET_UTIL_CANONICAL_JSON_H_

#include <boost/json.hpp>
#include <string>

namespace duet {

std::string CanonicalJson(const boost::json::value& value);
std::string CanonicalJson(const boost::json::object& object);
// Appends the canonical form of `value` to `out`.
void AppendCanonicalJson(const boost::json::value& value, std::string* out);

}  // namespace duet

#endif  // DUET_UTIL_CANONICAL_JSON_H_
