// QueryParams: the validated parameters a handler reads.
#include <string>

#include "duet/query_bus.h"

namespace duet {

bool QueryParams::Has(std::string_view name) const { return values_.find(name) != values_.end(); }

std::string QueryParams::String(std::string_view name, std::string_view fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || !it->second.is_string()) return std::string(fallback);
  const boost::json::string& s = it->second.get_string();
  return std::string(s.data(), s.size());
}

int64_t QueryParams::Integer(std::string_view name, int64_t fallback) const {
  auto it = values_.find(name);
  if (it == values_.end() || !it->second.is_int64()) return fallback;
  return it->second.get_int64();
}

TimeBucket QueryParams::Bucket(std::string_view name) const {
  Result<TimeBucket> bucket = ParseTimeBucket(String(name));
  return bucket.ok() ? *bucket : TimeBucket::kDay;
}

void QueryParams::Set(std::string name, boost::json::value value) {
  values_.insert_or_assign(std::move(name), std::move(value));
}

}  // namespace duet
