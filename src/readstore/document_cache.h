// DocumentCache: a bounded cache of parsed, committed documents of a SQLite
// document store, so a projection's read-modify-write and the query path do
// not parse JSON from SQLite for every access.
//
// It only ever holds committed state. The store updates it in the same
// critical section as the SQLite COMMIT (see SqliteStoreFile::Commit's
// `publish`), and stamps it with the committed checkpoint, so a hit answers
// with a position that matches its content. Every commit bumps generation():
// a reader that missed, read SQLite, and wants to fill the cache may do so
// only if no commit happened since its miss (the document it read might be
// stale otherwise).
//
// Eviction: when full, entries are dropped bucket by bucket from a rotating
// position, an approximation of random replacement that costs O(1) per
// insert and keeps no per-access bookkeeping on the hot hit path.
//
// Thread-safe: methods lock internally, except where "REQUIRES lock" says
// the caller holds mutex() (the publish section).
#ifndef DUET_READSTORE_DOCUMENT_CACHE_H_
#define DUET_READSTORE_DOCUMENT_CACHE_H_

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "duet/read_store.h"
#include "readstore/sqlite_db.h"
#include "util/thread_annotations.h"

namespace duet::readstore {

using IndexEntries = std::vector<IndexEntry>;

// A committed document and its index entries, shared immutable. A null doc
// caches "no document under this key".
struct CachedDocument {
  std::shared_ptr<const boost::json::object> doc;
  std::shared_ptr<const IndexEntries> entries;
};

class DocumentCache {
 public:
  static constexpr size_t kDefaultCapacity = 100'000;

  DocumentCache(size_t capacity, GlobalPosition checkpoint)
      : capacity_(capacity), checkpoint_(checkpoint) {}

  struct Hit {
    std::optional<CachedDocument> found;
    GlobalPosition checkpoint;
    uint64_t generation = 0;
  };
  Hit Lookup(std::string_view key) const {
    std::shared_lock lock(mu_);
    Hit hit{std::nullopt, checkpoint_, generation_};
    auto it = map_.find(key);
    if (it != map_.end()) hit.found = it->second;
    return hit;
  }

  // Fills the cache from a read taken when generation() was `generation`;
  // ignored if a commit happened since.
  void FillIfCurrent(std::string_view key, CachedDocument doc, uint64_t generation) {
    std::unique_lock lock(mu_);
    if (generation == generation_) (void)InsertLocked(key, std::move(doc));
  }

  std::shared_mutex& mutex() { return mu_; }

  // REQUIRES lock (exclusive): the commit's effect on the cache. Returns
  // the entry it replaced, for the caller to free outside the lock.
  CachedDocument PutLocked(std::string_view key, CachedDocument doc) REQUIRES(mu_) {
    return InsertLocked(key, std::move(doc));
  }
  void PublishLocked(GlobalPosition checkpoint) REQUIRES(mu_) {
    checkpoint_ = checkpoint;
    ++generation_;
  }

 private:
  CachedDocument InsertLocked(std::string_view key, CachedDocument doc) REQUIRES(mu_) {
    auto it = map_.find(key);
    if (it != map_.end()) return std::exchange(it->second, std::move(doc));
    if (capacity_ == 0) return {};
    while (map_.size() >= capacity_) EvictOneLocked();
    map_.emplace(std::string(key), std::move(doc));
    return {};
  }

  void EvictOneLocked() REQUIRES(mu_) {
    const size_t buckets = map_.bucket_count();
    for (size_t i = 0; i < buckets; ++i) {
      const size_t b = (evict_bucket_ + i) % buckets;
      if (map_.bucket_size(b) == 0) continue;
      evict_bucket_ = b + 1;
      const std::string victim = map_.begin(b)->first;  // erase must not see a dying key
      map_.erase(victim);
      return;
    }
  }

  const size_t capacity_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, CachedDocument, StringHash, std::equal_to<>> map_ GUARDED_BY(mu_);
  GlobalPosition checkpoint_ GUARDED_BY(mu_);
  uint64_t generation_ GUARDED_BY(mu_) = 0;
  size_t evict_bucket_ GUARDED_BY(mu_) = 0;
};

}  // namespace duet::readstore

#endif  // DUET_READSTORE_DOCUMENT_CACHE_H_
