#include "duet/json_reader.h"

#include <algorithm>
#include <limits>

namespace duet {
namespace json = boost::json;

JsonReader::JsonReader(const json::object& object, std::string path)
    : object_(object), path_(std::move(path)) {}

std::string JsonReader::FieldPath(std::string_view field) const {
  if (path_.empty()) return std::string(field);
  return path_ + "." + std::string(field);
}

std::string JsonReader::ElementPath(std::string_view field, size_t index) const {
  return FieldPath(field) + "[" + std::to_string(index) + "]";
}

void JsonReader::Fail(std::string_view field, std::string_view reason) {
  if (status_.ok()) status_ = Status::InvalidArgument(FieldPath(field), reason);
}

void JsonReader::Merge(const Status& status) {
  if (status_.ok() && !status.ok()) status_ = status;
}

const json::value* JsonReader::MarkRead(std::string_view field) {
  auto it = object_.find(field);
  if (it == object_.end()) return nullptr;
  const size_t index = static_cast<size_t>(it - object_.begin());
  if (index < 64) {
    read_mask_ |= uint64_t{1} << index;
  } else {
    if (read_more_.size() <= index - 64) read_more_.resize(index - 64 + 1);
    read_more_[index - 64] = true;
  }
  return &it->value();
}

const json::value* JsonReader::Find(std::string_view field) {
  const json::value* value = MarkRead(field);
  if (!status_.ok()) return nullptr;
  if (value == nullptr) Fail(field, "missing");
  return value;
}

std::string JsonReader::String(std::string_view field) {
  const json::value* value = Find(field);
  if (value == nullptr) return {};
  if (!value->is_string()) {
    Fail(field, "must be a string");
    return {};
  }
  return std::string(value->get_string());
}

int64_t JsonReader::Int64(std::string_view field) {
  const json::value* value = Find(field);
  if (value == nullptr) return 0;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) {
    // The parser uses uint64 only above INT64_MAX.
    if (value->get_uint64() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return static_cast<int64_t>(value->get_uint64());
    }
    Fail(field, "out of range for a 64-bit signed integer");
    return 0;
  }
  Fail(field, "must be an integer");
  return 0;
}

bool JsonReader::Bool(std::string_view field) {
  const json::value* value = Find(field);
  if (value == nullptr) return false;
  if (!value->is_bool()) {
    Fail(field, "must be a boolean");
    return false;
  }
  return value->get_bool();
}

const json::array* JsonReader::Array(std::string_view field) {
  const json::value* value = Find(field);
  if (value == nullptr) return nullptr;
  if (!value->is_array()) {
    Fail(field, "must be an array");
    return nullptr;
  }
  return &value->get_array();
}

const json::object* JsonReader::Object(std::string_view field) {
  const json::value* value = Find(field);
  if (value == nullptr) return nullptr;
  if (!value->is_object()) {
    Fail(field, "must be an object");
    return nullptr;
  }
  return &value->get_object();
}

std::optional<std::string> JsonReader::OptionalString(std::string_view field) {
  const json::value* value = MarkRead(field);
  if (!status_.ok()) return std::nullopt;
  if (value == nullptr || value->is_null()) return std::nullopt;
  if (!value->is_string()) {
    Fail(field, "must be a string");
    return std::nullopt;
  }
  return std::string(value->get_string());
}

std::optional<int64_t> JsonReader::OptionalInt64(std::string_view field) {
  if (!status_.ok()) return std::nullopt;
  const json::value* value = MarkRead(field);
  if (value == nullptr || value->is_null()) return std::nullopt;
  return Int64(field);
}

Status JsonReader::Finish() {
  if (!status_.ok()) return status_;
  for (size_t i = 0; i < object_.size(); ++i) {
    const bool read =
        i < 64 ? (read_mask_ >> i) & 1 : i - 64 < read_more_.size() && read_more_[i - 64];
    if (!read) {
      Fail(object_.begin()[i].key(), "unknown field");
      break;
    }
  }
  return status_;
}

namespace {

// Parses `text` into `storage`. A parse into a caller's memory resource (an
// event decoded into an arena, once per event of a replay) reuses this
// thread's parser, whose state and stack are then set up once, not per call.
json::value Parse(std::string_view text, boost::system::error_code& ec, json::storage_ptr storage) {
  if (storage.get() == json::storage_ptr().get()) return json::parse(text, ec);
  thread_local json::parser parser;
  // Before returning, also by an exception: drop what a failed parse left and
  // the caller's resource, which need not outlive this call.
  struct ResetAfter {
    ~ResetAfter() { parser.reset(); }
  } reset_after;
  parser.reset(std::move(storage));
  parser.write(text.data(), text.size(), ec);
  return ec ? json::value(nullptr) : parser.release();
}

}  // namespace

Result<json::object> ParseJsonObject(std::string_view text, std::string_view what,
                                     json::storage_ptr storage) {
  try {
    boost::system::error_code ec;
    json::value value = Parse(text, ec, std::move(storage));
    if (ec) return Status::InvalidArgument(what, "malformed JSON: " + ec.message());
    if (!value.is_object()) return Status::InvalidArgument(what, "must be a JSON object");
    return std::move(value.get_object());
  } catch (const std::exception& e) {  // bad_alloc or a too-deep document
    return Status::InvalidArgument(what, std::string("unreadable JSON: ") + e.what());
  }
}

std::string ToJsonText(const json::value& value) { return json::serialize(value); }

}  // namespace duet
