// The metrics of a serving node beyond HTTP and the store's write path
// (those are HttpMetrics and StoreMetrics); server.cc registers them. Every
// name is listed, with its type and labels, in docs/http-api.md ("Metrics").
//
//   duet_build_info{version}                       gauge    1
//   duet_log_head_position                         gauge    the store's head (on a follower:
//                                                           the command node's, as last seen)
//   duet_projection_checkpoint_position{projection} gauge
//   duet_projection_parked_events{projection}      gauge
//   duet_projection_state{projection,state}        gauge    1 for the current state, 0 for the
//                                                           others (StateSet, as in OpenMetrics)
//   duet_follower_connected                        gauge    1 while the feed is connected
//   duet_follower_lag_events                       gauge    command node head - last event fed
//   duet_follower_received_events_total            counter  events the feed delivered
//   duet_follower_feed_errors_total                counter  feed connections ended by an error
//   duet_command_duration_seconds{type,outcome}    histogram, per registered command type
//   duet_query_duration_seconds{name,outcome}      histogram, per registered query
//   duet_feed_subscribers                          gauge    open event feed streams
//
// `outcome` is ok (2xx/3xx), rejected (4xx) or error (5xx). Label values
// come from what the domains registered, never from a request: a command
// type or query name nobody registered is observed by no series.
#ifndef DUET_SERVER_NODE_METRICS_H_
#define DUET_SERVER_NODE_METRICS_H_

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "duet/command_bus.h"
#include "duet/event_store.h"
#include "duet/projection_engine.h"
#include "duet/query_bus.h"
#include "server/metrics.h"
#include "server/router.h"

namespace duet::follow {
class FollowerStore;
}

namespace duet::server {

// Each function registers callback series that read their argument at
// scrape time: it must outlive the registry's renders (a node stops serving
// /metrics before it closes its App).
void AddBuildInfo(Registry* registry);
void AddLogHeadMetric(Registry* registry, EventStore* store);
void AddProjectionMetrics(Registry* registry, ProjectionEngine* engine);
void AddFollowerMetrics(Registry* registry, follow::FollowerStore* follower);

// Times the command and query routes per registered command type and query
// name, and counts the open streams of the streaming routes. Thread-safe
// once built (its series are all looked up in the constructor).
class RouteMetrics {
 public:
  // `commands` and `queries` may be null (a role without them); they and
  // `registry` must outlive this object.
  RouteMetrics(Registry* registry, const CommandBus* commands, const QueryBus* queries);
  RouteMetrics(const RouteMetrics&) = delete;
  RouteMetrics& operator=(const RouteMetrics&) = delete;

  // `route` with its handler observed: POST /commands/{type} and GET
  // /queries/{name} timed, streaming routes counted; other routes as given.
  // The returned route refers to this object, which must outlive it.
  Route Instrument(Route route);

  // One histogram family keyed by a label whose values are fixed at
  // construction (the registered command types or query names) and by
  // outcome. A series is registered on its first observation, so a scrape
  // shows only what happened.
  class TimedFamily {
   public:
    TimedFamily(Registry* registry, const char* name, const char* help, const char* label);
    void AddLabelValue(const std::string& value);
    bool Has(std::string_view value) const { return series_.find(value) != series_.end(); }
    // The series for `value` and `status`, null when `value` is not one of
    // the label values.
    Histogram* Find(std::string_view value, unsigned status) const;

   private:
    Registry* const registry_;
    const char* const name_;
    const char* const help_;
    const char* const label_;
    // Per label value: ok, rejected, error; filled on first use (the
    // registry returns the same series to racing threads).
    mutable std::map<std::string, std::array<std::atomic<Histogram*>, 3>, std::less<>> series_;
  };

 private:
  Gauge& feed_subscribers_;
  TimedFamily commands_;  // by command type
  TimedFamily queries_;   // by query name
};

}  // namespace duet::server

#endif  // DUET_SERVER_NODE_METRICS_H_
