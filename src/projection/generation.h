// Generations of a projection's read model on disk:
//
//   <readstores_dir>/<name>/CURRENT       "v<version>-g<generation>\n": the one serving
//   <readstores_dir>/<name>/v1-g1/        one read store per generation
//   <readstores_dir>/<name>/verify-tmp/   Verify's scratch store (removed after)
//
// Format in docs/format.md ("Projection folders").
#ifndef DUET_PROJECTION_GENERATION_H_
#define DUET_PROJECTION_GENERATION_H_

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "duet/read_store.h"
#include "duet/result.h"
#include "duet/status.h"

namespace duet::projection {

inline constexpr std::string_view kCurrentFile = "CURRENT";
inline constexpr std::string_view kVerifyScratchFolder = "verify-tmp";

struct GenerationName {
  uint32_t version = 0;          // of the projection that builds it
  uint64_t number = 0;           // per projection name: each new one tops the folders present
  std::string ToString() const;  // "v<version>-g<number>"
  friend bool operator==(const GenerationName&, const GenerationName&) = default;
};

// nullopt unless `text` is exactly "v<version>-g<number>" (decimal, no
// leading zeros, both at least 1).
std::optional<GenerationName> ParseGenerationName(std::string_view text);

// The generation CURRENT names; nullopt when there is no CURRENT.
// kCorruption when it is malformed.
Result<std::optional<GenerationName>> ReadCurrent(const std::filesystem::path& projection_dir);
// Replaces CURRENT atomically (a crash leaves the old or the new one).
Status WriteCurrent(const std::filesystem::path& projection_dir, GenerationName name);

// The largest generation number among the folders (0 when none).
Result<uint64_t> LastGenerationNumber(const std::filesystem::path& projection_dir);

// Removes the generation folders other than `keep`, and the verify scratch
// folder: leftovers of a rebuild, switch or verification that a crash cut.
Status RemoveOtherGenerations(const std::filesystem::path& projection_dir,
                              std::optional<GenerationName> keep);

// One generation's read store as the engine shares it. The store is closed
// when the last shared_ptr to it goes; if the generation was retired by then
// (switched out, or an abandoned rebuild), its folder is removed too, so a
// query in flight keeps the generation it started on.
struct Generation {
  GenerationName name;
  std::filesystem::path folder;  // empty: a memory store
  std::shared_ptr<ReadStore> store;
  std::shared_ptr<std::atomic<bool>> retired;

  void Retire() const { retired->store(true); }
};

// Opens the store of `kind` in `folder`, or a memory document store when
// `folder` is empty.
Result<Generation> OpenGeneration(ReadStoreKind kind, GenerationName name,
                                  const std::filesystem::path& folder);

}  // namespace duet::projection

#endif  // DUET_PROJECTION_GENERATION_H_
