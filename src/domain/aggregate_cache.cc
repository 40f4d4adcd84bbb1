#include "domain/aggregate_cache.h"

namespace duet::domain {
namespace {

// Whether version `a` is older than `b` (nullopt: no events, oldest).
bool Older(std::optional<StreamVersion> a, std::optional<StreamVersion> b) {
  if (!b) return false;
  if (!a) return true;
  return *a < *b;
}

}  // namespace

std::optional<LoadedAggregate> AggregateCache::Get(std::string_view stream, std::type_index type) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(std::string(stream));
  if (it == index_.end() || it->second->type != type) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->aggregate;
}

void AggregateCache::Put(std::string_view stream, std::type_index type,
                         const LoadedAggregate& aggregate) {
  if (capacity_ == 0) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(std::string(stream));
  if (it != index_.end()) {
    Node& node = *it->second;
    lru_.splice(lru_.begin(), lru_, it->second);
    if (node.type == type && Older(aggregate.version, node.aggregate.version)) return;
    node.type = type;
    node.aggregate = aggregate;
    return;
  }
  lru_.push_front(Node{std::string(stream), type, aggregate});
  index_.emplace(lru_.front().stream, lru_.begin());
  while (lru_.size() > capacity_) {
    index_.erase(lru_.back().stream);
    lru_.pop_back();
    ++evictions_;
  }
}

void AggregateCache::Erase(std::string_view stream) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(std::string(stream));
  if (it == index_.end()) return;
  lru_.erase(it->second);
  index_.erase(it);
}

size_t AggregateCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

uint64_t AggregateCache::evictions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return evictions_;
}

}  // namespace duet::domain
