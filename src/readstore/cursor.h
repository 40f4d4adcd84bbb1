// Page cursors of DocumentStore::List: an opaque token naming the last item
// of a page, (sort_key, key), and the direction of the listing it came from.
//
// Token: base64url (no padding) of
//   [u8 version = 1][u8 descending][varint n][sort_key: n bytes]
//   [varint m][key: m bytes][u32 LE masked CRC32C of everything before]
// The CRC makes a token this store did not issue (typed, truncated, edited)
// fail with InvalidArgument("cursor") instead of silently starting elsewhere.
// The same token format serves the memory and SQLite stores, so a cursor
// survives a switch between them.
//
// Thread-safe: pure functions.
#ifndef DUET_READSTORE_CURSOR_H_
#define DUET_READSTORE_CURSOR_H_

#include <string>
#include <string_view>

#include "duet/result.h"

namespace duet::readstore {

struct CursorPosition {
  std::string sort_key;
  std::string key;
};

std::string EncodeCursor(std::string_view sort_key, std::string_view key, bool descending);

// InvalidArgument("cursor") unless `token` came from EncodeCursor with the
// same `descending`.
Result<CursorPosition> DecodeCursor(std::string_view token, bool descending);

// Page sizes every list and search accepts: 1 to kMaxPageSize.
inline constexpr size_t kMaxPageSize = 1000;
// InvalidArgument("limit") unless 1 <= limit <= kMaxPageSize.
Status CheckPageLimit(size_t limit);

}  // namespace duet::readstore

#endif  // DUET_READSTORE_CURSOR_H_
