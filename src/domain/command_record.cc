#include "domain/command_record.h"

#include <openssl/evp.h>

#include <boost/json.hpp>
#include <memory>

#include "util/canonical_json.h"
#include "util/hex.h"

namespace duet::domain {
namespace json = boost::json;

std::string RequestDigest(std::string_view command_type, const json::object& body) {
  std::string input(command_type);
  input.push_back('\0');  // no type is a prefix of another's input
  input += CanonicalJson(body);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  // EVP_Digest fails only on allocation failure; an empty digest then means
  // "none recorded", which is what a record without one already means.
  if (EVP_Digest(input.data(), input.size(), digest, &size, EVP_sha256(), nullptr) != 1) return {};
  return "sha256:" + HexEncode(std::string_view(reinterpret_cast<const char*>(digest), size));
}

std::string EncodeCommandRecord(std::string_view command_type, std::string_view request_digest,
                                const CommandResult& result) {
  json::array streams;
  for (const StreamRevision& r : result.streams) {
    streams.push_back(json::object{{"stream", r.stream}, {"version", r.version.value}});
  }
  json::object record{{"command_type", command_type}, {"stream", result.stream}};
  if (result.version) {
    record["version"] = result.version->value;
  } else {
    record["version"] = nullptr;
  }
  record["streams"] = std::move(streams);
  if (!request_digest.empty()) record["request_digest"] = request_digest;
  return ToJsonText(record);
}

Result<CommandRecord> DecodeCommandRecord(std::string_view data) {
  Result<json::object> object = ParseJsonObject(data, "data");
  if (!object.ok()) return Status::Corruption("command record: " + object.status().ToString());
  JsonReader fields(*object);
  CommandRecord record;
  record.command_type = fields.String("command_type");
  record.result.stream = fields.String("stream");
  record.request_digest = fields.OptionalString("request_digest").value_or("");
  if (auto version = fields.OptionalInt64("version")) {
    record.result.version = StreamVersion(static_cast<uint64_t>(*version));
  }
  if (const json::array* streams = fields.Array("streams")) {
    for (size_t i = 0; i < streams->size(); ++i) {
      const json::value& item = (*streams)[i];
      if (!item.is_object()) {
        fields.Fail(fields.ElementPath("streams", i), "must be an object");
        break;
      }
      JsonReader entry(item.get_object(), fields.ElementPath("streams", i));
      StreamRevision revision{entry.String("stream"),
                              StreamVersion(static_cast<uint64_t>(entry.Int64("version")))};
      fields.Merge(entry.status());
      record.result.streams.push_back(std::move(revision));
    }
  }
  if (!fields.status().ok()) {
    return Status::Corruption("command record: " + fields.status().ToString());
  }
  return record;
}

std::string EncodeMetadata(std::string_view command_type, std::string_view command_id,
                           std::string_view correlation_id, std::string_view causation_id) {
  return ToJsonText(json::object{{"command_type", command_type},
                                 {"command_id", command_id},
                                 {"correlation_id", correlation_id},
                                 {"causation_id", causation_id}});
}

}  // namespace duet::domain
