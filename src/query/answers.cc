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

}  // namespace duet
