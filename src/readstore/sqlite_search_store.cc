// OpenSearchStore: the SearchStore in SQLite FTS5 (docs/format.md, "Read
// stores"; why one text column: docs/decisions.md).
//
// search_docs holds one row per key: `body` (every text field joined by
// newlines: the FTS5 content) and `doc` (the canonical JSON entry: text,
// filters, stored). search_fts is an external-content FTS5 index over
// search_docs.body, tokenized unicode61 with diacritics removed; its rowid is
// search_docs.id. search_filters(field, value, id) makes each filter an index
// lookup.
//
// A query never reaches FTS5 as user syntax: SearchQueryExpression keeps only
// words and quotes each one. A query ranks a bounded candidate set (the newest
// matches, walked in rowid order), never every match: see Search.
#include <algorithm>
#include <map>
#include <memory>

#include "duet/read_store.h"
#include "readstore/canonical_json.h"
#include "readstore/cursor.h"
#include "readstore/search_query.h"
#include "readstore/sqlite_store_file.h"
#include "readstore/txn_base.h"

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
)sql";

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
  return readstore::CanonicalJson(entry);
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
class SqliteSearchTxn final : public readstore::ParkingTxn<SearchTxn> {
 public:
  SqliteSearchTxn(const void* owner, readstore::TxnSlot slot, readstore::SqliteStoreFile* file)
      : ParkingTxn(owner, std::move(slot)), file_(file), batch_(file) {}

  Result<std::optional<SearchDocument>> Get(std::string_view key) override;
  Status Upsert(std::string_view key, SearchDocument doc) override {
    if (key.empty()) return Status::InvalidArgument("key", "must not be empty");
    staged_[std::string(key)] = std::move(doc);
    return Status::OK();
  }
  Status Delete(std::string_view key) override {
    staged_[std::string(key)] = std::nullopt;
    return Status::OK();
  }

  // Key order: the same batch writes the file the same way.
  const std::map<std::string, std::optional<SearchDocument>, std::less<>>& staged() const {
    return staged_;
  }

 private:
  readstore::SqliteStoreFile* file_;
  readstore::BatchGuard batch_;
  std::map<std::string, std::optional<SearchDocument>, std::less<>> staged_;
};

class SqliteSearchStore final : public SearchStore {
 public:
  explicit SqliteSearchStore(std::unique_ptr<readstore::SqliteStoreFile> file)
      : file_(std::move(file)) {}

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
      for (const auto& [key, doc] : mine->staged()) {
        DUET_RETURN_IF_ERROR(RemoveExisting(db, key));
        if (doc) DUET_RETURN_IF_ERROR(Insert(db, key, *doc));
      }
      return Status::OK();
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
  static Status RemoveExisting(Connection& db, std::string_view key);
  static Status Insert(Connection& db, std::string_view key, const SearchDocument& doc);

  std::unique_ptr<readstore::SqliteStoreFile> file_;
  std::atomic<bool> txn_open_{false};
};

Status SqliteSearchStore::RemoveExisting(Connection& db, std::string_view key) {
  DUET_ASSIGN_OR_RETURN(Statement * find,
                        db.Prepare("SELECT id, body FROM search_docs WHERE key = ?1"));
  DUET_ASSIGN_OR_RETURN(bool row, find->BindBlob(1, key).Step());
  if (!row) return Status::OK();
  const int64_t id = find->ColumnInt64(0);
  const std::string body(find->ColumnText(1));
  find->Reset();
  // External content: FTS5 removes a row's terms given the text it indexed.
  DUET_ASSIGN_OR_RETURN(
      Statement * unindex,
      db.Prepare("INSERT INTO search_fts(search_fts, rowid, body) VALUES('delete', ?1, ?2)"));
  DUET_RETURN_IF_ERROR(unindex->BindInt64(1, id).BindText(2, body).Run());
  DUET_ASSIGN_OR_RETURN(Statement * filters,
                        db.Prepare("DELETE FROM search_filters WHERE id = ?1"));
  DUET_RETURN_IF_ERROR(filters->BindInt64(1, id).Run());
  DUET_ASSIGN_OR_RETURN(Statement * remove, db.Prepare("DELETE FROM search_docs WHERE id = ?1"));
  return remove->BindInt64(1, id).Run();
}

Status SqliteSearchStore::Insert(Connection& db, std::string_view key, const SearchDocument& doc) {
  const std::string body = Body(doc);
  DUET_ASSIGN_OR_RETURN(Statement * insert,
                        db.Prepare("INSERT INTO search_docs(key, body, doc) VALUES(?1, ?2, ?3)"));
  DUET_RETURN_IF_ERROR(insert->BindBlob(1, key).BindText(2, body).BindText(3, DocJson(doc)).Run());
  const int64_t id = sqlite3_last_insert_rowid(db.raw());
  DUET_ASSIGN_OR_RETURN(Statement * index,
                        db.Prepare("INSERT INTO search_fts(rowid, body) VALUES(?1, ?2)"));
  DUET_RETURN_IF_ERROR(index->BindInt64(1, id).BindText(2, body).Run());
  for (const auto& [field, value] : doc.filters) {
    DUET_ASSIGN_OR_RETURN(
        Statement * filter,
        db.Prepare("INSERT OR IGNORE INTO search_filters(field, value, id) VALUES(?1, ?2, ?3)"));
    DUET_RETURN_IF_ERROR(filter->BindBlob(1, field).BindBlob(2, value).BindInt64(3, id).Run());
  }
  return Status::OK();
}

// The candidates' SQL for `filters` filter conditions (one cached statement
// per count): the newest ?2 matches, newest first, with their bm25 rank.
// FTS5 walks a match's doclist in rowid order and stops at the LIMIT, so the
// work is bounded by the candidates, not by the matches; only the ranking
// below reads more than the rowid of each.
std::string CandidatesSql(size_t filters) {
  std::string sql =
      "SELECT d.key, d.doc, bm25(search_fts) FROM search_fts "
      "JOIN search_docs AS d ON d.id = search_fts.rowid WHERE search_fts MATCH ?1";
  for (size_t i = 0; i < filters; ++i) {
    const std::string field = "?" + std::to_string(3 + 2 * i);
    const std::string value = "?" + std::to_string(4 + 2 * i);
    sql += " AND EXISTS (SELECT 1 FROM search_filters AS f WHERE f.field = " + field +
           " AND f.value = " + value + " AND f.id = search_fts.rowid)";
  }
  sql += " ORDER BY search_fts.rowid DESC LIMIT ?2";
  return sql;
}

struct Candidate {
  double rank = 0;  // bm25: lower is better
  std::string key;
  std::string doc;  // parsed only when it makes the page
};

Result<std::optional<SearchDocument>> SqliteSearchTxn::Get(std::string_view key) {
  auto it = staged_.find(key);
  if (it != staged_.end()) return it->second;
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

Result<SearchResult> SqliteSearchStore::Search(const SearchQuery& query) {
  DUET_RETURN_IF_ERROR(readstore::CheckPageLimit(query.limit));
  if (query.filters.size() > kMaxFilters) {
    return Status::InvalidArgument("filters", "more than 16 filters");
  }
  if (query.offset > kMaxRankedHits - query.limit) {
    return Status::InvalidArgument("offset", "offset + limit must be at most 1000");
  }
  DUET_ASSIGN_OR_RETURN(std::string match, readstore::SearchQueryExpression(query.text));
  const size_t wanted = query.offset + query.limit;
  std::vector<Candidate> candidates;
  SearchResult result;
  DUET_RETURN_IF_ERROR(file_->Read([&](Connection& db, GlobalPosition position) -> Status {
    result.position = position;
    DUET_ASSIGN_OR_RETURN(Statement * stmt, db.Prepare(CandidatesSql(query.filters.size())));
    stmt->BindText(1, match).BindInt64(2, int64_t(std::max(wanted, kRankCandidates)));
    for (size_t i = 0; i < query.filters.size(); ++i) {
      stmt->BindBlob(int(3 + 2 * i), query.filters[i].first)
          .BindBlob(int(4 + 2 * i), query.filters[i].second);
    }
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) return Status::OK();
      candidates.push_back({stmt->ColumnDouble(2), std::string(stmt->ColumnBlob(0)),
                            std::string(stmt->ColumnText(1))});
    }
  }));
  // Best rank first; ties by key, so equal scores page deterministically.
  const size_t end = std::min(wanted, candidates.size());
  const auto better = [](const Candidate& a, const Candidate& b) {
    return a.rank != b.rank ? a.rank < b.rank : a.key < b.key;
  };
  std::partial_sort(candidates.begin(), candidates.begin() + end, candidates.end(), better);
  for (size_t i = query.offset; i < end; ++i) {
    DUET_ASSIGN_OR_RETURN(SearchDocument doc, ParseDoc(candidates[i].doc));
    result.hits.push_back(
        SearchHit{std::move(candidates[i].key), -candidates[i].rank, std::move(doc.stored)});
  }
  return result;
}

}  // namespace

Result<std::unique_ptr<SearchStore>> OpenSearchStore(const std::filesystem::path& dir) {
  DUET_ASSIGN_OR_RETURN(
      auto file, readstore::SqliteStoreFile::Open(dir, ReadStoreKind::kSearch, kSearchSchema));
  return std::unique_ptr<SearchStore>(new SqliteSearchStore(std::move(file)));
}

}  // namespace duet
