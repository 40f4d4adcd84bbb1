// JSON rendering of recorded events, one object per event (the CLI's
// `duet read` lines; see docs/cli.md).
#ifndef DUET_CLI_EVENT_JSON_H_
#define DUET_CLI_EVENT_JSON_H_

#include <string>

#include "duet/types.h"

namespace duet::cli {

// {"position":..,"stream":..,"version":..,"timestamp_us":..,"id":..,"type":..,
//  "data":..,"metadata":..}. data and metadata are embedded as JSON when they
// parse as JSON, else as strings.
std::string EventToJson(const RecordedEvent& event);

}  // namespace duet::cli

#endif  // DUET_CLI_EVENT_JSON_H_
