// The sidecar offset index of a sealed segment, data/log/<base>.idx
// (docs/format.md, "Segment offset index"): the offset of every record, so
// that open need not rescan sealed segments. It is only an accelerator: when
// it is missing, stale or damaged, open rescans the segment and rewrites it.
//
// Thread-compatible: pure functions over a FileSystem.
#ifndef DUET_LOG_SEGMENT_INDEX_H_
#define DUET_LOG_SEGMENT_INDEX_H_

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "duet/result.h"
#include "duet/types.h"
#include "log/file.h"

namespace duet::log {

std::string EncodeSegmentIndex(GlobalPosition base, uint64_t segment_bytes,
                               const std::vector<uint32_t>& offsets);

// The offsets, if `bytes` is a valid index for the segment at `base` whose
// file is `segment_bytes` long; Corruption otherwise.
Result<std::vector<uint32_t>> DecodeSegmentIndex(std::string_view bytes, GlobalPosition base,
                                                 uint64_t segment_bytes);

// Writes the sidecar atomically: <name>.tmp, fdatasync, rename, fsync of dir.
Status WriteSegmentIndex(FileSystem* fs, const std::filesystem::path& dir, GlobalPosition base,
                         uint64_t segment_bytes, const std::vector<uint32_t>& offsets);

// Reads and decodes the sidecar of the segment at `base`.
Result<std::vector<uint32_t>> LoadSegmentIndex(FileSystem* fs, const std::filesystem::path& dir,
                                               GlobalPosition base, uint64_t segment_bytes);

}  // namespace duet::log

#endif  // DUET_LOG_SEGMENT_INDEX_H_
