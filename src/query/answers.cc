#include "duet/query_bus.h"

namespace duet {

namespace json = boost::json;

json::object PageAnswer(json::array items, const std::string& next_cursor,
                        std::string_view items_name) {
  json::object out;
  out[items_name] = std::move(items);
  if (!next_cursor.empty()) out["next_cursor"] = next_cursor;
  return out;
}

json::object SearchHitsAnswer(std::vector<SearchHit> hits) {
  json::array out;
  for (SearchHit& hit : hits) {
    json::object h = std::move(hit.stored);
    h["score"] = hit.score;
    out.push_back(std::move(h));
  }
  return json::object{{"hits", std::move(out)}};
}

json::array AnalyticsRowsAnswer(const std::vector<AnalyticsRow>& rows) {
  json::array out;
  for (const AnalyticsRow& row : rows) {
    out.push_back(json::object{{"bucket_start", FormatUtcTimestamp(row.bucket_start_us)},
                               {"count", row.count},
                               {"sum", row.sum},
                               {"min", row.min},
                               {"max", row.max}});
  }
  return out;
}

QueryParam CursorParam() { return QueryParam{"cursor", ParamType::kCursor, false}; }
QueryParam LimitParam() { return QueryParam{"limit", ParamType::kLimit, false}; }

namespace answer_schema {
namespace {

json::object Described(json::object schema, std::string_view description) {
  if (!description.empty()) schema["description"] = description;
  return schema;
}

}  // namespace

json::object Object(json::object properties, json::array required) {
  return {{"type", "object"},
          {"properties", std::move(properties)},
          {"required", std::move(required)},
          {"additionalProperties", false}};
}

json::object String(std::string_view description) {
  return Described({{"type", "string"}}, description);
}

json::object Int64(std::string_view description) {
  return Described({{"type", "integer"}, {"format", "int64"}}, description);
}

json::object Timestamp(std::string_view description) {
  return Described({{"type", "string"}, {"format", "date-time"}}, description);
}

json::object Enum(std::initializer_list<std::string_view> values, std::string_view description) {
  json::array choices;
  for (std::string_view value : values) choices.emplace_back(value);
  return Described({{"type", "string"}, {"enum", std::move(choices)}}, description);
}

json::object ArrayOf(json::object item) { return {{"type", "array"}, {"items", std::move(item)}}; }

}  // namespace answer_schema

}  // namespace duet
