#include "projection/entry_digest.h"

#include <cstdio>

namespace duet::projection {

namespace {

constexpr uint64_t kFnvPrime = 0x100000001b3ull;

uint64_t HashLength(uint64_t length, uint64_t hash) {
  for (int i = 0; i < 8; ++i) {
    hash ^= (length >> (8 * i)) & 0xff;
    hash *= kFnvPrime;
  }
  return hash;
}

}  // namespace

uint64_t Fnv1a(std::string_view bytes, uint64_t hash) {
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= kFnvPrime;
  }
  return hash;
}

Result<EntryListing> ListEntries(ReadStore& store) {
  EntryListing listing;
  listing.digest = Fnv1a({});
  Status status = store.ForEachEntry([&](std::string_view key, std::string_view content) {
    listing.digest = HashLength(key.size(), listing.digest);
    listing.digest = Fnv1a(key, listing.digest);
    listing.digest = HashLength(content.size(), listing.digest);
    listing.digest = Fnv1a(content, listing.digest);
    listing.entries.emplace_back(std::string(key), Fnv1a(content));
  });
  if (!status.ok()) return status;
  return listing;
}

std::string HexDigest(uint64_t digest) {
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(digest));
  return text;
}

std::vector<std::string> DifferingKeys(const EntryListing& a, const EntryListing& b, size_t max) {
  std::vector<std::string> keys;
  size_t i = 0;
  size_t j = 0;
  while ((i < a.entries.size() || j < b.entries.size()) && keys.size() < max) {
    if (j == b.entries.size() ||
        (i < a.entries.size() && a.entries[i].first < b.entries[j].first)) {
      keys.push_back(a.entries[i++].first);
    } else if (i == a.entries.size() || b.entries[j].first < a.entries[i].first) {
      keys.push_back(b.entries[j++].first);
    } else {
      if (a.entries[i].second != b.entries[j].second) keys.push_back(a.entries[i].first);
      ++i;
      ++j;
    }
  }
  return keys;
}

}  // namespace duet::projection
