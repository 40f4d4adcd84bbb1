// JsonReader: reads the fields of a JSON object with named errors, for command
// decoders, event codecs and state codecs.
//
// The first error wins: after it, reads return empty values and record
// nothing, so a decoder reads every field and checks status() (or Finish())
// once. Errors are Status::InvalidArgument(field path, reason), e.g.
// ("amount", "missing"), ("items[2].qty", "must be an integer").
//
// Lifetime: the reader refers to `object`, which must outlive it.
// Thread-compatible.
#ifndef DUET_JSON_READER_H_
#define DUET_JSON_READER_H_

#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/result.h"
#include "duet/status.h"

namespace duet {

class JsonReader {
 public:
  // `path` prefixes the field names in errors ("items[2]" + "qty").
  explicit JsonReader(const boost::json::object& object, std::string path = {});

  // Required fields. On error (missing, wrong type) they record it and return
  // an empty value.
  std::string String(std::string_view field);
  int64_t Int64(std::string_view field);  // a JSON integer within int64
  bool Bool(std::string_view field);
  // Required array / object; nullptr on error.
  const boost::json::array* Array(std::string_view field);
  const boost::json::object* Object(std::string_view field);

  // Optional fields: nullopt when absent or null; a wrong type is an error.
  std::optional<std::string> OptionalString(std::string_view field);
  std::optional<int64_t> OptionalInt64(std::string_view field);

  // Records a custom error on `field` (if it is the first error).
  void Fail(std::string_view field, std::string_view reason);
  // Records `status` if it is an error and the first one (e.g. a nested
  // reader's Finish()).
  void Merge(const Status& status);

  // The full path of a field of this object: "items[2].qty".
  std::string FieldPath(std::string_view field) const;
  // The full path of element `index` of array field `field`: "items[2]".
  std::string ElementPath(std::string_view field, size_t index) const;

  // The first error, or OK.
  const Status& status() const { return status_; }
  // The first error; else InvalidArgument(key, "unknown field") for the first
  // key of the object that was never read (strict decoding of commands).
  Status Finish();

 private:
  const boost::json::value* Find(std::string_view field);
  // Notes that the member `field` of the object (if any) was read.
  const boost::json::value* MarkRead(std::string_view field);

  const boost::json::object& object_;
  std::string path_;
  // Which members of the object were read, by their index in it (Finish).
  // The first 64 in a mask, so decoding an event allocates nothing here.
  uint64_t read_mask_ = 0;
  std::vector<bool> read_more_;  // members 64 and on
  Status status_;
};

// Parses `text` as a JSON object, allocated from `storage` (the default heap
// when omitted; an arena such as a boost::json::monotonic_resource for an
// object that lives only while it is read). InvalidArgument(what, reason)
// when it is not valid JSON or not an object. Never throws.
Result<boost::json::object> ParseJsonObject(std::string_view text, std::string_view what = "body",
                                            boost::json::storage_ptr storage = {});

// Compact JSON text of `value`.
std::string ToJsonText(const boost::json::value& value);

}  // namespace duet

#endif  // DUET_JSON_READER_H_
