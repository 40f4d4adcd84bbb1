// Fuzz target: arbitrary bytes as a stream-index checkpoint file
// (src/store/index_checkpoint, docs/format.md). The first input byte picks
// the mode: odd, the rest is the file as it is; even, the rest is the file
// without its CRC trailer and the target appends a good one, so the fuzzer
// gets past the checksum to the fields. Either the reader says corruption,
// or it returns an index where every position 1..P is in exactly one stream,
// each stream's positions rise, and encoding it again reads back the same.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store/index_checkpoint.h"
#include "store/stream_index.h"
#include "tests/fuzz/fuzz_check.h"
#include "util/crc32c.h"

namespace {

using duet::store::DecodeIndexCheckpoint;
using duet::store::LoadedIndex;

void CheckConsistent(const LoadedIndex& index) {
  const uint64_t p = index.position.value;
  uint64_t total = 0;
  for (const auto& [name, positions] : index.streams) {
    DUET_FUZZ_CHECK(!positions.empty(), "a stream without events");
    total += positions.size();
  }
  DUET_FUZZ_CHECK(total == p, "the counts do not add up to the position");
  std::vector<bool> seen(p + 1, false);
  for (const auto& [name, positions] : index.streams) {
    uint64_t previous = 0;
    for (uint64_t pos : positions) {
      DUET_FUZZ_CHECK(pos > previous, "positions of a stream do not rise");
      DUET_FUZZ_CHECK(pos <= p, "a position beyond the checkpoint");
      DUET_FUZZ_CHECK(!seen[pos], "a position in two streams");
      seen[pos] = true;
      previous = pos;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::string file(reinterpret_cast<const char*>(data) + 1, size - 1);
  if ((data[0] & 1) == 0) {
    const uint32_t crc = duet::crc32c::Mask(duet::crc32c::Value(file.data(), file.size()));
    for (int i = 0; i < 4; ++i) file.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  }
  const duet::Result<LoadedIndex> loaded = DecodeIndexCheckpoint(file);
  if (!loaded.ok()) {
    DUET_FUZZ_CHECK(loaded.status().IsCorruption(), "a bad checkpoint must be corruption");
    return 0;
  }
  CheckConsistent(*loaded);

  duet::store::StreamIndex index;
  index.Reset(loaded->streams);
  const std::string again = duet::store::EncodeIndexCheckpoint(index, loaded->position);
  const duet::Result<LoadedIndex> reloaded = DecodeIndexCheckpoint(again);
  DUET_FUZZ_CHECK(reloaded.ok(), "a re-encoded checkpoint does not load");
  DUET_FUZZ_CHECK(reloaded->position == loaded->position, "the position changed");
  DUET_FUZZ_CHECK(reloaded->streams == loaded->streams, "the streams changed");
  return 0;
}
