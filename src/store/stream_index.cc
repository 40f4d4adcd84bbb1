#include "store/stream_index.h"

#include <algorithm>
#include <cassert>
#include <mutex>

namespace duet::store {
namespace {

// Number of entries of `positions` at or below `committed` (they are sorted).
size_t CommittedCount(const std::vector<uint64_t>& positions, GlobalPosition committed) {
  return static_cast<size_t>(std::upper_bound(positions.begin(), positions.end(), committed.value) -
                             positions.begin());
}

}  // namespace

const std::vector<uint64_t>* StreamIndex::Find(std::string_view stream) const {
  auto it = streams_.find(stream);
  return it == streams_.end() ? nullptr : &it->second;
}

StreamVersion StreamIndex::Add(std::string_view stream, GlobalPosition position) {
  return AddRun(stream, position, 1);
}

StreamVersion StreamIndex::AddRun(std::string_view stream, GlobalPosition first, uint64_t count) {
  assert(count > 0);
  std::unique_lock lock(mu_);
  auto it = streams_.find(stream);
  if (it == streams_.end())
    it = streams_.emplace(std::string(stream), std::vector<uint64_t>()).first;
  std::vector<uint64_t>& positions = it->second;
  assert(positions.empty() || positions.back() < first.value);
  const StreamVersion version(positions.size());
  for (uint64_t p = first.value; p < first.value + count; ++p) positions.push_back(p);
  return version;
}

std::optional<StreamVersion> StreamIndex::LastVersion(std::string_view stream) const {
  std::shared_lock lock(mu_);
  const auto* positions = Find(stream);
  if (positions == nullptr || positions->empty()) return std::nullopt;
  return StreamVersion(positions->size() - 1);
}

std::optional<StreamVersion> StreamIndex::LastCommittedVersion(std::string_view stream,
                                                               GlobalPosition committed) const {
  std::shared_lock lock(mu_);
  const auto* positions = Find(stream);
  if (positions == nullptr) return std::nullopt;
  const size_t count = CommittedCount(*positions, committed);
  if (count == 0) return std::nullopt;
  return StreamVersion(count - 1);
}

std::optional<GlobalPosition> StreamIndex::PositionOf(std::string_view stream,
                                                      StreamVersion version) const {
  std::shared_lock lock(mu_);
  const auto* positions = Find(stream);
  if (positions == nullptr || version.value >= positions->size()) return std::nullopt;
  return GlobalPosition((*positions)[version.value]);
}

std::vector<GlobalPosition> StreamIndex::Positions(std::string_view stream, StreamVersion from,
                                                   size_t max_count, ReadDirection direction,
                                                   GlobalPosition committed) const {
  std::vector<GlobalPosition> out;
  std::shared_lock lock(mu_);
  const auto* positions = Find(stream);
  if (positions == nullptr || max_count == 0) return out;
  const uint64_t count = CommittedCount(*positions, committed);
  if (count == 0) return out;
  if (direction == ReadDirection::kForward) {
    for (uint64_t v = from.value; v < count && out.size() < max_count; ++v) {
      out.emplace_back((*positions)[v]);
    }
  } else {
    uint64_t v = std::min<uint64_t>(from.value, count - 1);
    while (out.size() < max_count) {
      out.emplace_back((*positions)[v]);
      if (v == 0) break;
      --v;
    }
  }
  return out;
}

uint64_t StreamIndex::stream_count() const {
  std::shared_lock lock(mu_);
  return streams_.size();
}

void StreamIndex::ForEach(
    GlobalPosition upto,
    const std::function<void(std::string_view, std::span<const uint64_t>)>& visit) const {
  std::shared_lock lock(mu_);
  for (const auto& [name, positions] : streams_) {
    const size_t count = CommittedCount(positions, upto);
    if (count > 0) visit(name, std::span<const uint64_t>(positions.data(), count));
  }
}

void StreamIndex::Reset(std::unordered_map<std::string, std::vector<uint64_t>> streams) {
  std::unique_lock lock(mu_);
  streams_.clear();
  streams_.reserve(streams.size());
  for (auto& [name, positions] : streams) streams_.emplace(name, std::move(positions));
}

void StreamIndex::RemoveAfter(GlobalPosition committed) {
  std::unique_lock lock(mu_);
  for (auto it = streams_.begin(); it != streams_.end();) {
    std::vector<uint64_t>& positions = it->second;
    while (!positions.empty() && positions.back() > committed.value) positions.pop_back();
    if (positions.empty()) {
      it = streams_.erase(it);  // a stream the failed appends created
    } else {
      ++it;
    }
  }
}

}  // namespace duet::store
