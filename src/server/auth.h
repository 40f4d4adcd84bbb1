// Bearer-token authorization for the HTTP API (docs/http-api.md). Tokens come
// only from the config file ([[auth.tokens]]), never from the environment.
//
// A token grants scopes: kCommand (POST /commands, POST /streams), kQuery
// (reads, queries, the event feed), kAdmin (projections, metrics). With no
// tokens configured the authority is disabled and the API is open.
//
// Tokens are secrets: no Status or log line this file produces contains one,
// and Authorize compares in constant time (docs/decisions.md).
#ifndef DUET_SERVER_AUTH_H_
#define DUET_SERVER_AUTH_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "duet/result.h"
#include "duet/server.h"
#include "duet/status.h"

namespace duet::server {

// Scopes and tokens are public (duet/server.h).
using duet::ApiToken;
using duet::ParseScope;
using duet::Scope;
using duet::ScopeName;

// Limits on a configured token (and on a presented one).
inline constexpr size_t kMinTokenBytes = 16;
inline constexpr size_t kMaxTokenBytes = 256;

// Immutable after creation; thread-safe.
class TokenAuthority {
 public:
  // Disabled: every request is authorized.
  TokenAuthority() = default;

  // Checks every token: name non-empty and unique; token 16..256 visible
  // ASCII characters (0x21..0x7e) and unique; at least one known scope.
  // Errors are InvalidArgument with subject "auth.tokens[i].<field>" (i is
  // the index in `tokens`); they never contain a token.
  static Result<TokenAuthority> Create(std::vector<ApiToken> tokens);

  // False when no tokens are configured: the API is open.
  bool enabled() const { return !entries_.empty(); }

  // Checks an Authorization header value ("Bearer <token>", scheme case-
  // insensitive, one or more spaces, nothing after the token) for `needed`.
  // OK when disabled. Errors: Unauthorized("authorization", "missing or
  // malformed bearer token") for an empty or ill-formed header,
  // Unauthorized("authorization", "unknown token"), Forbidden("scope",
  // "token '<name>' lacks scope '<scope>'").
  Status Authorize(std::string_view authorization_header, Scope needed) const;

 private:
  // A token padded with zeros to the maximum length, so that comparing
  // takes the same time whatever the lengths.
  struct Entry {
    std::string name;
    std::array<unsigned char, kMaxTokenBytes> padded{};
    size_t size = 0;
    uint8_t scope_bits = 0;
  };

  std::vector<Entry> entries_;
};

}  // namespace duet::server

#endif  // DUET_SERVER_AUTH_H_
