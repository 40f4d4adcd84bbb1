// FtsTokenizer: FTS5's own `unicode61 remove_diacritics 2` tokenizer, the one
// search_fts indexes with, called from C++ so that the search store's term
// counts (search_terms) and its ranking see exactly the tokens the index
// holds (docs/decisions.md, "Search: bm25 over a bounded candidate set").
//
// Thread-safe: Tokens makes a tokenizer instance per call. The object must
// not outlive the connection it was created from (FTS5's API lives there).
#ifndef DUET_READSTORE_FTS5_TOKENIZER_H_
#define DUET_READSTORE_FTS5_TOKENIZER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "duet/result.h"
#include "readstore/sqlite_db.h"

namespace duet::readstore {

class FtsTokenizer {
 public:
  // Errors: kFailedPrecondition when SQLite has no FTS5 or no unicode61.
  static Result<std::unique_ptr<FtsTokenizer>> Create(Connection& db);

  // The tokens of `text` in order (case folded, diacritics removed).
  // Errors: kIOError when the tokenizer fails (out of memory).
  Result<std::vector<std::string>> Tokens(std::string_view text) const;

 private:
  FtsTokenizer(void* context, fts5_tokenizer tokenizer)
      : context_(context), tokenizer_(tokenizer) {}

  void* context_;
  fts5_tokenizer tokenizer_;
};

}  // namespace duet::readstore

#endif  // DUET_READSTORE_FTS5_TOKENIZER_H_
