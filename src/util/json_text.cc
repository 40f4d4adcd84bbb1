#include "util/json_text.h"

#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>

namespace duet {
namespace {

void Append(const boost::json::value& value, std::string* out);

void AppendString(boost::json::string_view text, std::string* out) {
  // Boost.JSON's own escaping, so strings read exactly as serialize writes them.
  out->append(boost::json::serialize(text));
}

void AppendObject(const boost::json::object& object, std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const auto& member : object) {
    if (!first) out->push_back(',');
    first = false;
    AppendString(member.key(), out);
    out->push_back(':');
    Append(member.value(), out);
  }
  out->push_back('}');
}

void AppendArray(const boost::json::array& array, std::string* out) {
  out->push_back('[');
  bool first = true;
  for (const boost::json::value& item : array) {
    if (!first) out->push_back(',');
    first = false;
    Append(item, out);
  }
  out->push_back(']');
}

void Append(const boost::json::value& value, std::string* out) {
  switch (value.kind()) {
    case boost::json::kind::double_: out->append(JsonNumberText(value.get_double())); return;
    case boost::json::kind::object: AppendObject(value.get_object(), out); return;
    case boost::json::kind::array: AppendArray(value.get_array(), out); return;
    default:  // strings, integers, booleans, null: as Boost.JSON writes them
      out->append(boost::json::serialize(value));
      return;
  }
}

}  // namespace

std::string JsonNumberText(double value) {
  if (!std::isfinite(value)) return "null";
  // Fixed notation with no precision given: the shortest digits that round-trip.
  // The largest double takes 309 digits, the smallest subnormal 2 + 324.
  char buf[400];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed);
  if (ec != std::errc()) return "null";  // cannot happen with this buffer
  std::string text(buf, end);
  if (text.find('.') == std::string::npos) text += ".0";
  return text;
}

std::string JsonText(const boost::json::value& value) {
  std::string out;
  Append(value, &out);
  return out;
}

std::string JsonText(const boost::json::object& object) {
  std::string out;
  AppendObject(object, &out);
  return out;
}

std::string JsonText(const boost::json::array& array) {
  std::string out;
  AppendArray(array, &out);
  return out;
}

}  // namespace duet
