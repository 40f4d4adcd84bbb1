// NewMemoryDocumentStore: a DocumentStore held in memory only.
//
// Committed documents live in a hash map (shared, immutable objects, so a
// reader copies a document without holding the lock long), index entries in
// an ordered set keyed (index, value, sort_key, key) so a list is a range
// scan. A transaction stages its writes in its own hash map; Commit applies
// them all under one exclusive lock, so readers see whole batches.
// GetForUpdate copies a committed document into the transaction once and
// hands out that copy to edit in place; its index entries are marked as the
// committed ones, so Commit only swaps the document pointer.
#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <tuple>
#include <unordered_map>
#include <variant>

#include "duet/read_store.h"
#include "readstore/bytes.h"
#include "readstore/cursor.h"
#include "readstore/txn_base.h"
#include "util/canonical_json.h"
#include "util/thread_annotations.h"

namespace duet {
namespace {

using readstore::CursorPosition;

struct IndexKey {
  std::string index;
  std::string value;
  std::string sort_key;
  std::string key;
  friend auto operator<=>(const IndexKey&, const IndexKey&) = default;
};

// A committed document and the index entries it was put with.
struct StoredDocument {
  std::shared_ptr<const boost::json::object> doc;
  std::vector<IndexEntry> entries;
};

// A document a transaction wrote (Put, or GetForUpdate's copy). Owned by
// the transaction until Commit hands it to the store as a StoredDocument.
struct StagedDocument {
  std::shared_ptr<boost::json::object> doc;
  std::vector<IndexEntry> entries;
  bool committed_entries = false;  // GetForUpdate: the index is unchanged
};

// What a transaction wrote for one key: a document, or nullopt for a delete.
using Staged = std::optional<StagedDocument>;

class MemoryDocumentStore;

// Thread-compatible: the runner's thread only. Must not outlive its store.
class MemoryDocumentTxn final : public readstore::ParkingTxn<DocumentTxn> {
 public:
  MemoryDocumentTxn(MemoryDocumentStore* store, readstore::TxnSlot slot)
      : ParkingTxn(store, std::move(slot)), store_(store) {}

  Result<const boost::json::object*> Get(std::string_view key) override;
  Result<boost::json::object*> GetForUpdate(std::string_view key) override;
  Status Put(std::string_view key, boost::json::object doc,
             std::vector<IndexEntry> index_entries) override;
  Status Delete(std::string_view key) override;

  using StagedMap = std::unordered_map<std::string, Staged, readstore::StringHash, std::equal_to<>>;
  StagedMap& staged() { return staged_; }

 private:
  // The slot of `key` in staged_, created (empty) when missing.
  Staged& Slot(std::string_view key);

  MemoryDocumentStore* store_;
  StagedMap staged_;
};

// Thread-safe: one writer (a transaction at a time), any number of readers.
class MemoryDocumentStore final : public DocumentStore {
 public:
  GlobalPosition checkpoint() const override {
    std::shared_lock lock(mu_);
    return checkpoint_;
  }

  Result<std::unique_ptr<ReadStoreTxn>> Begin() override {
    DUET_ASSIGN_OR_RETURN(auto slot, readstore::TxnSlot::Acquire(&txn_open_));
    return std::unique_ptr<ReadStoreTxn>(new MemoryDocumentTxn(this, std::move(slot)));
  }

  Status Commit(std::unique_ptr<ReadStoreTxn> txn, GlobalPosition checkpoint) override;

  Result<std::vector<ParkedEvent>> Parked() override {
    std::shared_lock lock(mu_);
    return parked_;
  }

  Status ForEachEntry(const EntryVisitor& visit) override;
  Result<DocumentRead> Get(std::string_view key) override;
  Result<DocumentPage> List(const ListRequest& request) override;

  // For the transaction: the committed document under `key`, or nullptr.
  // The pointer stays valid while the transaction is open, since only its
  // Commit changes the committed state.
  const boost::json::object* CommittedDocument(std::string_view key) const {
    std::shared_lock lock(mu_);
    auto it = docs_.find(key);
    return it == docs_.end() ? nullptr : it->second.doc.get();
  }

 private:
  void ApplyDocument(const std::string& key, Staged staged) REQUIRES(mu_);
  void ApplyParkOp(const readstore::ParkOp& op) REQUIRES(mu_);
  void ScanAscending(const ListRequest& request, const CursorPosition* after,
                     std::vector<const IndexKey*>* out) const REQUIRES(mu_);
  void ScanDescending(const ListRequest& request, const CursorPosition* before,
                      std::vector<const IndexKey*>* out) const REQUIRES(mu_);

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, StoredDocument, readstore::StringHash, std::equal_to<>> docs_
      GUARDED_BY(mu_);
  std::set<IndexKey> index_ GUARDED_BY(mu_);
  std::vector<ParkedEvent> parked_ GUARDED_BY(mu_);
  GlobalPosition checkpoint_ GUARDED_BY(mu_);
  std::atomic<bool> txn_open_{false};
};

// --------------------------------------------------------------- the txn

Result<const boost::json::object*> MemoryDocumentTxn::Get(std::string_view key) {
  auto it = staged_.find(key);
  if (it != staged_.end()) return it->second ? it->second->doc.get() : nullptr;
  return store_->CommittedDocument(key);
}

Result<boost::json::object*> MemoryDocumentTxn::GetForUpdate(std::string_view key) {
  auto it = staged_.find(key);
  if (it != staged_.end()) return it->second ? it->second->doc.get() : nullptr;
  const boost::json::object* committed = store_->CommittedDocument(key);
  if (committed == nullptr) return nullptr;
  // Copied outside the store's lock: the committed document cannot change
  // while this transaction is open (only its Commit changes it).
  auto copy = std::make_shared<boost::json::object>(*committed);
  boost::json::object* doc = copy.get();
  staged_.emplace(std::string(key), StagedDocument{std::move(copy), {}, true});
  return doc;
}

Staged& MemoryDocumentTxn::Slot(std::string_view key) {
  auto it = staged_.find(key);
  if (it == staged_.end()) it = staged_.emplace(std::string(key), std::nullopt).first;
  return it->second;
}

Status MemoryDocumentTxn::Put(std::string_view key, boost::json::object doc,
                              std::vector<IndexEntry> index_entries) {
  if (key.empty()) return Status::InvalidArgument("key", "must not be empty");
  Slot(key) = StagedDocument{std::make_shared<boost::json::object>(std::move(doc)),
                             std::move(index_entries), false};
  return Status::OK();
}

Status MemoryDocumentTxn::Delete(std::string_view key) {
  Slot(key) = std::nullopt;
  return Status::OK();
}

// ------------------------------------------------------------- the store

Status MemoryDocumentStore::Commit(std::unique_ptr<ReadStoreTxn> txn, GlobalPosition checkpoint) {
  auto* mine = readstore::OwnTxn<MemoryDocumentTxn>(txn.get(), this);
  if (mine == nullptr) return readstore::ForeignTxn();
  std::unique_lock lock(mu_);
  if (checkpoint < checkpoint_) return readstore::CheckpointBehind(checkpoint, checkpoint_);
  for (auto& [key, staged] : mine->staged()) ApplyDocument(key, std::move(staged));
  for (const auto& op : mine->park_ops()) ApplyParkOp(op);
  checkpoint_ = checkpoint;
  return Status::OK();
}

bool SameEntries(const std::vector<IndexEntry>& a, const std::vector<IndexEntry>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.index == y.index && x.value == y.value && x.sort_key == y.sort_key;
  });
}

void MemoryDocumentStore::ApplyDocument(const std::string& key, Staged staged) {
  auto it = docs_.find(key);
  if (it != docs_.end() && staged &&
      (staged->committed_entries || SameEntries(it->second.entries, staged->entries))) {
    it->second.doc = std::move(staged->doc);  // the usual update: index untouched
    return;
  }
  if (it != docs_.end()) {
    for (const IndexEntry& e : it->second.entries) {
      index_.erase(IndexKey{e.index, e.value, e.sort_key, key});
    }
  }
  if (!staged) {
    if (it != docs_.end()) docs_.erase(it);
    return;
  }
  for (const IndexEntry& e : staged->entries) {
    index_.insert(IndexKey{e.index, e.value, e.sort_key, key});
  }
  StoredDocument stored{std::move(staged->doc), std::move(staged->entries)};
  if (it != docs_.end()) {
    it->second = std::move(stored);
  } else {
    docs_.emplace(key, std::move(stored));
  }
}

void MemoryDocumentStore::ApplyParkOp(const readstore::ParkOp& op) {
  if (const auto* event = std::get_if<ParkedEvent>(&op)) {
    parked_.push_back(*event);
    return;
  }
  const GlobalPosition position = std::get<GlobalPosition>(op);
  std::erase_if(parked_, [&](const ParkedEvent& e) { return e.position == position; });
}

Status MemoryDocumentStore::ForEachEntry(const EntryVisitor& visit) {
  // Rendered under the lock, visited outside it: a visitor may be slow.
  std::map<std::string, std::string> entries;
  {
    std::shared_lock lock(mu_);
    for (const auto& [key, stored] : docs_) entries.emplace(key, CanonicalJson(*stored.doc));
  }
  for (const auto& [key, content] : entries) visit(key, content);
  return Status::OK();
}

Result<DocumentRead> MemoryDocumentStore::Get(std::string_view key) {
  std::shared_ptr<const boost::json::object> doc;
  DocumentRead read;
  {
    std::shared_lock lock(mu_);
    read.position = checkpoint_;
    auto it = docs_.find(key);
    if (it != docs_.end()) doc = it->second.doc;
  }
  if (doc) read.doc = *doc;  // copied outside the lock
  return read;
}

void MemoryDocumentStore::ScanAscending(const ListRequest& request, const CursorPosition* after,
                                        std::vector<const IndexKey*>* out) const {
  auto it =
      after
          ? index_.upper_bound(IndexKey{request.index, request.value, after->sort_key, after->key})
          : index_.lower_bound(IndexKey{request.index, request.value, "", ""});
  for (; it != index_.end() && out->size() <= request.limit; ++it) {
    if (it->index != request.index || it->value != request.value) break;
    out->push_back(&*it);
  }
}

void MemoryDocumentStore::ScanDescending(const ListRequest& request, const CursorPosition* before,
                                         std::vector<const IndexKey*>* out) const {
  std::set<IndexKey>::const_iterator end;
  if (before) {
    end = index_.lower_bound(IndexKey{request.index, request.value, before->sort_key, before->key});
  } else {
    // The first key past every entry of (index, value): value + '\0' sorts
    // right after value and before any longer value with that prefix.
    end = index_.lower_bound(IndexKey{request.index, request.value + '\0', "", ""});
  }
  auto it = std::make_reverse_iterator(end);
  for (; it != index_.rend() && out->size() <= request.limit; ++it) {
    if (it->index != request.index || it->value != request.value) break;
    out->push_back(&*it);
  }
}

Result<DocumentPage> MemoryDocumentStore::List(const ListRequest& request) {
  DUET_RETURN_IF_ERROR(readstore::CheckPageLimit(request.limit));
  std::optional<CursorPosition> cursor;
  if (!request.cursor.empty()) {
    DUET_ASSIGN_OR_RETURN(cursor, readstore::DecodeCursor(request.cursor, request.descending));
  }
  std::vector<std::shared_ptr<const boost::json::object>> docs;
  std::vector<const IndexKey*> hits;  // limit + 1 at most: the extra says "more"
  DocumentPage page;
  {
    std::shared_lock lock(mu_);
    page.position = checkpoint_;
    const CursorPosition* from = cursor ? &*cursor : nullptr;
    if (request.descending) {
      ScanDescending(request, from, &hits);
    } else {
      ScanAscending(request, from, &hits);
    }
    const bool more = hits.size() > request.limit;
    if (more) hits.pop_back();
    for (const IndexKey* hit : hits) {
      docs.push_back(docs_.at(hit->key).doc);
      page.items.push_back(Document{hit->key, {}});
    }
    if (more) {
      page.next_cursor =
          readstore::EncodeCursor(hits.back()->sort_key, hits.back()->key, request.descending);
    }
  }
  for (size_t i = 0; i < docs.size(); ++i) page.items[i].doc = *docs[i];
  return page;
}

}  // namespace

std::unique_ptr<DocumentStore> NewMemoryDocumentStore() {
  return std::make_unique<MemoryDocumentStore>();
}

}  // namespace duet
