#include "query/params.h"

#include <algorithm>
#include <charconv>
#include <limits>
#include <string>

#include "util/utf8.h"

namespace duet::query {
namespace {

namespace json = boost::json;

Result<std::string> AsString(const json::value& value, std::string_view name) {
  if (!value.is_string()) return Status::InvalidArgument(name, "must be a string");
  const json::string& s = value.get_string();
  if (!IsValidUtf8(std::string_view(s.data(), s.size()))) {
    return Status::InvalidArgument(name, "is not valid UTF-8");
  }
  return std::string(s.data(), s.size());
}

Result<json::value> CheckString(const QueryParam& param, const json::value& value) {
  DUET_ASSIGN_OR_RETURN(std::string s, AsString(value, param.name));
  if (s.empty()) return Status::InvalidArgument(param.name, "must not be empty");
  if (s.size() > param.max_length) {
    return Status::InvalidArgument(param.name,
                                   "longer than " + std::to_string(param.max_length) + " bytes");
  }
  if (!param.choices.empty() &&
      std::find(param.choices.begin(), param.choices.end(), s) == param.choices.end()) {
    std::string reason = "must be one of:";
    for (const std::string& choice : param.choices) reason += " " + choice;
    return Status::InvalidArgument(param.name, reason);
  }
  return json::value(json::string(s));
}

Result<json::value> CheckCursor(const QueryParam& param, const json::value& value) {
  DUET_ASSIGN_OR_RETURN(std::string s, AsString(value, param.name));
  if (s.size() > kMaxCursorBytes) return Status::InvalidArgument(param.name, "is not a cursor");
  return json::value(json::string(s));
}

Result<json::value> CheckBucket(const QueryParam& param, const json::value& value) {
  DUET_ASSIGN_OR_RETURN(std::string s, AsString(value, param.name));
  DUET_ASSIGN_OR_RETURN(TimeBucket bucket, ParseTimeBucket(s, param.name));
  return json::value(json::string(TimeBucketName(bucket)));
}

Result<json::value> CheckLimit(const QueryParam& param, const json::value& value) {
  DUET_ASSIGN_OR_RETURN(int64_t limit, ParseInteger(value, param.name));
  if (limit < 1 || limit > kMaxLimit) {
    return Status::InvalidArgument(param.name, "must be between 1 and 1000");
  }
  return json::value(limit);
}

Result<json::value> Check(const QueryParam& param, const json::value& value) {
  switch (param.type) {
    case ParamType::kString: return CheckString(param, value);
    case ParamType::kInteger: {
      DUET_ASSIGN_OR_RETURN(int64_t n, ParseInteger(value, param.name));
      return json::value(n);
    }
    case ParamType::kBucket: return CheckBucket(param, value);
    case ParamType::kCursor: return CheckCursor(param, value);
    case ParamType::kLimit: return CheckLimit(param, value);
  }
  return Status::InvalidArgument(param.name, "has an unknown declared type");
}

const QueryParam* FindDeclared(const std::vector<QueryParam>& declared, std::string_view name) {
  for (const QueryParam& param : declared) {
    if (param.name == name) return &param;
  }
  return nullptr;
}

}  // namespace

Result<int64_t> ParseInteger(const json::value& value, std::string_view name) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64()) return Status::InvalidArgument(name, "is outside the int64 range");
  if (!value.is_string()) return Status::InvalidArgument(name, "must be an integer");
  const json::string& s = value.get_string();
  int64_t n = 0;
  const char* end = s.data() + s.size();
  // from_chars takes no sign '+', no spaces and no base prefix: plain decimal only.
  const auto [ptr, ec] = std::from_chars(s.data(), end, n);
  if (ec == std::errc::result_out_of_range) {
    return Status::InvalidArgument(name, "is outside the int64 range");
  }
  if (ec != std::errc() || ptr != end || s.empty()) {
    return Status::InvalidArgument(name, "must be a decimal integer");
  }
  return n;
}

Result<QueryParams> ValidateParams(const std::vector<QueryParam>& declared,
                                   const json::object& raw) {
  for (const auto& entry : raw) {
    if (FindDeclared(declared, entry.key()) == nullptr) {
      return Status::InvalidArgument(entry.key(), "unknown parameter");
    }
  }
  QueryParams params;
  for (const QueryParam& param : declared) {
    const json::value* value = raw.if_contains(param.name);
    // JSON null is absence, as in the command decoders' optional fields.
    if (value == nullptr || value->is_null()) {
      if (param.type == ParamType::kLimit) {
        params.Set(param.name, json::value(kDefaultLimit));
      } else if (param.required) {
        return Status::InvalidArgument(param.name, "missing");
      }
      continue;
    }
    DUET_ASSIGN_OR_RETURN(json::value checked, Check(param, *value));
    params.Set(param.name, std::move(checked));
  }
  return params;
}

}  // namespace duet::query
