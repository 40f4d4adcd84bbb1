// The idempotency record of a command: one "$CommandHandled" event in stream
// "$command-<command id>", appended in the same commit as the command's
// events (see include/duet/command_bus.h).
//
// Data JSON: {"command_type": str, "stream": str, "version": int|null,
//             "streams": [{"stream": str, "version": int}, ...]}
// The result's position is the record event's own position: it is appended
// last, so it is the commit's last event.
#ifndef DUET_DOMAIN_COMMAND_RECORD_H_
#define DUET_DOMAIN_COMMAND_RECORD_H_

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

std::string EncodeCommandRecord(std::string_view command_type, const CommandResult& result);

struct CommandRecord {
  std::string command_type;
  CommandResult result;  // position not set (it is the event's)
};
// Corruption when the data is not a record.
Result<CommandRecord> DecodeCommandRecord(std::string_view data);

// The metadata JSON of the events of one dispatch.
std::string EncodeMetadata(std::string_view command_type, std::string_view command_id,
                           std::string_view correlation_id, std::string_view causation_id);

}  // namespace duet::domain

#endif  // DUET_DOMAIN_COMMAND_RECORD_H_
