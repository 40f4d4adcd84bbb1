// The HTTP API v1 (docs/http-api.md; docs/openapi.json is the document the
// example app generates): the routes a node serves, given what its role runs.
// Each group lives in its own file.
#ifndef DUET_SERVER_API_ROUTES_H_
#define DUET_SERVER_API_ROUTES_H_

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "duet/command_bus.h"
#include "duet/event_store.h"
#include "duet/options.h"
#include "duet/projection_engine.h"
#include "duet/query_bus.h"
#include "server/router.h"

namespace duet::server {

// What a node runs. Pointers may be null when the node's role does not run
// that part; its routes are then not served. Everything must outlive the
// router the routes are added to.
struct ApiBackends {
  std::string role;                         // "all", "command" or "query"
  EventStore* store = nullptr;              // every role (a follower on query nodes)
  CommandBus* commands = nullptr;           // roles all and command
  std::string command_node_url;             // role query: where commands go (named in 421s)
  ProjectionEngine* projections = nullptr;  // roles all and query
  QueryBus* queries = nullptr;              // roles all and query
  Limits limits;                            // names and sizes the store accepts
  std::function<Status()> health;           // OK, or the storage failure
  std::function<Status()> readiness;        // OK when the node serves
  std::function<std::string()> metrics;     // Prometheus text
  std::chrono::milliseconds default_query_wait{5000};  // min_position without timeout_ms
  std::chrono::milliseconds max_query_wait{30000};     // longer timeout_ms are cut to it
};

// Adds every route the backends support, plus /health, /ready, /metrics and
// /openapi.json (generated once, here, from what the backends run:
// GenerateOpenApi, openapi_document.h).
void AddApiRoutes(const ApiBackends& backends, Router* router);

// The groups, for AddApiRoutes.
void AddCommandRoutes(const ApiBackends& backends, Router* router);  // commands, appends
void AddReadRoutes(const ApiBackends& backends, Router* router);  // queries, stream and log reads
void AddEventFeedRoute(const ApiBackends& backends, Router* router);  // GET /events/live
void AddAdminRoutes(const ApiBackends& backends, Router* router);     // projections, health, ...

// Shared by the groups: an integer query parameter within [min, max]
// (`fallback` when absent); InvalidArgument naming the parameter otherwise.
Result<uint64_t> UintParam(const HttpRequest& request, std::string_view name, uint64_t fallback,
                           uint64_t min, uint64_t max);
// The same check for a value from elsewhere (a header): `name` names it.
Result<uint64_t> ParseUint(std::string_view text, std::string_view name, uint64_t min,
                           uint64_t max);

// A 200 JSON response from a serialized body.
HttpResponse JsonOk(std::string body, unsigned status = 200);

}  // namespace duet::server

#endif  // DUET_SERVER_API_ROUTES_H_
