// JSON rendering of a projection's status: the lines of `duet projections
// status` and the items of GET /projections (docs/http-api.md).
#ifndef DUET_SERVER_PROJECTION_JSON_H_
#define DUET_SERVER_PROJECTION_JSON_H_

#include <boost/json/object.hpp>

#include "duet/projection_engine.h"

namespace duet::server {

// {"name","version","store","state","checkpoint","head","lag_events",
//  "lag_seconds","events_per_s","parked","failed_at"?,"error"?,
//  "rebuild"?: {"position","target","events_per_s","eta_seconds"}}
boost::json::object ProjectionStatusJson(const ProjectionStatus& status);

}  // namespace duet::server

#endif  // DUET_SERVER_PROJECTION_JSON_H_
