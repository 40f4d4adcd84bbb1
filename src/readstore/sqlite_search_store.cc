// OpenSearchStore: the SearchStore in SQLite FTS5 (docs/format.md, "Read
// stores"; why one text column: docs/decisions.md).
//
// search_docs holds one row per key: `body` (every text field joined by
// newlines: the FTS5 content) and `doc` (the canonical JSON entry: text,
// filters, stored). search_fts is an external-content FTS5 index over
// search_docs.body, tokenized unicode61 with diacritics removed; its rowid is
// search_docs.id, given out downwards (the newest document has the smallest),
// so FTS5's forward walk of a match meets the newest first.
// search_filters(field, value, id) makes each filter an index lookup.
// search_terms(term, docs) counts the documents holding each token and
// search_totals the documents and tokens, for the ranking's idf and average
// length without a pass over the index.
//
// A query never reaches FTS5 as user syntax: SearchQueryExpression keeps only
// words and quotes each one. A query ranks a bounded candidate set (the
// newest matches), never every match, and expands its prefix word into the
// terms it covers from search_terms: see Search.
#include <algorithm>
#include <map>
#include <memory>

#include "duet/read_store.h"
#include "readstore/cursor.h"
#include "readstore/fts5_tokenizer.h"
#include "readstore/search_query.h"
#include "readstore/sqlite_store_file.h"
#include "readstore/txn_base.h"
#include "util/canonical_json.h"

namespace duet {
namespace {

using readstore::Connection;
using readstore::Statement;

constexpr const char* kSearchSchema = R"sql(
CREATE TABLE search_docs(id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE,
  body TEXT NOT NULL, doc TEXT NOT NULL);
CREATE TABLE search_filters(field BLOB NOT NULL, value BLOB NOT NULL, id INTEGER NOT NULL,
  PRIMARY KEY(field, value, id)) WITHOUT ROWID;
CREATE INDEX search_filters_by_id ON search_filters(id);
CREATE VIRTUAL TABLE search_fts USING fts5(body, content='search_docs', content_rowid='id',
  tokenize='unicode61 remove_diacritics 2');
CREATE TABLE search_terms(term BLOB PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE search_totals(docs INTEGER NOT NULL, tokens INTEGER NOT NULL);
INSERT INTO search_totals VALUES(0, 0);
)sql";

// The id of the first document; each later one gets the smallest id minus 1.
constexpr int64_t kFirstId = int64_t(1) << 62;
// A prefix word covering at most this many terms is matched as their OR
// (each streamed by FTS5); more, and it goes to FTS5 as a prefix query.
constexpr size_t kMaxPrefixTerms = 64;

constexpr size_t kMaxFilters = 16;
// Search ranks the newest kRankCandidates matches (or offset + limit, when
// more), so its work is bounded by the page, not by how many documents match
// (docs/decisions.md, "Search: bm25 over a bounded candidate set").
constexpr size_t kRankCandidates = 256;
constexpr size_t kMaxRankedHits = 1000;  // offset + limit

using Pairs = std::vector<std::pair<std::string, std::string>>;

boost::json::array PairsJson(const Pairs& pairs) {
  boost::json::array out;
  for (const auto& [name, value] : pairs) out.push_back(boost::json::array{name, value});
  return out;
}

// The stored form keeps the projection's order of fields, so Get returns
// what was upserted: {"filters":[[n,v],...],"stored":{...},"text":[[n,t],...]}.
std::string DocJson(const SearchDocument& doc) {
  boost::json::object entry;
  entry["text"] = PairsJson(doc.text);
  entry["filters"] = PairsJson(doc.filters);
  entry["stored"] = doc.stored;
  return boost::json::serialize(entry);
}

bool ReadPairs(const boost::json::value* json, Pairs* out) {
  if (json == nullptr || !json->is_array()) return false;
  for (const auto& pair : json->get_array()) {
    const auto* items = pair.if_array();
    if (items == nullptr || items->size() != 2 || !(*items)[0].is_string() ||
        !(*items)[1].is_string()) {
      return false;
    }
    out->emplace_back((*items)[0].get_string(), (*items)[1].get_string());
  }
  return true;
}

Result<SearchDocument> ParseDoc(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  SearchDocument doc;
  const auto* entry = ec ? nullptr : value.if_object();
  const boost::json::value* stored = entry ? entry->if_contains("stored") : nullptr;
  if (stored == nullptr || !stored->is_object() ||
      !ReadPairs(entry->if_contains("text"), &doc.text) ||
      !ReadPairs(entry->if_contains("filters"), &doc.filters)) {
    return Status::Corruption("search_docs.doc: not a search document");
  }
  doc.stored = stored->get_object();
  return doc;
}

// The entry content of ForEachEntry: the stored form with each list of
// pairs sorted, canonical, so equal documents render equal bytes whatever
// order the projection listed fields in.
Result<std::string> EntryJson(std::string_view json) {
  DUET_ASSIGN_OR_RETURN(SearchDocument doc, ParseDoc(json));
  std::sort(doc.text.begin(), doc.text.end());
  std::sort(doc.filters.begin(), doc.filters.end());
  boost::json::object entry;
  entry["text"] = PairsJson(doc.text);
  entry["filters"] = PairsJson(doc.filters);
  entry["stored"] = std::move(doc.stored);
  return CanonicalJson(entry);
}

std::string Body(const SearchDocument& doc) {
  std::string body;
  for (const auto& [name, text] : doc.text) {
    if (!body.empty()) body.push_back('\n');
    body += text;
  }
  return body;
}

class SqliteSearchStore;

// Thread-compatible: the runner's thread only. Must not outlive its store.
// A key's last change in a batch, and since when its text has been what it
// is: ids follow the order in which texts were set, so that the same events
// give the same order whatever the batch boundaries (replay, rebuild and a
// query node's follower must rank the same candidates).
struct StagedDoc {
  std::optional<SearchDocument> doc;  // nullopt: deleted
  std::string body;
  uint64_t body_since = 0;          // the change (in this batch) that set this text
  bool same_text_all_batch = true;  // every change in this batch had this text
};

class SqliteSearchTxn final : public readstore::ParkingTxn<SearchTxn> {
 public:
  SqliteSearchTxn(const void* owner, readstore::TxnSlot slot, readstore::SqliteStoreFile* file)
      : ParkingTxn(owner, std::move(slot)), file_(file), batch_(file) {}

  Result<std::optional<SearchDocument>> Get(std::string_view key) override;
  Status Upsert(std::string_view key, SearchDocument doc) override {
    if (key.empty()) return Status::InvalidArgument("key", "must not be empty");
    std::string body = Body(doc);
    auto [it, first] = staged_.try_emplace(std::string(key));
    StagedDoc& staged = it->second;
    if (first || !staged.doc || staged.body != body) {
      staged.body_since = ++changes_;
      staged.same_text_all_batch = first;
    }
    staged.doc = std::move(doc);
    staged.body = std::move(body);
    return Status::OK();
  }
  Status Delete(std::string_view key) override {
    StagedDoc& staged = staged_[std::string(key)];
    staged = StagedDoc{std::nullopt, std::string(), ++changes_, false};
    return Status::OK();
  }

  // Key order: the same batch writes the file the same way.
  const std::map<std::string, StagedDoc, std::less<>>& staged() const { return staged_; }

 private:
  readstore::SqliteStoreFile* file_;
  readstore::BatchGuard batch_;
  std::map<std::string, StagedDoc, std::less<>> staged_;
  uint64_t changes_ = 0;
};

class SqliteSearchStore final : public SearchStore {
 public:
  SqliteSearchStore(std::unique_ptr<readstore::SqliteStoreFile> file,
                    std::unique_ptr<readstore::FtsTokenizer> tokenizer)
      : file_(std::move(file)), tokenizer_(std::move(tokenizer)) {}

  GlobalPosition checkpoint() const override { return file_->checkpoint(); }
  Result<std::unique_ptr<ReadStoreTxn>> Begin() override {
    DUET_ASSIGN_OR_RETURN(auto slot, readstore::TxnSlot::Acquire(&txn_open_));
    DUET_RETURN_IF_ERROR(file_->BeginBatch());
    return std::unique_ptr<ReadStoreTxn>(new SqliteSearchTxn(this, std::move(slot), file_.get()));
  }
  Status Commit(std::unique_ptr<ReadStoreTxn> txn, GlobalPosition checkpoint) override {
    auto* mine = readstore::OwnTxn<SqliteSearchTxn>(txn.get(), this);
    if (mine == nullptr) return readstore::ForeignTxn();
    return file_->Commit(checkpoint, mine->park_ops(), [&](Connection& db) -> Status {
      TermDeltas deltas;
      std::vector<std::pair<uint64_t, const std::string*>> inserts;  // (body_since, key)
      for (const auto& [key, staged] : mine->staged()) {
        DUET_ASSIGN_OR_RETURN(bool insert, Remove(db, key, staged, &deltas));
        if (insert) inserts.emplace_back(staged.body_since, &key);
      }
      // Texts set later get smaller ids (newer): the order the batch set them.
      std::sort(inserts.begin(), inserts.end());
      for (const auto& [since, key] : inserts) {
        DUET_RETURN_IF_ERROR(Insert(db, *key, mine->staged().find(*key)->second, &deltas));
      }
      return ApplyDeltas(db, deltas);
    });
  }
  Result<std::vector<ParkedEvent>> Parked() override { return file_->Parked(); }
  Status ForEachEntry(const EntryVisitor& visit) override {
    return file_->Read([&](Connection& db, GlobalPosition) -> Status {
      DUET_ASSIGN_OR_RETURN(Statement * stmt,
                            db.Prepare("SELECT key, doc FROM search_docs ORDER BY key"));
      for (;;) {
        DUET_ASSIGN_OR_RETURN(bool row, stmt->Step());
        if (!row) return Status::OK();
        DUET_ASSIGN_OR_RETURN(std::string content, EntryJson(stmt->ColumnText(1)));
        visit(stmt->ColumnBlob(0), content);
      }
    });
  }
  Result<SearchResult> Search(const SearchQuery& query) override;

 private:
  // Changes to search_terms and search_totals, applied once per commit.
  struct TermDeltas {
    std::map<std::string, int64_t> terms;
    int64_t docs = 0;
    int64_t tokens = 0;
  };
  // Applies `staged` except a new row; true when one must be inserted.
  Result<bool> Remove(Connection& db, std::string_view key, const StagedDoc& staged,
                      TermDeltas* deltas) const;
  Status Insert(Connection& db, std::string_view key, const StagedDoc& staged,
                TermDeltas* deltas) const;
  Status Count(std::string_view body, int64_t sign, TermDeltas* deltas) const;
  static Status WriteFilters(Connection& db, int64_t id, const SearchDocument& doc);
  static Status ApplyDeltas(Connection& db, const TermDeltas& deltas);
  // The query's FTS5 expression and ranking phrases, read in `db`'s read
  // transaction; an empty expression when nothing can match.
  Result<std::string> Plan(Connection& db, const std::vector<std::string>& words,
                           const readstore::CorpusStats& corpus,
                           std::vector<readstore::RankPhrase>* phrases) const;

  std::unique_ptr<readstore::SqliteStoreFile> file_;
  std::unique_ptr<readstore::FtsTokenizer> tokenizer_;  // made from file_'s writer
  std::atomic<bool> txn_open_{false};
};

Status SqliteSearchStore::Count(std::string_view body, int64_t sign, TermDeltas* deltas) const {
  DUET_ASSIGN_OR_RETURN(std::vector<std::string> tokens, tokenizer_->Tokens(body));
  deltas->docs += sign;
  deltas->tokens += sign * int64_t(tokens.size());
  std::sort(tokens.begin(), tokens.end());
  tokens.erase(std::unique(tokens.begin(), tokens.end()), tokens.end());
  for (std::string& token : tokens) deltas->terms[std::move(token)] += sign;
  return Status::OK();
}

Status SqliteSearchStore::WriteFilters(Connection& db, int64_t id, const SearchDocument& doc) {
  DUET_ASSIGN_OR_RETURN(Statement * clear, db.Prepare("DELETE FROM search_filters WHERE id = ?1"));
  DUET_RETURN_IF_ERROR(clear->BindInt64(1, id).Run());
  for (const auto& [field, value] : doc.filters) {
    DUET_ASSIGN_OR_RETURN(
        Statement * filter,
        db.Prepare("INSERT OR IGNORE INTO search_filters(field, value, id) VALUES(?1, ?2, ?3)"));
    DUET_RETURN_IF_ERROR(filter->BindBlob(1, field).BindBlob(2, value).BindInt64(3, id).Run());
  }
  return Status::OK();
}

// A document whose text is unchanged (before the batch and by every change
// in it) keeps its row, id and index entries: only `doc` and the filters are
// rewritten (an order changing status does not touch FTS5). Otherwise the old
// row leaves the index (external content: FTS5 removes a row's terms given
// the text it indexed) and a new one is inserted after every removal.
Result<bool> SqliteSearchStore::Remove(Connection& db, std::string_view key,
                                       const StagedDoc& staged, TermDeltas* deltas) const {
  DUET_ASSIGN_OR_RETURN(Statement * find,
                        db.Prepare("SELECT id, body FROM search_docs WHERE key = ?1"));
  DUET_ASSIGN_OR_RETURN(bool found, find->BindBlob(1, key).Step());
  const int64_t old_id = found ? find->ColumnInt64(0) : 0;
  const std::string old_body(found ? find->ColumnText(1) : std::string_view());
  find->Reset();
  if (found && staged.doc && staged.same_text_all_batch && staged.body == old_body) {
    DUET_ASSIGN_OR_RETURN(Statement * update,
                          db.Prepare("UPDATE search_docs SET doc = ?2 WHERE id = ?1"));
    DUET_RETURN_IF_ERROR(update->BindInt64(1, old_id).BindText(2, DocJson(*staged.doc)).Run());
    DUET_RETURN_IF_ERROR(WriteFilters(db, old_id, *staged.doc));
    return false;
  }
  if (found) {
    DUET_ASSIGN_OR_RETURN(
        Statement * unindex,
        db.Prepare("INSERT INTO search_fts(search_fts, rowid, body) VALUES('delete', ?1, ?2)"));
    DUET_RETURN_IF_ERROR(unindex->BindInt64(1, old_id).BindText(2, old_body).Run());
    DUET_RETURN_IF_ERROR(WriteFilters(db, old_id, SearchDocument{}));
    DUET_ASSIGN_OR_RETURN(Statement * remove, db.Prepare("DELETE FROM search_docs WHERE id = ?1"));
    DUET_RETURN_IF_ERROR(remove->BindInt64(1, old_id).Run());
    DUET_RETURN_IF_ERROR(Count(old_body, -1, deltas));
  }
  return staged.doc.has_value();
}

Status SqliteSearchStore::Insert(Connection& db, std::string_view key, const StagedDoc& staged,
                                 TermDeltas* deltas) const {
  DUET_ASSIGN_OR_RETURN(Statement * newest, db.Prepare("SELECT min(id) FROM search_docs"));
  DUET_ASSIGN_OR_RETURN(bool any, newest->Step());
  const int64_t smallest = any ? newest->ColumnInt64(0) : 0;  // NULL (no rows) reads as 0
  const int64_t id = smallest > 0 ? smallest - 1 : kFirstId;
  newest->Reset();
  if (id <= 0) return Status::IOError("search_docs: no ids left below " + std::to_string(id + 1));
  DUET_ASSIGN_OR_RETURN(
      Statement * insert,
      db.Prepare("INSERT INTO search_docs(id, key, body, doc) VALUES(?1, ?2, ?3, ?4)"));
  DUET_RETURN_IF_ERROR(insert->BindInt64(1, id)
                           .BindBlob(2, key)
                           .BindText(3, staged.body)
                           .BindText(4, DocJson(*staged.doc))
                           .Run());
  DUET_ASSIGN_OR_RETURN(Statement * index,
                        db.Prepare("INSERT INTO search_fts(rowid, body) VALUES(?1, ?2)"));
  DUET_RETURN_IF_ERROR(index->BindInt64(1, id).BindText(2, staged.body).Run());
  DUET_RETURN_IF_ERROR(WriteFilters(db, id, *staged.doc));
  return Count(staged.body, +1, deltas);
}

Status SqliteSearchStore::ApplyDeltas(Connection& db, const TermDeltas& deltas) {
  for (const auto& [term, delta] : deltas.terms) {
    if (delta == 0) continue;
    DUET_ASSIGN_OR_RETURN(
        Statement * add, db.Prepare("INSERT INTO search_terms(term, docs) VALUES(?1, ?2) "
                                    "ON CONFLICT(term) DO UPDATE SET docs = docs + excluded.docs"));
    DUET_RETURN_IF_ERROR(add->BindBlob(1, term).BindInt64(2, delta).Run());
    if (delta > 0) continue;
    DUET_ASSIGN_OR_RETURN(Statement * drop,
                          db.Prepare("DELETE FROM search_terms WHERE term = ?1 AND docs <= 0"));
    DUET_RETURN_IF_ERROR(drop->BindBlob(1, term).Run());
  }
  if (deltas.docs == 0 && deltas.tokens == 0) return Status::OK();
  DUET_ASSIGN_OR_RETURN(
      Statement * totals,
      db.Prepare("UPDATE search_totals SET docs = docs + ?1, tokens = tokens + ?2"));
  return totals->BindInt64(1, deltas.docs).BindInt64(2, deltas.tokens).Run();
}

// The candidates' SQL for `filters` filter conditions (one cached statement
// per count): the newest ?2 matches, newest first (ids go down). FTS5 walks
// a match's doclists forward and stops at the LIMIT, so the work is bounded by
// the candidates, not by the matches. No bm25(): FTS5's counts every match of
// each phrase for its idf.
std::string CandidatesSql(size_t filters) {
  std::string sql =
      "SELECT d.key, d.doc, d.body FROM search_fts "
      "JOIN search_docs AS d ON d.id = search_fts.rowid WHERE search_fts MATCH ?1";
  for (size_t i = 0; i < filters; ++i) {
    const std::string field = "?" + std::to_string(3 + 2 * i);
    const std::string value = "?" + std::to_string(4 + 2 * i);
    sql += " AND EXISTS (SELECT 1 FROM search_filters AS f WHERE f.field = " + field +
           " AND f.value = " + value + " AND f.id = search_fts.rowid)";
  }
  sql += " ORDER BY search_fts.rowid LIMIT ?2";
  return sql;
}

struct Candidate {
  double score = 0;  // higher is better
  std::string key;
  std::string doc;  // parsed only when it makes the page
};

// The documents holding `term`; 0 when none.
Result<int64_t> TermDocs(Connection& db, std::string_view term) {
  DUET_ASSIGN_OR_RETURN(Statement * find,
                        db.Prepare("SELECT docs FROM search_terms WHERE term = ?1"));
  DUET_ASSIGN_OR_RETURN(bool row, find->BindBlob(1, term).Step());
  const int64_t docs = row ? find->ColumnInt64(0) : 0;
  find->Reset();
  return docs;
}

// Up to `max` + 1 terms starting with `prefix`, in term order, with their
// document counts.
Result<std::vector<std::pair<std::string, int64_t>>> PrefixTerms(Connection& db,
                                                                 std::string_view prefix,
                                                                 size_t max) {
  DUET_ASSIGN_OR_RETURN(
      Statement * range,
      db.Prepare("SELECT term, docs FROM search_terms WHERE term >= ?1 ORDER BY term LIMIT ?2"));
  range->BindBlob(1, prefix).BindInt64(2, int64_t(max + 1));
  std::vector<std::pair<std::string, int64_t>> terms;
  for (;;) {
    DUET_ASSIGN_OR_RETURN(bool row, range->Step());
    if (!row || !range->ColumnBlob(0).starts_with(prefix)) break;
    terms.emplace_back(std::string(range->ColumnBlob(0)), range->ColumnInt64(1));
  }
  range->Reset();
  return terms;
}

Result<std::optional<SearchDocument>> SqliteSearchTxn::Get(std::string_view key) {
  auto it = staged_.find(key);
  if (it != staged_.end()) return it->second.doc;
  std::optional<SearchDocument> doc;
  DUET_RETURN_IF_ERROR(file_->UseWriter([&](Connection& db) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement * find,
                          db.Prepare("SELECT doc FROM search_docs WHERE key = ?1"));
    DUET_ASSIGN_OR_RETURN(bool row, find->BindBlob(1, key).Step());
    if (!row) return Status::OK();
    DUET_ASSIGN_OR_RETURN(doc, ParseDoc(find->ColumnText(0)));
    find->Reset();
    return Status::OK();
  }));
  return doc;
}

// Every word but the last is a quoted phrase, as SearchQueryExpression
// writes it. The last word, when it is one token, becomes the OR of the terms
// it is a prefix of (at most kMaxPrefixTerms: each streams, where FTS5's own
// prefix query merges every posting of every such term first); otherwise
// FTS5's prefix query. Each phrase's idf comes from search_terms (a phrase
// of several tokens: its rarest token's count; a prefix phrase: the sum over
// its terms, at most every document).
Result<std::string> SqliteSearchStore::Plan(Connection& db, const std::vector<std::string>& words,
                                            const readstore::CorpusStats& corpus,
                                            std::vector<readstore::RankPhrase>* phrases) const {
  std::string match;
  for (size_t i = 0; i < words.size(); ++i) {
    const bool last = i + 1 == words.size();
    DUET_ASSIGN_OR_RETURN(std::vector<std::string> tokens, tokenizer_->Tokens(words[i]));
    if (!match.empty()) match += " AND ";
    if (last && tokens.size() == 1) {
      DUET_ASSIGN_OR_RETURN(auto terms, PrefixTerms(db, tokens[0], kMaxPrefixTerms));
      if (terms.empty()) return std::string();  // no document has a word with this prefix
      if (terms.size() <= kMaxPrefixTerms) {
        match += '(';
        for (size_t t = 0; t < terms.size(); ++t) {
          match += (t > 0 ? " OR " : "") + readstore::QuotedTerm(terms[t].first);
          phrases->push_back({{terms[t].first}, false, readstore::Idf(corpus, terms[t].second)});
        }
        match += ')';
        continue;
      }
    }
    match += readstore::QuotedTerm(words[i]) + (last ? "*" : "");
    int64_t df = corpus.docs;
    for (size_t t = 0; t < tokens.size(); ++t) {
      if (last && t + 1 == tokens.size()) {
        DUET_ASSIGN_OR_RETURN(auto terms, PrefixTerms(db, tokens[t], kMaxPrefixTerms));
        int64_t sum = 0;
        for (const auto& [term, docs] : terms) sum += docs;
        df = std::min(df, terms.size() > kMaxPrefixTerms ? corpus.docs : sum);
      } else {
        DUET_ASSIGN_OR_RETURN(int64_t docs, TermDocs(db, tokens[t]));
        df = std::min(df, docs);
      }
    }
    phrases->push_back({std::move(tokens), last, readstore::Idf(corpus, df)});
  }
  return match;
}

Result<SearchResult> SqliteSearchStore::Search(const SearchQuery& query) {
  DUET_RETURN_IF_ERROR(readstore::CheckPageLimit(query.limit));
  if (query.filters.size() > kMaxFilters) {
    return Status::InvalidArgument("filters", "more than 16 filters");
  }
  if (query.offset > kMaxRankedHits - query.limit) {
    return Status::InvalidArgument("offset", "offset + limit must be at most 1000");
  }
  DUET_RETURN_IF_ERROR(readstore::SearchQueryExpression(query.text).status());
  const std::vector<std::string> words = readstore::SearchWords(query.text);
  const size_t wanted = query.offset + query.limit;
  std::vector<Candidate> candidates;
  SearchResult result;
  DUET_RETURN_IF_ERROR(file_->Read([&](Connection& db, GlobalPosition position) -> Status {
    result.position = position;
    DUET_ASSIGN_OR_RETURN(Statement * totals, db.Prepare("SELECT docs, tokens FROM search_totals"));
    DUET_ASSIGN_OR_RETURN(bool row, totals->Step());
    if (!row) return Status::Corruption("search_totals: no row");
    const readstore::CorpusStats corpus{totals->ColumnInt64(0), totals->ColumnInt64(1)};
    totals->Reset();
    std::vector<readstore::RankPhrase> phrases;
    DUET_ASSIGN_OR_RETURN(std::string match, Plan(db, words, corpus, &phrases));
    if (match.empty()) return Status::OK();
    DUET_ASSIGN_OR_RETURN(Statement * stmt, db.Prepare(CandidatesSql(query.filters.size())));
    stmt->BindText(1, match).BindInt64(2, int64_t(std::max(wanted, kRankCandidates)));
    for (size_t i = 0; i < query.filters.size(); ++i) {
      stmt->BindBlob(int(3 + 2 * i), query.filters[i].first)
          .BindBlob(int(4 + 2 * i), query.filters[i].second);
    }
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool more, stmt->Step());
      if (!more) return Status::OK();
      DUET_ASSIGN_OR_RETURN(std::vector<std::string> tokens,
                            tokenizer_->Tokens(stmt->ColumnText(2)));
      candidates.push_back({readstore::Bm25(phrases, tokens, corpus),
                            std::string(stmt->ColumnBlob(0)), std::string(stmt->ColumnText(1))});
    }
  }));
  // Best score first; ties by key, so equal scores page deterministically.
  const size_t end = std::min(wanted, candidates.size());
  const auto better = [](const Candidate& a, const Candidate& b) {
    return a.score != b.score ? a.score > b.score : a.key < b.key;
  };
  std::partial_sort(candidates.begin(), candidates.begin() + end, candidates.end(), better);
  for (size_t i = query.offset; i < end; ++i) {
    DUET_ASSIGN_OR_RETURN(SearchDocument doc, ParseDoc(candidates[i].doc));
    result.hits.push_back(
        SearchHit{std::move(candidates[i].key), candidates[i].score, std::move(doc.stored)});
  }
  return result;
}

}  // namespace

Result<std::unique_ptr<SearchStore>> OpenSearchStore(const std::filesystem::path& dir) {
  DUET_ASSIGN_OR_RETURN(
      auto file, readstore::SqliteStoreFile::Open(dir, ReadStoreKind::kSearch, kSearchSchema));
  std::unique_ptr<readstore::FtsTokenizer> tokenizer;
  DUET_RETURN_IF_ERROR(file->UseWriter([&](Connection& db) -> Status {
    DUET_ASSIGN_OR_RETURN(tokenizer, readstore::FtsTokenizer::Create(db));
    return Status::OK();
  }));
  return std::unique_ptr<SearchStore>(new SqliteSearchStore(std::move(file), std::move(tokenizer)));
}

}  // namespace duet
