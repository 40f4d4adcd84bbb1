#include "server/projection_json.h"

#include <boost/json.hpp>

namespace duet::server {

boost::json::object ProjectionStatusJson(const ProjectionStatus& s) {
  boost::json::object o;
  o["name"] = s.name;
  o["version"] = s.version;
  o["store"] = ReadStoreKindName(s.store);
  o["state"] = ProjectionStateName(s.state);
  o["checkpoint"] = s.checkpoint.value;
  o["head"] = s.head.value;
  o["lag_events"] = s.lag_events;
  o["lag_seconds"] = s.lag_seconds;
  o["events_per_s"] = s.events_per_second;
  o["parked"] = s.parked;
  if (s.failed_at) o["failed_at"] = s.failed_at->value;
  if (!s.error.empty()) o["error"] = s.error;
  if (s.rebuild) {
    o["rebuild"] = {{"position", s.rebuild->position.value},
                    {"target", s.rebuild->target.value},
                    {"events_per_s", s.rebuild->events_per_second},
                    {"eta_seconds", s.rebuild->eta_seconds}};
  }
  return o;
}

}  // namespace duet::server
