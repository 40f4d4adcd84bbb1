// The idempotency record of a command: one "$CommandHandled" event in stream
// "$command-<command id>", appended in the same commit as the command's
// events (see include/duet/command_bus.h).
//
// Data JSON: {"command_type": str, "stream": str, "version": int|null,
//             "streams": [{"stream": str, "version": int}, ...],
//             "request_digest": "sha256:<64 hex>"}
// The result's position is the record event's own position: it is appended
// last, so it is the commit's last event. "request_digest" (record version 2,
// docs/format.md) fingerprints the request the id was first used for, so a
// reuse of the id for another request is told apart from a retry; records
// written before it have none and match any body of their command type.
#ifndef DUET_DOMAIN_COMMAND_RECORD_H_
#define DUET_DOMAIN_COMMAND_RECORD_H_

#include <boost/json.hpp>
#include <string>
#include <string_view>

#include "duet/command_bus.h"
#include "duet/result.h"

namespace duet::domain {

inline constexpr std::string_view kCommandStreamPrefix = "$command-";
inline constexpr std::string_view kCommandHandledType = "$CommandHandled";

inline std::string CommandStream(std::string_view command_id) {
  return std::string(kCommandStreamPrefix) + std::string(command_id);
}

// The fingerprint of one request: "sha256:" + the hex SHA-256 of the command
// type, a NUL byte and the canonical JSON text of the body (util/canonical_json.h;
// an integer and a double of equal value differ).
// Bodies that differ only in key order or whitespace have the same digest.
std::string RequestDigest(std::string_view command_type, const boost::json::object& body);

// `request_digest` empty: the record has none (a typed command whose type
// cannot print itself as JSON).
std::string EncodeCommandRecord(std::string_view command_type, std::string_view request_digest,
                                const CommandResult& result);

struct CommandRecord {
  std::string command_type;
  std::string request_digest;  // empty in records written before version 2
  CommandResult result;        // position not set (it is the event's)
};
// Corruption when the data is not a record.
Result<CommandRecord> DecodeCommandRecord(std::string_view data);

// The metadata JSON of the events of one dispatch.
std::string EncodeMetadata(std::string_view command_type, std::string_view command_id,
                           std::string_view correlation_id, std::string_view causation_id);

}  // namespace duet::domain

#endif  // DUET_DOMAIN_COMMAND_RECORD_H_
