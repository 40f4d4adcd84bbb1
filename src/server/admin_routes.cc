// Operations: projection status, rebuild, verify and parked events, liveness, readiness, metrics
// and the API's own description.
#include <boost/json.hpp>

#include "server/api_routes.h"
#include "server/openapi_document.h"
#include "server/problem.h"
#include "server/projection_json.h"
#include "util/json_text.h"
#include "util/version.h"

namespace duet::server {
namespace {

namespace json = boost::json;

HttpResponse Projections(ProjectionEngine& engine) {
  json::array items;
  for (const ProjectionStatus& status : engine.Statuses()) {
    items.push_back(ProjectionStatusJson(status));
  }
  return JsonOk(JsonText(json::object{{"projections", std::move(items)}}));
}

// The engine checks for a running rebuild and starts one in one step, so
// of concurrent requests exactly one is answered 202 and the others 409
// rebuild_running; a check here first could only race with it.
HttpResponse Rebuild(ProjectionEngine& engine, const HttpRequest& request) {
  const std::string name(request.PathParam("name"));
  if (Status started = engine.Rebuild(name); !started.ok()) return ProblemResponse(started);
  Result<ProjectionStatus> status = engine.StatusOf(name);
  if (!status.ok()) return ProblemResponse(status.status());
  return JsonOk(JsonText(ProjectionStatusJson(*status)), 202);
}

// The determinism check replays the whole history into a scratch store, so it
// runs on a worker (Execution::kWorker), never on an I/O thread.
HttpResponse Verify(ProjectionEngine& engine, const HttpRequest& request) {
  Result<VerifyReport> report = engine.Verify(std::string(request.PathParam("name")));
  if (!report.ok()) return ProblemResponse(report.status());
  json::array keys;
  for (const std::string& key : report->differing_keys) keys.emplace_back(key);
  return JsonOk(JsonText(json::object{{"position", report->position.value},
                                      {"matches", report->matches()},
                                      {"live_digest", report->live_digest},
                                      {"rebuilt_digest", report->rebuilt_digest},
                                      {"entries", report->entries},
                                      {"differing_keys", std::move(keys)}}));
}

// A projection parks every event it fails on, so the list has no natural
// bound; the oldest kParkedListed are answered, with the total beside them.
constexpr size_t kParkedListed = 100;

HttpResponse ParkedEvents(ProjectionEngine& engine, const HttpRequest& request) {
  Result<std::shared_ptr<ReadStore>> store =
      engine.ServingStore(std::string(request.PathParam("name")));
  if (!store.ok()) return ProblemResponse(store.status());
  Result<std::vector<ParkedEvent>> parked = (*store)->Parked();
  if (!parked.ok()) return ProblemResponse(parked.status());
  json::array items;
  for (size_t i = 0; i < parked->size() && i < kParkedListed; ++i) {
    const ParkedEvent& event = (*parked)[i];
    items.push_back(json::object{{"position", event.position.value},
                                 {"stream", event.stream},
                                 {"type", event.type},
                                 {"error", event.error}});
  }
  return JsonOk(JsonText(json::object{{"parked", std::move(items)}, {"total", parked->size()}}));
}

HttpResponse RetryParked(ProjectionEngine& engine, const HttpRequest& request) {
  Result<uint64_t> remaining = engine.RetryParked(std::string(request.PathParam("name")));
  if (!remaining.ok()) return ProblemResponse(remaining.status());
  return JsonOk(JsonText(json::object{{"remaining", *remaining}}));
}

// 200 {"status":"ok","role":…,"version":…} or 503 {"status":<code>,"detail":…,…}.
HttpResponse Probe(const std::function<Status()>& check, const std::string& role) {
  Status status = check ? check() : Status::OK();
  json::object body{{"role", role}, {"version", DuetVersion()}};
  if (status.ok()) {
    body["status"] = "ok";
    return JsonOk(JsonText(body));
  }
  body["status"] = StatusCodeName(status.code());
  body["detail"] = status.ToString();
  return JsonOk(JsonText(body), 503);
}

}  // namespace

void AddAdminRoutes(const ApiBackends& backends, Router* router) {
  if (backends.projections != nullptr) {
    router->Add({.method = "GET",
                 .pattern = "/projections",
                 .scope = Scope::kAdmin,
                 .execution = Execution::kInline,
                 .handle = [engine = backends.projections](
                               const HttpRequest&) { return Projections(*engine); },
                 .summary = "status of every projection"});
    router->Add({.method = "POST",
                 .pattern = "/projections/{name}/rebuild",
                 .scope = Scope::kAdmin,
                 .execution = Execution::kWorker,
                 .handle = [engine = backends.projections](
                               const HttpRequest& request) { return Rebuild(*engine, request); },
                 .summary = "rebuild a projection beside the serving one"});
    router->Add({.method = "POST",
                 .pattern = "/projections/{name}/verify",
                 .scope = Scope::kAdmin,
                 .execution = Execution::kWorker,
                 .handle = [engine = backends.projections](
                               const HttpRequest& request) { return Verify(*engine, request); },
                 .summary = "compare a projection's read model with a fresh replay"});
    router->Add(
        {.method = "GET",
         .pattern = "/projections/{name}/parked",
         .scope = Scope::kAdmin,
         .execution = Execution::kWorker,
         .handle = [engine = backends.projections](
                       const HttpRequest& request) { return ParkedEvents(*engine, request); },
         .summary = "the events a projection parked"});
    router->Add(
        {.method = "POST",
         .pattern = "/projections/{name}/parked/retry",
         .scope = Scope::kAdmin,
         .execution = Execution::kWorker,
         .handle = [engine = backends.projections](
                       const HttpRequest& request) { return RetryParked(*engine, request); },
         .summary = "re-apply a projection's parked events"});
  }
  router->Add({.method = "GET",
               .pattern = "/health",
               .handle = [check = backends.health,
                          role = backends.role](const HttpRequest&) { return Probe(check, role); },
               .summary = "liveness, and the storage's health"});
  router->Add({.method = "GET",
               .pattern = "/ready",
               .handle = [check = backends.readiness,
                          role = backends.role](const HttpRequest&) { return Probe(check, role); },
               .summary = "readiness: the node serves"});
  router->Add({.method = "GET",
               .pattern = "/metrics",
               .scope = Scope::kAdmin,
               .handle =
                   [render = backends.metrics](const HttpRequest&) {
                     HttpResponse response;
                     response.content_type = "text/plain; version=0.0.4; charset=utf-8";
                     response.body = render ? render() : std::string();
                     return response;
                   },
               .summary = "Prometheus metrics"});
  std::string document = GenerateOpenApi({.role = backends.role,
                                          .commands = backends.commands,
                                          .queries = backends.queries,
                                          .has_projections = backends.projections != nullptr});
  router->Add(
      {.method = "GET",
       .pattern = "/openapi.json",
       .handle = [document = std::move(document)](const HttpRequest&) { return JsonOk(document); },
       .summary = "this API, as OpenAPI 3.1"});
}

}  // namespace duet::server
