// Fuzz target: the validators of names, ids and parameters that come from
// outside (docs/http-api.md, docs/errors.md). The first input byte picks the
// validator, the rest is the text. Each accepted value is checked against an
// independent statement of the documented rule, and each rejection must be
// InvalidArgument naming the field; a rule accepted by one and refused by the
// other is a failure in either direction.
#include <boost/json.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/command_bus.h"
#include "duet/event_store.h"
#include "duet/options.h"
#include "duet/query_bus.h"
#include "query/params.h"
#include "server/api_routes.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace json = boost::json;

bool IsAsciiAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void CheckRejected(const duet::Status& status, std::string_view field) {
  DUET_FUZZ_CHECK(status.IsInvalidArgument(), "a rejection must be invalid_argument");
  DUET_FUZZ_CHECK(status.subject() == field, "a rejection must name the field");
}

// Stream names: 1..255 bytes of [A-Za-z0-9-_.:@], '$' allowed only first, "$" alone refused.
bool StreamNameRule(std::string_view s, size_t max_bytes) {
  if (s.empty() || s.size() > max_bytes || s == "$") return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = IsAsciiAlnum(c) ||
                    std::string_view("-_.:@").find(c) != std::string_view::npos ||
                    (c == '$' && i == 0);
    if (!ok) return false;
  }
  return true;
}

void FuzzStreamName(std::string_view text) {
  duet::Limits limits;
  const duet::Status status = duet::ValidateStreamName(text, limits);
  DUET_FUZZ_CHECK(status.ok() == StreamNameRule(text, limits.max_stream_name_bytes),
                  "ValidateStreamName disagrees with the documented rule");
  if (!status.ok()) CheckRejected(status, "stream");
  // A tighter limit never accepts more.
  limits.max_stream_name_bytes = 8;
  const duet::Status tight = duet::ValidateStreamName(text, limits);
  DUET_FUZZ_CHECK(tight.ok() == StreamNameRule(text, 8), "the length limit is not applied");
}

// Event types: 1..255 bytes of printable ASCII without spaces.
void FuzzEventType(std::string_view text) {
  const duet::Limits limits;
  bool rule = !text.empty() && text.size() <= limits.max_event_type_bytes;
  for (char c : text) rule = rule && c >= '!' && c <= '~';
  const duet::Status status = duet::ValidateEventType(text, limits);
  DUET_FUZZ_CHECK(status.ok() == rule, "ValidateEventType disagrees with the documented rule");
  if (!status.ok()) CheckRejected(status, "type");
}

// Command ids (Idempotency-Key): 1..128 of [A-Za-z0-9-_.:].
void FuzzCommandId(std::string_view text) {
  bool rule = !text.empty() && text.size() <= 128;
  for (char c : text) {
    rule = rule && (IsAsciiAlnum(c) || std::string_view("-_.:").find(c) != std::string_view::npos);
  }
  const duet::Status status = duet::CommandBus::ValidateCommandId(text);
  DUET_FUZZ_CHECK(status.ok() == rule, "ValidateCommandId disagrees with the documented rule");
  if (!status.ok()) CheckRejected(status, "command_id");
}

// Plain decimal digits that fit uint64; nullopt otherwise.
std::optional<uint64_t> ReferenceUint(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// Query-string and header integers (limit, from, min_position, Last-Event-ID).
void FuzzParseUint(uint8_t bounds, std::string_view text) {
  static constexpr uint64_t kBounds[] = {
      0, 1, 10, 1000, uint64_t{1} << 32, std::numeric_limits<uint64_t>::max()};
  uint64_t min = kBounds[(bounds & 0x0F) % 6];
  uint64_t max = kBounds[(bounds >> 4) % 6];
  if (min > max) std::swap(min, max);
  const std::optional<uint64_t> expected = ReferenceUint(text);
  const bool rule = expected && *expected >= min && *expected <= max;
  const duet::Result<uint64_t> parsed = duet::server::ParseUint(text, "n", min, max);
  DUET_FUZZ_CHECK(parsed.ok() == rule, "ParseUint disagrees with the documented rule");
  if (parsed.ok()) {
    DUET_FUZZ_CHECK(*parsed == *expected, "ParseUint misread the number");
  } else {
    CheckRejected(parsed.status(), "n");
  }
}

// An optional '-' then decimal digits, within int64; nullopt otherwise.
std::optional<int64_t> ReferenceInt(std::string_view text) {
  const bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  const std::optional<uint64_t> magnitude = ReferenceUint(text);
  if (!magnitude) return std::nullopt;
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (*magnitude > limit) return std::nullopt;
  if (!negative) return static_cast<int64_t>(*magnitude);
  if (*magnitude == uint64_t{1} << 63) return std::numeric_limits<int64_t>::min();
  return -static_cast<int64_t>(*magnitude);
}

void FuzzParseInteger(std::string_view text) {
  // Not value{...}: braces would make a one-element array.
  const json::value value = json::string(text);
  const std::optional<int64_t> expected = ReferenceInt(text);
  const duet::Result<int64_t> parsed = duet::query::ParseInteger(value, "n");
  DUET_FUZZ_CHECK(parsed.ok() == expected.has_value(),
                  "ParseInteger disagrees with the documented rule");
  if (parsed.ok()) {
    DUET_FUZZ_CHECK(*parsed == *expected, "ParseInteger misread the number");
  } else {
    CheckRejected(parsed.status(), "n");
  }
}

// Well-formed UTF-8 by the Unicode standard's table of byte ranges (3-7).
bool IsWellFormedUtf8(std::string_view s) {
  size_t i = 0;
  auto in = [&](size_t k, unsigned lo, unsigned hi) {
    if (i + k >= s.size()) return false;
    const auto b = static_cast<unsigned char>(s[i + k]);
    return b >= lo && b <= hi;
  };
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    if (b <= 0x7F) {
      len = 1;
    } else if (b >= 0xC2 && b <= 0xDF) {
      len = in(1, 0x80, 0xBF) ? 2 : 0;
    } else if (b == 0xE0) {
      len = in(1, 0xA0, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      len = in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) ? 3 : 0;
    } else if (b == 0xED) {
      len = in(1, 0x80, 0x9F) && in(2, 0x80, 0xBF) ? 3 : 0;
    } else if (b == 0xF0) {
      len = in(1, 0x90, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    } else if (b >= 0xF1 && b <= 0xF3) {
      len = in(1, 0x80, 0xBF) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    } else if (b == 0xF4) {
      len = in(1, 0x80, 0x8F) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
    }
    if (len == 0) return false;
    i += len;
  }
  return true;
}

bool IsGoodString(const json::value& v) {
  return v.is_string() && IsWellFormedUtf8(std::string_view(v.get_string()));
}

std::optional<int64_t> ReferenceJsonInteger(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_string()) return ReferenceInt(std::string_view(v.get_string()));
  return std::nullopt;
}

// The parameters of a query like ledger `accounts` plus one of each other type.
const std::vector<duet::QueryParam>& Declared() {
  static const std::vector<duet::QueryParam> declared = {
      {.name = "account", .type = duet::ParamType::kString, .required = true, .max_length = 16},
      {.name = "status",
       .type = duet::ParamType::kString,
       .required = false,
       .choices = {"open", "closed"}},
      {.name = "n", .type = duet::ParamType::kInteger, .required = false},
      {.name = "bucket", .type = duet::ParamType::kBucket, .required = false},
      {.name = "cursor", .type = duet::ParamType::kCursor, .required = false},
      {.name = "limit", .type = duet::ParamType::kLimit, .required = false},
  };
  return declared;
}

// Whether the documented rules accept `raw` against Declared().
bool ParamsRule(const json::object& raw) {
  for (const auto& entry : raw) {
    bool known = false;
    for (const duet::QueryParam& p : Declared()) known = known || p.name == entry.key();
    if (!known) return false;
  }
  auto get = [&](std::string_view name) -> const json::value* {
    const json::value* v = raw.if_contains(name);
    return v == nullptr || v->is_null() ? nullptr : v;
  };
  const json::value* account = get("account");
  if (account == nullptr || !IsGoodString(*account)) return false;
  const size_t account_size = account->get_string().size();
  if (account_size == 0 || account_size > 16) return false;
  if (const json::value* status = get("status")) {
    if (!IsGoodString(*status)) return false;
    const std::string_view s(status->get_string());
    if (s != "open" && s != "closed") return false;
  }
  if (const json::value* n = get("n")) {
    if (!ReferenceJsonInteger(*n)) return false;
  }
  if (const json::value* bucket = get("bucket")) {
    if (!IsGoodString(*bucket)) return false;
    const std::string_view s(bucket->get_string());
    if (s != "minute" && s != "hour" && s != "day") return false;
  }
  if (const json::value* cursor = get("cursor")) {
    if (!IsGoodString(*cursor) || cursor->get_string().size() > duet::query::kMaxCursorBytes) {
      return false;
    }
  }
  if (const json::value* limit = get("limit")) {
    const std::optional<int64_t> n = ReferenceJsonInteger(*limit);
    if (!n || *n < 1 || *n > duet::query::kMaxLimit) return false;
  }
  return true;
}

void FuzzQueryParams(std::string_view text) {
  boost::system::error_code ec;
  const json::value parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return;  // the HTTP layer refuses these before validation
  const json::object& raw = parsed.get_object();
  const duet::Result<duet::QueryParams> params = duet::query::ValidateParams(Declared(), raw);
  DUET_FUZZ_CHECK(params.ok() == ParamsRule(raw), "ValidateParams disagrees with the rules");
  if (!params.ok()) {
    DUET_FUZZ_CHECK(params.status().IsInvalidArgument(), "a rejection must be invalid_argument");
    // The subject is the parameter at fault: a declared one or one the request sent (which
    // may be the empty name of "?=1").
    const std::string subject = params.status().subject();
    bool named = raw.contains(subject);
    for (const duet::QueryParam& p : Declared()) named = named || p.name == subject;
    DUET_FUZZ_CHECK(named, "a rejection must name the parameter");
    return;
  }
  const duet::QueryParams& p = *params;
  DUET_FUZZ_CHECK(p.String("account") == std::string_view(raw.at("account").get_string()),
                  "the account changed in validation");
  const json::value* limit = raw.if_contains("limit");
  const int64_t expected_limit = limit == nullptr || limit->is_null()
                                     ? duet::query::kDefaultLimit
                                     : *ReferenceJsonInteger(*limit);
  DUET_FUZZ_CHECK(p.Integer("limit") == expected_limit, "the limit was misread");
  const json::value* n = raw.if_contains("n");
  if (n != nullptr && !n->is_null()) {
    DUET_FUZZ_CHECK(p.Has("n") && p.Integer("n") == *ReferenceJsonInteger(*n),
                    "the integer was misread");
  } else {
    DUET_FUZZ_CHECK(!p.Has("n"), "an absent parameter appeared");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (selector % 6) {
    case 0: FuzzStreamName(rest); break;
    case 1: FuzzEventType(rest); break;
    case 2: FuzzCommandId(rest); break;
    case 3:
      if (!rest.empty()) FuzzParseUint(static_cast<uint8_t>(rest[0]), rest.substr(1));
      break;
    case 4: FuzzParseInteger(rest); break;
    case 5: FuzzQueryParams(rest); break;
  }
  return 0;
}
