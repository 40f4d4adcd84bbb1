// Stream-index checkpoints: the whole StreamIndex as of a global position,
// so that open re-indexes only the log after it. Format: docs/format.md,
// "Stream index checkpoints". Files: data/index/<20-digit position>.idx.
//
// Writing is atomic (temp file + fdatasync + rename + directory fsync); a
// checkpoint that fails its checks is ignored on load, never misread.
#ifndef DUET_STORE_INDEX_CHECKPOINT_H_
#define DUET_STORE_INDEX_CHECKPOINT_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <unordered_map>
#include <vector>

#include "duet/result.h"
#include "duet/types.h"
#include "store/stream_index.h"
#include "util/file_system.h"

namespace duet::store {

inline constexpr char kIndexCheckpointMagic[8] = {'D', 'U', 'E', 'T', 'I', 'D', 'X', '\0'};
inline constexpr uint32_t kIndexCheckpointVersion = 1;

struct LoadedIndex {
  GlobalPosition position;  // every event <= position is in `streams`
  std::unordered_map<std::string, std::vector<uint64_t>> streams;
};

// Serializes the entries of `index` at or below `position`.
std::string EncodeIndexCheckpoint(const StreamIndex& index, GlobalPosition position);
// kCorruption when the bytes fail any check (magic, version, CRC, lengths).
Result<LoadedIndex> DecodeIndexCheckpoint(std::string_view bytes);

std::filesystem::path IndexCheckpointPath(const std::filesystem::path& index_dir,
                                          GlobalPosition position);
// Checkpoint positions present in `index_dir`, newest first (names that do not
// parse are skipped).
std::vector<GlobalPosition> ListIndexCheckpoints(FileSystem& fs,
                                                 const std::filesystem::path& index_dir);

}  // namespace duet::store

#endif  // DUET_STORE_INDEX_CHECKPOINT_H_
