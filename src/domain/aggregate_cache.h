// AggregateCache: a bounded LRU map from stream name to the aggregate state
// last seen by this process (state + version).
//
// Entries are immutable shared states, so a reader keeps using its copy while
// the cache moves on. Put never replaces an entry with an older version (two
// commits on one stream may finish out of order).
//
// Thread-safe.
#ifndef DUET_DOMAIN_AGGREGATE_CACHE_H_
#define DUET_DOMAIN_AGGREGATE_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>

#include "duet/repository.h"
#include "util/thread_annotations.h"

namespace duet::domain {

class AggregateCache {
 public:
  // capacity 0: the cache holds nothing.
  explicit AggregateCache(size_t capacity) : capacity_(capacity) {}

  // The entry for `stream` if it holds a state of `type`.
  std::optional<LoadedAggregate> Get(std::string_view stream, std::type_index type);
  void Put(std::string_view stream, std::type_index type, const LoadedAggregate& aggregate);
  void Erase(std::string_view stream);

  size_t size() const;
  uint64_t evictions() const;

 private:
  struct Node {
    std::string stream;
    std::type_index type;
    LoadedAggregate aggregate;
  };
  using List = std::list<Node>;

  const size_t capacity_;
  mutable std::mutex mu_;
  List lru_ GUARDED_BY(mu_);  // most recently used first
  std::unordered_map<std::string, List::iterator> index_ GUARDED_BY(mu_);
  uint64_t evictions_ GUARDED_BY(mu_) = 0;
};

}  // namespace duet::domain

#endif  // DUET_DOMAIN_AGGREGATE_CACHE_H_
