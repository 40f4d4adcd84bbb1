// Content digests of read models and the keys where two of them differ, for
// the determinism check (ProjectionEngine::Verify).
#ifndef DUET_PROJECTION_ENTRY_DIGEST_H_
#define DUET_PROJECTION_ENTRY_DIGEST_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/read_store.h"
#include "duet/result.h"

namespace duet::projection {

// 64-bit FNV-1a, continued from `hash`.
uint64_t Fnv1a(std::string_view bytes, uint64_t hash = 0xcbf29ce484222325ull);

// A read model's entries in key order, reduced to key and content hash, and
// the digest of the whole: FNV-1a over every entry as (key length as 8
// bytes little-endian, key, content length as 8 bytes, content).
struct EntryListing {
  std::vector<std::pair<std::string, uint64_t>> entries;
  uint64_t digest = 0;
};

Result<EntryListing> ListEntries(ReadStore& store);

// 16 lower-case hex digits.
std::string HexDigest(uint64_t digest);

// The keys missing from one listing or with other content, in key order, at
// most `max` of them: a merge of the two key-ordered lists.
std::vector<std::string> DifferingKeys(const EntryListing& a, const EntryListing& b, size_t max);

}  // namespace duet::projection

#endif  // DUET_PROJECTION_ENTRY_DIGEST_H_
