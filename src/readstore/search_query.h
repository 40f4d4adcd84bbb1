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

// `term` as an FTS5 string: in double quotes, inner quotes doubled.
std::string QuotedTerm(std::string_view term);

// Ranking (the search store's bounded ranking; docs/decisions.md, "Search:
// bm25 over a bounded candidate set"). The formula is FTS5's bm25(): for each
// phrase, idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len / avg_len)),
// k1 = 1.2, b = 0.75, idf = ln((docs - df + 0.5) / (df + 0.5)) or 1e-6 when
// that is not positive; higher is better.
struct RankPhrase {
  std::vector<std::string> tokens;  // as the tokenizer wrote them, in order
  bool prefix = false;              // the last token matches as a prefix
  double idf = 0;
};

struct CorpusStats {
  int64_t docs = 0;    // documents in the index
  int64_t tokens = 0;  // tokens in all of them
};

double Idf(const CorpusStats& corpus, int64_t df);

// How many times `phrase` occurs in `doc` (a document's tokens, in order).
int64_t PhraseCount(const RankPhrase& phrase, const std::vector<std::string>& doc);

// The score of a document with tokens `doc` for `phrases`.
double Bm25(const std::vector<RankPhrase>& phrases, const std::vector<std::string>& doc,
            const CorpusStats& corpus);

}  // namespace duet::readstore

#endif  // DUET_READSTORE_SEARCH_QUERY_H_
