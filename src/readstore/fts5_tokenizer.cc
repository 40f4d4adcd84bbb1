#include "readstore/fts5_tokenizer.h"

#include <climits>

namespace duet::readstore {
namespace {

// The arguments search_fts was created with (after the tokenizer's name).
const char* kArgs[] = {"remove_diacritics", "2"};

int CollectToken(void* out, int /*flags*/, const char* token, int size, int /*start*/,
                 int /*end*/) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(token, size_t(size));
  return SQLITE_OK;
}

}  // namespace

Result<std::unique_ptr<FtsTokenizer>> FtsTokenizer::Create(Connection& db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db.raw(), "SELECT fts5(?1)", -1, &stmt, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_bind_pointer(stmt, 1, &api, "fts5_api_ptr", nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  if (api == nullptr || (rc != SQLITE_ROW && rc != SQLITE_DONE)) {
    return Status::FailedPrecondition("SQLite has no FTS5");
  }
  void* context = nullptr;
  fts5_tokenizer tokenizer{};
  if (api->xFindTokenizer(api, "unicode61", &context, &tokenizer) != SQLITE_OK) {
    return Status::FailedPrecondition("FTS5 has no unicode61 tokenizer");
  }
  return std::unique_ptr<FtsTokenizer>(new FtsTokenizer(context, tokenizer));
}

Result<std::vector<std::string>> FtsTokenizer::Tokens(std::string_view text) const {
  if (text.size() > size_t(INT_MAX)) return Status::InvalidArgument("text", "too long");
  ::Fts5Tokenizer* instance = nullptr;
  int rc = tokenizer_.xCreate(context_, kArgs, 2, &instance);
  if (rc != SQLITE_OK) return Status::IOError("fts5 tokenizer: cannot create unicode61");
  std::vector<std::string> tokens;
  rc = tokenizer_.xTokenize(instance, &tokens, FTS5_TOKENIZE_DOCUMENT, text.data(),
                            int(text.size()), CollectToken);
  tokenizer_.xDelete(instance);
  if (rc != SQLITE_OK) return Status::IOError("fts5 tokenizer: unicode61 failed");
  return tokens;
}

}  // namespace duet::readstore
