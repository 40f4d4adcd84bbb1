// CanonicalJson: one byte string per JSON value, so that equal content gives
// equal bytes whatever order a projection inserted object keys in. Used by
// every read store for ForEachEntry (digests, diffs) and by the SQLite stores
// for what they write.
//
// Form: boost::json's serialization of scalars and arrays, object members
// sorted by key (bytewise), no whitespace.
//
// Thread-safe: pure functions.
#ifndef DUET_READSTORE_CANONICAL_JSON_H_
#define DUET_READSTORE_CANONICAL_JSON_H_

#include <boost/json.hpp>
#include <string>

namespace duet::readstore {

std::string CanonicalJson(const boost::json::value& value);
std::string CanonicalJson(const boost::json::object& object);
// Appends the canonical form of `value` to `out`.
void AppendCanonicalJson(const boost::json::value& value, std::string* out);

}  // namespace duet::readstore

#endif  // DUET_READSTORE_CANONICAL_JSON_H_
