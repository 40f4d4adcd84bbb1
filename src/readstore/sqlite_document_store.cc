// OpenDocumentStore: the DocumentStore in SQLite (docs/format.md, "Read
// stores").
//
// Tables: docs(key, json, entries) holds each document and its encoded index
// entries (so a commit knows which idx rows to replace without reading idx);
// idx(ix, value, sort_key, key) is one WITHOUT ROWID b-tree whose primary key
// is the whole row, so a List is one range scan of it.
//
// Write path: a transaction is a write-behind map of the documents it
// touched. Get reads it first, then the parsed-document cache, then SQLite.
// GetForUpdate copies the committed document into the transaction once and
// hands that copy out to edit in place; it keeps the committed entries
// (same pointer), so Commit rewrites only the JSON.
// Commit writes each changed key once (serialized once) and rewrites index
// rows only when a document's entries changed.
#include <algorithm>
#include <memory>
#include <unordered_map>

#include "duet/read_store.h"
#include "readstore/bytes.h"
#include "readstore/cursor.h"
#include "readstore/document_cache.h"
#include "readstore/sqlite_store_file.h"
#include "readstore/txn_base.h"
#include "util/canonical_json.h"

namespace duet {
namespace {

using readstore::CachedDocument;
using readstore::Connection;
using readstore::DocumentCache;
using readstore::IndexEntries;
using readstore::Statement;

constexpr const char* kDocumentSchema = R"sql(
CREATE TABLE docs(key BLOB PRIMARY KEY NOT NULL, json TEXT NOT NULL, entries BLOB NOT NULL)
  WITHOUT ROWID;
CREATE TABLE idx(ix BLOB NOT NULL, value BLOB NOT NULL, sort_key BLOB NOT NULL,
  key BLOB NOT NULL, PRIMARY KEY(ix, value, sort_key, key)) WITHOUT ROWID;
)sql";

const auto kNoEntries = std::make_shared<const IndexEntries>();
// The cache's "no document under this key": a replay into an empty store
// asks for every new key once, and should not ask SQLite each time.
const CachedDocument kAbsent{nullptr, kNoEntries};

std::string EncodeEntries(const IndexEntries& entries) {
  std::string out;
  for (const IndexEntry& e : entries) {
    readstore::PutLengthPrefixed(&out, e.index);
    readstore::PutLengthPrefixed(&out, e.value);
    readstore::PutLengthPrefixed(&out, e.sort_key);
  }
  return out;
}

Result<std::shared_ptr<const IndexEntries>> DecodeEntries(std::string_view in) {
  if (in.empty()) return kNoEntries;
  auto entries = std::make_shared<IndexEntries>();
  while (!in.empty()) {
    IndexEntry e;
    if (!readstore::GetLengthPrefixed(&in, &e.index) ||
        !readstore::GetLengthPrefixed(&in, &e.value) ||
        !readstore::GetLengthPrefixed(&in, &e.sort_key)) {
      return Status::Corruption("docs.entries: bad encoding");
    }
    entries->push_back(std::move(e));
  }
  return std::shared_ptr<const IndexEntries>(std::move(entries));
}

bool SameEntries(const IndexEntries& a, const IndexEntries& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.index == y.index && x.value == y.value && x.sort_key == y.sort_key;
  });
}

Result<boost::json::object> ParseDocument(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  if (ec || !value.is_object()) return Status::Corruption("docs.json: not a JSON object");
  return std::move(value.get_object());
}

// The committed row of `key` read on `db`, or nullopt.
Result<std::optional<CachedDocument>> ReadRow(Connection& db, std::string_view key) {
  DUET_ASSIGN_OR_RETURN(Statement * stmt,
                        db.Prepare("SELECT json, entries FROM docs WHERE key = ?1"));
  DUET_ASSIGN_OR_RETURN(bool row, stmt->BindBlob(1, key).Step());
  if (!row) return std::optional<CachedDocument>();
  DUET_ASSIGN_OR_RETURN(auto doc, ParseDocument(stmt->ColumnText(0)));
  DUET_ASSIGN_OR_RETURN(auto entries, DecodeEntries(stmt->ColumnBlob(1)));
  stmt->Reset();
  return std::optional<CachedDocument>(
      CachedDocument{std::make_shared<const boost::json::object>(std::move(doc)), entries});
}

// What is committed under a key, as far as a commit needs to know.
struct CommittedBase {
  bool exists = false;
  std::shared_ptr<const IndexEntries> entries;
};

CommittedBase BaseOf(const std::optional<CachedDocument>& committed) {
  if (!committed || !committed->doc) return CommittedBase{false, kNoEntries};
  return CommittedBase{true, committed->entries};
}

// The committed base of `key` read on the writer inside its transaction:
// only the entries, no JSON parse.
Result<CommittedBase> ReadBase(Connection& db, std::string_view key) {
  DUET_ASSIGN_OR_RETURN(Statement * stmt, db.Prepare("SELECT entries FROM docs WHERE key = ?1"));
  DUET_ASSIGN_OR_RETURN(bool row, stmt->BindBlob(1, key).Step());
  if (!row) return CommittedBase{false, kNoEntries};
  DUET_ASSIGN_OR_RETURN(auto entries, DecodeEntries(stmt->ColumnBlob(0)));
  stmt->Reset();
  return CommittedBase{true, std::move(entries)};
}

// A document as a transaction sees it.
struct TxnDocument {
  CachedDocument current;  // current.doc null: no document
  // current.doc when this transaction made it (Put, GetForUpdate's copy) and
  // so may edit it: not shared with the cache before Commit.
  boost::json::object* owned = nullptr;
  bool dirty = false;
  // What is committed, once known (a Put of a key the batch never read
  // learns it only at Commit).
  std::optional<CommittedBase> base;
};

class SqliteDocumentStore;

// Thread-compatible: the runner's thread only. Must not outlive its store.
class SqliteDocumentTxn final : public readstore::ParkingTxn<DocumentTxn> {
 public:
  // REQUIRES: `file`'s batch is open; the transaction ends it.
  SqliteDocumentTxn(SqliteDocumentStore* store, readstore::TxnSlot slot,
                    readstore::SqliteStoreFile* file)
      : ParkingTxn(store, std::move(slot)), store_(store), batch_(file) {}

  Result<const boost::json::object*> Get(std::string_view key) override;
  Result<boost::json::object*> GetForUpdate(std::string_view key) override;
  Status Put(std::string_view key, boost::json::object doc,
             std::vector<IndexEntry> index_entries) override;
  Status Delete(std::string_view key) override;

  using Documents =
      std::unordered_map<std::string, TxnDocument, readstore::StringHash, std::equal_to<>>;
  Documents& documents() { return documents_; }

 private:
  // The transaction's entry for `key`, read from the committed state (cache,
  // else SQLite) on first use.
  Result<TxnDocument*> Load(std::string_view key);
  Status Stage(std::string_view key, CachedDocument current, boost::json::object* owned);

  SqliteDocumentStore* store_;
  readstore::BatchGuard batch_;
  Documents documents_;
};

class SqliteDocumentStore final : public DocumentStore {
 public:
  explicit SqliteDocumentStore(std::unique_ptr<readstore::SqliteStoreFile> file)
      : file_(std::move(file)), cache_(DocumentCache::kDefaultCapacity, file_->checkpoint()) {}

  GlobalPosition checkpoint() const override { return file_->checkpoint(); }
  Result<std::unique_ptr<ReadStoreTxn>> Begin() override {
    DUET_ASSIGN_OR_RETURN(auto slot, readstore::TxnSlot::Acquire(&txn_open_));
    DUET_RETURN_IF_ERROR(file_->BeginBatch());
    return std::unique_ptr<ReadStoreTxn>(new SqliteDocumentTxn(this, std::move(slot), file_.get()));
  }
  Status Commit(std::unique_ptr<ReadStoreTxn> txn, GlobalPosition checkpoint) override;
  Result<std::vector<ParkedEvent>> Parked() override { return file_->Parked(); }
  Status ForEachEntry(const EntryVisitor& visit) override;
  Result<DocumentRead> Get(std::string_view key) override;
  Result<DocumentPage> List(const ListRequest& request) override;

  // The committed document under `key` for the writer: cache, else SQLite
  // (filling the cache; no commit can run meanwhile, the writer is us).
  Result<std::optional<CachedDocument>> LoadCommitted(std::string_view key);

 private:
  Status WriteDocument(Connection& db, const std::string& key, TxnDocument& doc);
  Status WriteIndex(Connection& db, const char* sql, const std::string& key,
                    const IndexEntries& entries);

  // The JSON text of `doc`, valid until the next call. Writer only.
  std::string_view Serialize(const boost::json::object& doc);

  std::unique_ptr<readstore::SqliteStoreFile> file_;
  DocumentCache cache_;
  // Reused by every commit: no serializer state or text buffer per document.
  boost::json::serializer serializer_;
  std::string json_;
  std::atomic<bool> txn_open_{false};
};

// --------------------------------------------------------------- the txn

Result<TxnDocument*> SqliteDocumentTxn::Load(std::string_view key) {
  auto it = documents_.find(key);
  if (it == documents_.end()) {
    DUET_ASSIGN_OR_RETURN(auto committed, store_->LoadCommitted(key));
    TxnDocument doc;
    doc.base = BaseOf(committed);
    doc.current = committed.value_or(CachedDocument{nullptr, kNoEntries});
    it = documents_.emplace(std::string(key), std::move(doc)).first;
  }
  return &it->second;
}

Result<const boost::json::object*> SqliteDocumentTxn::Get(std::string_view key) {
  DUET_ASSIGN_OR_RETURN(TxnDocument * doc, Load(key));
  return doc->current.doc.get();
}

Result<boost::json::object*> SqliteDocumentTxn::GetForUpdate(std::string_view key) {
  DUET_ASSIGN_OR_RETURN(TxnDocument * doc, Load(key));
  if (doc->current.doc == nullptr) return nullptr;
  if (doc->owned == nullptr) {
    // The committed (cached) document is shared with readers: edit a copy.
    auto copy = std::make_shared<boost::json::object>(*doc->current.doc);
    doc->owned = copy.get();
    doc->current.doc = std::move(copy);
  }
  doc->dirty = true;
  return doc->owned;
}

Status SqliteDocumentTxn::Stage(std::string_view key, CachedDocument current,
                                boost::json::object* owned) {
  auto it = documents_.find(key);
  if (it == documents_.end()) it = documents_.emplace(std::string(key), TxnDocument{}).first;
  it->second.current = std::move(current);
  it->second.owned = owned;
  it->second.dirty = true;
  return Status::OK();
}

Status SqliteDocumentTxn::Put(std::string_view key, boost::json::object doc,
                              std::vector<IndexEntry> index_entries) {
  if (key.empty()) return Status::InvalidArgument("key", "must not be empty");
  // A projection mostly puts a document back with the entries it had:
  // share them, and Commit sees by pointer that the index is unchanged.
  std::shared_ptr<const IndexEntries> entries = kNoEntries;
  auto it = documents_.find(key);
  if (it != documents_.end() && SameEntries(*it->second.current.entries, index_entries)) {
    entries = it->second.current.entries;
  } else if (!index_entries.empty()) {
    entries = std::make_shared<const IndexEntries>(std::move(index_entries));
  }
  auto owned = std::make_shared<boost::json::object>(std::move(doc));
  boost::json::object* edit = owned.get();
  return Stage(key, CachedDocument{std::move(owned), entries}, edit);
}

Status SqliteDocumentTxn::Delete(std::string_view key) {
  return Stage(key, CachedDocument{nullptr, kNoEntries}, nullptr);
}

// ------------------------------------------------------------- the store

Result<std::optional<CachedDocument>> SqliteDocumentStore::LoadCommitted(std::string_view key) {
  DocumentCache::Hit hit = cache_.Lookup(key);
  if (hit.found) return hit.found->doc ? hit.found : std::nullopt;
  std::optional<CachedDocument> row;
  DUET_RETURN_IF_ERROR(file_->UseWriter([&](Connection& db) -> Status {
    DUET_ASSIGN_OR_RETURN(row, ReadRow(db, key));
    return Status::OK();
  }));
  cache_.FillIfCurrent(key, row.value_or(kAbsent), hit.generation);
  return row;
}

std::string_view SqliteDocumentStore::Serialize(const boost::json::object& doc) {
  serializer_.reset(&doc);
  json_.clear();
  while (!serializer_.done()) {
    const size_t used = json_.size();
    json_.resize(std::max<size_t>(json_.capacity(), used + 256));
    const auto chunk = serializer_.read(json_.data() + used, json_.size() - used);
    json_.resize(used + chunk.size());
  }
  return json_;
}

Status SqliteDocumentStore::WriteIndex(Connection& db, const char* sql, const std::string& key,
                                       const IndexEntries& entries) {
  for (const IndexEntry& e : entries) {
    DUET_ASSIGN_OR_RETURN(Statement * stmt, db.Prepare(sql));
    DUET_RETURN_IF_ERROR(stmt->BindBlob(1, e.index)
                             .BindBlob(2, e.value)
                             .BindBlob(3, e.sort_key)
                             .BindBlob(4, key)
                             .Run());
  }
  return Status::OK();
}

Status SqliteDocumentStore::WriteDocument(Connection& db, const std::string& key,
                                          TxnDocument& doc) {
  if (!doc.base) {
    DocumentCache::Hit hit = cache_.Lookup(key);
    if (hit.found) {
      doc.base = BaseOf(hit.found);
    } else {
      DUET_ASSIGN_OR_RETURN(doc.base, ReadBase(db, key));
    }
  }
  const IndexEntries& old_entries = *doc.base->entries;
  const IndexEntries& new_entries = *doc.current.entries;
  const bool reindex =
      doc.base->entries != doc.current.entries && !SameEntries(old_entries, new_entries);
  if (reindex) {
    DUET_RETURN_IF_ERROR(WriteIndex(
        db, "DELETE FROM idx WHERE ix = ?1 AND value = ?2 AND sort_key = ?3 AND key = ?4", key,
        old_entries));
  }
  if (!doc.current.doc) {
    if (!doc.base->exists) return Status::OK();
    DUET_ASSIGN_OR_RETURN(Statement * del, db.Prepare("DELETE FROM docs WHERE key = ?1"));
    return del->BindBlob(1, key).Run();
  }
  const std::string_view json = Serialize(*doc.current.doc);
  Statement* put = nullptr;
  if (!doc.base->exists) {
    DUET_ASSIGN_OR_RETURN(put,
                          db.Prepare("INSERT INTO docs(key, json, entries) VALUES(?1, ?2, ?3)"));
    put->BindBlob(3, EncodeEntries(new_entries));
  } else if (reindex) {
    DUET_ASSIGN_OR_RETURN(put,
                          db.Prepare("UPDATE docs SET json = ?2, entries = ?3 WHERE key = ?1"));
    put->BindBlob(3, EncodeEntries(new_entries));
  } else {
    // The common case of a projection: same entries, new content.
    DUET_ASSIGN_OR_RETURN(put, db.Prepare("UPDATE docs SET json = ?2 WHERE key = ?1"));
  }
  DUET_RETURN_IF_ERROR(put->BindBlobRef(1, key).BindTextRef(2, json).Run());
  if (!reindex) return Status::OK();
  return WriteIndex(db,
                    "INSERT OR IGNORE INTO idx(ix, value, sort_key, key) VALUES(?1, ?2, ?3, ?4)",
                    key, new_entries);
}

Status SqliteDocumentStore::Commit(std::unique_ptr<ReadStoreTxn> txn, GlobalPosition checkpoint) {
  auto* mine = readstore::OwnTxn<SqliteDocumentTxn>(txn.get(), this);
  if (mine == nullptr) return readstore::ForeignTxn();
  // Changed documents in key order: neighbouring keys share b-tree pages,
  // and the file is written the same way for the same batch.
  std::vector<std::pair<const std::string, TxnDocument>*> changed;
  for (auto& entry : mine->documents()) {
    if (entry.second.dirty) changed.push_back(&entry);
  }
  std::sort(changed.begin(), changed.end(),
            [](const auto* a, const auto* b) { return a->first < b->first; });
  auto write = [&](Connection& db) -> Status {
    for (auto* entry : changed)
      DUET_RETURN_IF_ERROR(WriteDocument(db, entry->first, entry->second));
    return Status::OK();
  };
  std::vector<CachedDocument> replaced;  // freed after the cache lock is released
  replaced.reserve(changed.size());
  auto publish = [&](const readstore::SqliteStoreFile::CommitFn& commit) -> Status {
    std::unique_lock lock(cache_.mutex());
    DUET_RETURN_IF_ERROR(commit());
    for (auto* entry : changed) {
      // A delete caches "absent" (current.doc is null).
      replaced.push_back(cache_.PutLocked(entry->first, std::move(entry->second.current)));
    }
    cache_.PublishLocked(checkpoint);
    return Status::OK();
  };
  return file_->Commit(checkpoint, mine->park_ops(), write, publish);
}

Result<DocumentRead> SqliteDocumentStore::Get(std::string_view key) {
  DocumentCache::Hit hit = cache_.Lookup(key);
  if (hit.found) {
    if (!hit.found->doc) return DocumentRead{std::nullopt, hit.checkpoint};
    return DocumentRead{*hit.found->doc, hit.checkpoint};
  }
  DocumentRead read;
  std::optional<CachedDocument> row;
  DUET_RETURN_IF_ERROR(file_->Read([&](Connection& db, GlobalPosition position) -> Status {
    read.position = position;
    DUET_ASSIGN_OR_RETURN(row, ReadRow(db, key));
    return Status::OK();
  }));
  if (row) read.doc = *row->doc;
  cache_.FillIfCurrent(key, row.value_or(kAbsent), hit.generation);
  return read;
}

const char* ListSql(bool descending, bool from_cursor) {
  static constexpr const char* kSql[2][2] = {
      {"SELECT i.sort_key, i.key, d.json FROM idx AS i JOIN docs AS d ON d.key = i.key "
       "WHERE i.ix = ?1 AND i.value = ?2 ORDER BY i.sort_key, i.key LIMIT ?5",
       "SELECT i.sort_key, i.key, d.json FROM idx AS i JOIN docs AS d ON d.key = i.key "
       "WHERE i.ix = ?1 AND i.value = ?2 AND (i.sort_key, i.key) > (?3, ?4) "
       "ORDER BY i.sort_key, i.key LIMIT ?5"},
      {"SELECT i.sort_key, i.key, d.json FROM idx AS i JOIN docs AS d ON d.key = i.key "
       "WHERE i.ix = ?1 AND i.value = ?2 ORDER BY i.sort_key DESC, i.key DESC LIMIT ?5",
       "SELECT i.sort_key, i.key, d.json FROM idx AS i JOIN docs AS d ON d.key = i.key "
       "WHERE i.ix = ?1 AND i.value = ?2 AND (i.sort_key, i.key) < (?3, ?4) "
       "ORDER BY i.sort_key DESC, i.key DESC LIMIT ?5"}};
  return kSql[descending ? 1 : 0][from_cursor ? 1 : 0];
}

Result<DocumentPage> SqliteDocumentStore::List(const ListRequest& request) {
  DUET_RETURN_IF_ERROR(readstore::CheckPageLimit(request.limit));
  readstore::CursorPosition cursor;
  if (!request.cursor.empty()) {
    DUET_ASSIGN_OR_RETURN(cursor, readstore::DecodeCursor(request.cursor, request.descending));
  }
  DocumentPage page;
  std::string last_sort_key;
  bool more = false;
  DUET_RETURN_IF_ERROR(file_->Read([&](Connection& db, GlobalPosition position) -> Status {
    page.position = position;
    DUET_ASSIGN_OR_RETURN(Statement * stmt,
                          db.Prepare(ListSql(request.descending, !request.cursor.empty())));
    stmt->BindBlob(1, request.index).BindBlob(2, request.value);
    if (!request.cursor.empty()) stmt->BindBlob(3, cursor.sort_key).BindBlob(4, cursor.key);
    stmt->BindInt64(5, int64_t(request.limit) + 1);  // the extra row says "more"
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) return Status::OK();
      if (page.items.size() == request.limit) {
        more = true;
        return Status::OK();
      }
      last_sort_key = stmt->ColumnBlob(0);
      DUET_ASSIGN_OR_RETURN(auto doc, ParseDocument(stmt->ColumnText(2)));
      page.items.push_back(Document{std::string(stmt->ColumnBlob(1)), std::move(doc)});
    }
  }));
  if (more) {
    page.next_cursor =
        readstore::EncodeCursor(last_sort_key, page.items.back().key, request.descending);
  }
  return page;
}

Status SqliteDocumentStore::ForEachEntry(const EntryVisitor& visit) {
  return file_->Read([&](Connection& db, GlobalPosition) -> Status {
    DUET_ASSIGN_OR_RETURN(Statement * stmt, db.Prepare("SELECT key, json FROM docs ORDER BY key"));
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) return Status::OK();
      DUET_ASSIGN_OR_RETURN(auto doc, ParseDocument(stmt->ColumnText(1)));
      visit(stmt->ColumnBlob(0), CanonicalJson(doc));
    }
  });
}

}  // namespace

Result<std::unique_ptr<DocumentStore>> OpenDocumentStore(const std::filesystem::path& dir) {
  DUET_ASSIGN_OR_RETURN(
      auto file, readstore::SqliteStoreFile::Open(dir, ReadStoreKind::kDocument, kDocumentSchema));
  return std::unique_ptr<DocumentStore>(new SqliteDocumentStore(std::move(file)));
}

}  // namespace duet
