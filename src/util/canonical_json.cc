#include "util/canonical_json.h"

#include <algorithm>
#include <vector>

namespace duet {
namespace {

void AppendObject(const boost::json::object& object, std::string* out) {
  std::vector<const boost::json::key_value_pair*> members;
  members.reserve(object.size());
  for (const auto& member : object) members.push_back(&member);
  std::sort(members.begin(), members.end(),
            [](const auto* a, const auto* b) { return a->key() < b->key(); });
  out->push_back('{');
  bool first = true;
  for (const auto* member : members) {
    if (!first) out->push_back(',');
    first = false;
    out->append(boost::json::serialize(boost::json::string_view(member->key())));
    out->push_back(':');
    AppendCanonicalJson(member->value(), out);
  }
  out->push_back('}');
}

}  // namespace

void AppendCanonicalJson(const boost::json::value& value, std::string* out) {
  switch (value.kind()) {
    case boost::json::kind::object: AppendObject(value.get_object(), out); return;
    case boost::json::kind::array: {
      out->push_back('[');
      bool first = true;
      for (const auto& element : value.get_array()) {
        if (!first) out->push_back(',');
        first = false;
        AppendCanonicalJson(element, out);
      }
      out->push_back(']');
      return;
    }
    default: out->append(boost::json::serialize(value));
  }
}

std::string CanonicalJson(const boost::json::value& value) {
  std::string out;
  AppendCanonicalJson(value, &out);
  return out;
}

std::string CanonicalJson(const boost::json::object& object) {
  std::string out;
  AppendObject(object, &out);
  return out;
}

}  // namespace duet
