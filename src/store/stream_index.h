// StreamIndex: stream name -> global position of each version, in memory.
//
// Version v of a stream is positions[v]. Entries are added by the single
// writer (under the store's append lock) when an append is queued, before it
// is durable; readers pass the committed position and see only the prefix
// at or below it, so a pending or failed append is never visible.
//
// Thread-safe: one writer (Add, externally serialized) and many readers.
#ifndef DUET_STORE_STREAM_INDEX_H_
#define DUET_STORE_STREAM_INDEX_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "duet/event_store.h"
#include "duet/types.h"
#include "util/thread_annotations.h"

namespace duet::store {

class StreamIndex {
 public:
  // Records that `stream`'s next version lives at `position`; returns that version.
  // REQUIRES: positions are added in increasing order.
  StreamVersion Add(std::string_view stream, GlobalPosition position);
  // Records `count` versions of `stream` at positions first, first + 1, ...
  // (one lock for a stream's part of an append); returns the first version.
  StreamVersion AddRun(std::string_view stream, GlobalPosition first, uint64_t count);

  // Last version of `stream` including pending appends; nullopt if none.
  std::optional<StreamVersion> LastVersion(std::string_view stream) const;
  // Last version whose position is <= `committed`; nullopt if none.
  std::optional<StreamVersion> LastCommittedVersion(std::string_view stream,
                                                    GlobalPosition committed) const;
  // Position of `stream`'s `version`, if it exists (pending included).
  std::optional<GlobalPosition> PositionOf(std::string_view stream, StreamVersion version) const;

  // Positions of up to `max_count` committed versions from `from` in `direction`.
  std::vector<GlobalPosition> Positions(std::string_view stream, StreamVersion from,
                                        size_t max_count, ReadDirection direction,
                                        GlobalPosition committed) const;

  uint64_t stream_count() const;

  // Calls `visit(stream, positions)` for every stream, under the read lock, with
  // only positions <= `upto`. For checkpoints.
  void ForEach(GlobalPosition upto,
               const std::function<void(std::string_view, std::span<const uint64_t>)>& visit) const;

  // Forgets every entry after `committed`: the appends the log refused when
  // it rewound after a full disk. Streams left without entries disappear.
  // REQUIRES: called by the single writer.
  void RemoveAfter(GlobalPosition committed);

  // Replaces the whole index (used when loading a checkpoint).
  void Reset(std::unordered_map<std::string, std::vector<uint64_t>> streams);

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  using Map = std::unordered_map<std::string, std::vector<uint64_t>, Hash, std::equal_to<>>;

  const std::vector<uint64_t>* Find(std::string_view stream) const;

  mutable std::shared_mutex mu_;
  Map streams_ GUARDED_BY(mu_);
};

}  // namespace duet::store

#endif  // DUET_STORE_STREAM_INDEX_H_
