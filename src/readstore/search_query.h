// The FTS5 expression of a user's search text, built so that nothing the
// user types is read as FTS5 syntax: the text is split into words, each word
// is quoted, the words are ANDed and the last one also matches as a prefix.
//
// A word is a run of letters and digits: ASCII letters and digits, and any
// non-ASCII code point outside the common punctuation and symbol blocks
// (the unicode61 tokenizer makes the final split inside each quoted word, so
// a word only needs to never contain a quote and to hold some token).
//
// Thread-safe: pure function.
#ifndef DUET_READSTORE_SEARCH_QUERY_H_
#define DUET_READSTORE_SEARCH_QUERY_H_

#include <string>
#include <string_view>
#include <vector>

#include "duet/result.h"

namespace duet::readstore {

inline constexpr size_t kMaxSearchWords = 32;

// The words of `text`, in order.
std::vector<std::string> SearchWords(std::string_view text);

// E.g. `ada lov` -> `"ada" AND "lov"*`. Errors: InvalidArgument("q") when
// the text has no word or more than kMaxSearchWords.
Result<std::string> SearchQueryExpression(std::string_view text);

}  // namespace duet::readstore

#endif  // DUET_READSTORE_SEARCH_QUERY_H_
