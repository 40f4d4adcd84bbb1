#include "server/auth.h"

#include <algorithm>
#include <cstring>
#include <set>

namespace duet::server {
namespace {

constexpr Scope kScopes[] = {Scope::kCommand, Scope::kQuery, Scope::kAdmin};

uint8_t ScopeBit(Scope scope) { return static_cast<uint8_t>(1u << static_cast<unsigned>(scope)); }

bool IsVisibleAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);  // ASCII letters only (callers compare letters)
         });
}

// The token of "Bearer <token>" (RFC 6750 §2.1: scheme, 1*SP, token), or an
// empty view when the header does not have that shape.
std::string_view BearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || !EqualsIgnoringCase(header.substr(0, 6), kScheme) ||
      header[kScheme.size()] != ' ') {
    return {};
  }
  std::string_view token = header.substr(kScheme.size());
  token.remove_prefix(std::min(token.find_first_not_of(' '), token.size()));
  if (token.empty() || token.size() > kMaxTokenBytes || !IsVisibleAscii(token)) return {};
  return token;
}

// Keeps the compiler from turning the accumulated difference into an early
// exit (it may not reason about the value across this point).
inline unsigned Opaque(unsigned value) {
  asm volatile("" : "+r"(value));
  return value;
}

Status ValidateToken(const ApiToken& token, size_t index, std::set<std::string_view>* names,
                     std::set<std::string_view>* secrets) {
  const std::string prefix = "auth.tokens[" + std::to_string(index) + "].";
  if (token.name.empty()) return Status::InvalidArgument(prefix + "name", "must not be empty");
  if (!names->insert(token.name).second) {
    return Status::InvalidArgument(prefix + "name", "'" + token.name + "' is used twice");
  }
  if (token.token.size() < kMinTokenBytes || token.token.size() > kMaxTokenBytes ||
      !IsVisibleAscii(token.token)) {
    return Status::InvalidArgument(
        prefix + "token", "token '" + token.name + "' must be " + std::to_string(kMinTokenBytes) +
                              ".." + std::to_string(kMaxTokenBytes) + " visible ASCII characters");
  }
  if (!secrets->insert(token.token).second) {
    return Status::InvalidArgument(prefix + "token",
                                   "token '" + token.name + "' repeats another token's secret");
  }
  if (token.scopes.empty()) {
    return Status::InvalidArgument(prefix + "scopes",
                                   "needs at least one of command, query, admin");
  }
  for (Scope scope : token.scopes) {
    if (std::find(std::begin(kScopes), std::end(kScopes), scope) == std::end(kScopes)) {
      return Status::InvalidArgument(prefix + "scopes", "unknown scope");
    }
  }
  return Status::OK();
}

}  // namespace

Result<TokenAuthority> TokenAuthority::Create(std::vector<ApiToken> tokens) {
  std::set<std::string_view> names, secrets;
  for (size_t i = 0; i < tokens.size(); ++i) {
    DUET_RETURN_IF_ERROR(ValidateToken(tokens[i], i, &names, &secrets));
  }
  TokenAuthority authority;
  for (ApiToken& token : tokens) {
    Entry entry;
    entry.name = std::move(token.name);
    std::memcpy(entry.padded.data(), token.token.data(), token.token.size());
    entry.size = token.token.size();
    for (Scope scope : token.scopes) entry.scope_bits |= ScopeBit(scope);
    authority.entries_.push_back(std::move(entry));
  }
  return authority;
}

Status TokenAuthority::Authorize(std::string_view authorization_header, Scope needed) const {
  if (!enabled()) return Status::OK();
  const std::string_view token = BearerToken(authorization_header);
  if (token.empty()) {
    return Status::Unauthorized("authorization", "missing or malformed bearer token");
  }
  std::array<unsigned char, kMaxTokenBytes> presented{};
  std::memcpy(presented.data(), token.data(), token.size());
  // Every entry, every byte, no early exit: the time taken depends on the
  // number of configured tokens only, not on how much of one matched.
  const size_t none = entries_.size();
  size_t match = none;
  for (size_t i = 0; i < entries_.size(); ++i) {
    const Entry& entry = entries_[i];
    unsigned diff = static_cast<unsigned>(entry.size ^ token.size());  // both <= 256
    for (size_t k = 0; k < kMaxTokenBytes; ++k) diff |= entry.padded[k] ^ presented[k];
    const size_t mask = static_cast<size_t>(0) - static_cast<size_t>(Opaque(diff) == 0);
    match = (i & mask) | (match & ~mask);
  }
  if (match == none) return Status::Unauthorized("authorization", "unknown token");
  const Entry& entry = entries_[match];
  if ((entry.scope_bits & ScopeBit(needed)) == 0) {
    return Status::Forbidden(
        "scope", "token '" + entry.name + "' lacks scope '" + std::string(ScopeName(needed)) + "'");
  }
  return Status::OK();
}

}  // namespace duet::server

namespace duet {

std::string_view ScopeName(Scope scope) {
  switch (scope) {
    case Scope::kCommand: return "command";
    case Scope::kQuery: return "query";
    case Scope::kAdmin: return "admin";
  }
  return "unknown";
}

Result<Scope> ParseScope(std::string_view name) {
  for (Scope scope : server::kScopes) {
    if (ScopeName(scope) == name) return scope;
  }
  return Status::InvalidArgument("scope", "must be command, query or admin");
}

}  // namespace duet
