// The contract of a command: its fields (name, type, required, limits),
// declared once where the command is registered. That one declaration serves
// three uses:
//   - validation: CheckFields refuses a body that breaks it, naming the field
//     (InvalidArgument(path, reason)), before any decoder or handler runs;
//   - the OpenAPI document a server generates for the app it serves
//     (FieldsSchema: one JSON Schema object per command);
//   - the CLI's help for `duet command`.
//
// A field is a JSON string, integer, boolean, object (with fields of its
// own) or array of objects. Unknown fields are refused: a typo in a field
// name is bad input, never silently dropped.
//
// Value types; thread-compatible. A FieldPattern is compiled once and is
// immutable afterwards (thread-safe to share).
#ifndef DUET_CONTRACT_H_
#define DUET_CONTRACT_H_

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#include "duet/result.h"
#include "duet/status.h"

namespace duet {

enum class FieldType : uint8_t {
  kString,   // UTF-8 text
  kInteger,  // a JSON integer within int64
  kBoolean,
  kObject,  // an object with the nested `fields`
  kArray,   // an array of objects, each with the nested `fields`
};

// "string", "integer", "boolean", "object", "array" (JSON Schema's names).
std::string_view FieldTypeName(FieldType type);

// A regular expression a whole string value must match. ECMAScript syntax
// (std::regex), the dialect JSON Schema's `pattern` uses, so the same text
// goes into the OpenAPI document. Compiled once, when declared.
class FieldPattern {
 public:
  FieldPattern() = default;
  // `hint` is the reason given when a value does not match, e.g. "must be 3
  // upper-case letters"; empty: "must match <regex>".
  // REQUIRES: `regex` is a valid ECMAScript regular expression (an invalid
  // one is reported by ValidateFields, not here).
  FieldPattern(std::string regex, std::string hint = {});  // NOLINT: implicit from text

  bool empty() const { return regex_.empty(); }
  const std::string& regex() const { return regex_; }
  const std::string& hint() const { return hint_; }
  // True if the pattern compiled and the whole of `value` matches it.
  bool Matches(std::string_view value) const;
  bool valid() const { return compiled_ != nullptr; }

 private:
  std::string regex_;
  std::string hint_;
  std::shared_ptr<const std::regex> compiled_;  // shared: FieldSpecs are copied freely
};

// The characters of an aggregate id (ValidateId in decider.h): 1..128 of
// [A-Za-z0-9-_.:@]. For FieldSpec::pattern.
inline constexpr char kIdPattern[] = "^[A-Za-z0-9._:@-]{1,128}$";

struct FieldSpec {
  std::string name{};
  FieldType type = FieldType::kString;
  bool required = true;
  std::string description{};  // one line, for the API docs and --help
  // kString: length in bytes (max 0: no limit) and the pattern it matches.
  size_t min_length = 0;
  size_t max_length = 0;
  FieldPattern pattern{};
  // kInteger: inclusive bounds.
  std::optional<int64_t> minimum{};
  std::optional<int64_t> maximum{};
  // kArray: how many elements (max 0: no limit).
  size_t min_items = 0;
  size_t max_items = 0;
  // kObject: the object's fields; kArray: the fields of each element.
  std::vector<FieldSpec> fields{};
};

// OK if every field is well declared: names unique and non-empty, patterns
// valid, bounds ordered, nested fields only on kObject/kArray. Otherwise
// InvalidArgument naming the field.
Status ValidateFields(const std::vector<FieldSpec>& fields);

// Checks `object` against `fields`. InvalidArgument(path, reason) for the
// first field that is missing, unknown, of the wrong type or outside its
// limits; the path of a nested field is "items[2].qty". `path` prefixes the
// names (empty at the top).
Status CheckFields(const std::vector<FieldSpec>& fields, const boost::json::object& object,
                   std::string_view path = {});

// The JSON Schema (draft 2020-12, as OpenAPI 3.1 uses) of an object with
// these fields: type, properties with their limits, required, and
// additionalProperties false.
boost::json::object FieldsSchema(const std::vector<FieldSpec>& fields);

// "  account  string, required, 1..128 bytes: the account's id" lines for
// --help, one per field (nested fields indented under their parent).
std::string FieldsHelp(const std::vector<FieldSpec>& fields, int indent = 2);

}  // namespace duet

#endif  // DUET_CONTRACT_H_
