// `duet serve`: the HTTP server with both example domains, in one of three
// roles: all (commands and queries on one data folder), command (commands,
// appends, the event feed), query (queries, following a command node).
#include <csignal>
#include <cstdlib>
#include <ostream>
#include <pthread.h>

#include "cli/command.h"
#include "cli/example_app.h"
#include "follow/follower_store.h"
#include "server/api_routes.h"
#include "server/http_metrics.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/server_config.h"
#include "server/store_metrics.h"

namespace duet::cli {
namespace {

using server::ServerConfig;
using server::ServerRole;

Result<ServerConfig> ServeConfig(const Flags& flags) {
  ServerConfig config;
  std::optional<std::string> file = flags.Get("config");
  if (!file && std::getenv("DUET_CONFIG") != nullptr) file = std::getenv("DUET_CONFIG");
  if (file) {
    DUET_ASSIGN_OR_RETURN(config, server::LoadServerConfigFile(*file));
  }
  DUET_RETURN_IF_ERROR(server::ApplyServerEnv(&config, [](const char* name) {
    return static_cast<const char*>(std::getenv(name));
  }));
  for (const server::SettingInfo& setting : server::ServerSettings()) {
    const std::string_view flag = setting.flag.substr(2);  // without "--"
    if (std::optional<std::string> value = flags.Get(flag)) {
      DUET_RETURN_IF_ERROR(server::ApplyServerSetting(&config, setting.name, *value, setting.flag));
    }
  }
  DUET_RETURN_IF_ERROR(server::ValidateServerConfig(config));
  return config;
}

// Every part a node may run; which ones are set depends on its role.
// Members are destroyed in reverse order: the server first, the store last.
struct Node {
  server::Registry registry;
  server::StoreMetrics store_metrics{&registry};
  server::HttpMetrics http_metrics{&registry};
  std::unique_ptr<ExampleApp> app;                // roles all and command
  std::unique_ptr<server::FollowerStore> follower;  // role query
  ExampleReadSide follower_read;                  // role query
  server::TokenAuthority authority;
  server::Router router;
  std::unique_ptr<server::HttpServer> http;

  ProjectionEngine* engine() { return app ? app->engine.get() : follower_read.engine.get(); }
  QueryBus* queries() { return app ? app->queries.get() : follower_read.queries.get(); }
  EventStore* store() {
    return app ? static_cast<EventStore*>(app->store.get()) : follower.get();
  }
};

// OK once every projection serves (live, or rebuilding beside a serving
// model) and, on a query node, the feed is connected.
Status Readiness(Node& node) {
  if (node.follower && !node.follower->connected()) {
    return Status::Overloaded("not following " + node.follower->url() + " yet: " +
                              node.follower->last_error().ToString());
  }
  if (node.engine() == nullptr) return Status::OK();
  for (const ProjectionStatus& status : node.engine()->Statuses()) {
    if (status.state == ProjectionState::kCatchingUp) {
      return Status::NotYet(status.name, status.checkpoint.value);
    }
    if (status.state == ProjectionState::kFailed) {
      return Status::FailedPrecondition("projection " + status.name + " failed: " + status.error);
    }
  }
  return Status::OK();
}

void AddProjectionMetrics(Node& node) {
  ProjectionEngine* engine = node.engine();
  if (engine == nullptr) return;
  for (const ProjectionStatus& status : engine->Statuses()) {
    const server::Labels labels{{"projection", status.name}};
    node.registry.CallbackGauge(
        "duet_projection_lag_events", "events the projection has not applied yet", labels,
        [engine, name = status.name] {
          Result<ProjectionStatus> now = engine->StatusOf(name);
          return now.ok() ? static_cast<double>(now->lag_events) : -1.0;
        });
    node.registry.CallbackGauge(
        "duet_projection_lag_seconds", "age of the oldest event not applied yet", labels,
        [engine, name = status.name] {
          Result<ProjectionStatus> now = engine->StatusOf(name);
          return now.ok() ? now->lag_seconds : -1.0;
        });
  }
}

Status OpenBackends(const ServerConfig& config, Node& node) {
  if (config.role == ServerRole::kQuery) {
    DUET_ASSIGN_OR_RETURN(node.follower, server::FollowerStore::Open(config.follow));
    DUET_ASSIGN_OR_RETURN(node.follower_read,
                          ExampleReadSide::Open(node.follower.get(), config.data / "readstores"));
    return Status::OK();
  }
  StoreOptions options;
  options.durability = config.durability;
  options.observer = &node.store_metrics;
  const auto read_side =
      config.role == ServerRole::kAll ? ExampleApp::ReadSide::kRun : ExampleApp::ReadSide::kNone;
  DUET_ASSIGN_OR_RETURN(node.app, ExampleApp::Open(config.data, options, read_side));
  return Status::OK();
}

server::ApiBackends Backends(const ServerConfig& config, Node& node) {
  server::ApiBackends backends;
  backends.role = std::string(server::ServerRoleName(config.role));
  backends.store = node.store();
  backends.commands = node.app ? node.app->bus.get() : nullptr;
  if (config.role == ServerRole::kQuery) backends.command_node_url = config.follow;
  backends.projections = node.engine();
  backends.queries = node.queries();
  backends.health = [&node]() -> Status {
    return node.app ? node.app->store->Health() : Status::OK();
  };
  backends.readiness = [&node] { return Readiness(node); };
  backends.metrics = [&node] { return node.registry.RenderPrometheus(); };
  backends.max_query_wait = config.limits.max_query_wait;
  backends.default_query_wait = std::min(config.limits.max_query_wait, std::chrono::milliseconds(5000));
  return backends;
}

server::HttpServerOptions HttpOptions(const ServerConfig& config) {
  server::HttpServerOptions options;
  options.host = config.host;
  options.port = config.port;
  options.io_threads = static_cast<int>(config.io_threads);
  options.worker_threads = static_cast<int>(config.worker_threads);
  options.limits.max_body_bytes = config.limits.max_body_bytes;
  options.limits.max_header_bytes = config.limits.max_header_bytes;
  options.limits.request_timeout = config.limits.request_timeout;
  options.limits.idle_timeout = config.limits.idle_timeout;
  options.limits.max_connections = config.limits.max_connections;
  return options;
}

void PrintBanner(const ServerConfig& config, uint16_t port, std::ostream& out) {
  const std::string url = "http://" + config.host + ":" + std::to_string(port);
  out << "Duet is serving (role " << server::ServerRoleName(config.role) << ") on " << url
      << "  data: " << config.data.string() << "\n";
  if (config.role == ServerRole::kQuery) out << "following " << config.follow << "\n";
  out << "Try:\n";
  if (config.role != ServerRole::kQuery) {
    out << "  curl -s -X POST " << url
        << "/commands/OpenAccount -H 'Content-Type: application/json' -d "
           "'{\"account\":\"a1\",\"owner\":\"Ada\"}'\n"
        << "  curl -s -X POST " << url
        << "/commands/Deposit -H 'Content-Type: application/json' -d "
           "'{\"account\":\"a1\",\"currency\":\"EUR\",\"amount\":500}'\n";
  }
  if (config.role != ServerRole::kCommand) {
    out << "  curl -s '" << url << "/queries/balance?account=a1&min_position=1'\n"
        << "  curl -s " << url << "/projections\n";
  }
  out << "  curl -s '" << url << "/events?from=1&limit=10'\n"
      << "  curl -s " << url << "/metrics | head\n"
      << "  API: " << url << "/openapi.json (docs/http-api.md); stop with Ctrl-C\n";
  out.flush();
}

// Blocks until SIGINT or SIGTERM. The signals are blocked in every thread
// (set before any thread starts), so sigwait alone receives them.
int WaitForStopSignal(const sigset_t& signals) {
  int received = 0;
  sigwait(&signals, &received);
  return received;
}

int RunServe(const Flags& flags, std::ostream& out, std::ostream& err) {
  Result<ServerConfig> config = ServeConfig(flags);
  if (!config.ok()) return ReportError(config.status(), err);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto node = std::make_unique<Node>();
  if (Status s = OpenBackends(*config, *node); !s.ok()) return ReportError(s, err);
  Result<server::TokenAuthority> authority = server::TokenAuthority::Create(config->tokens);
  if (!authority.ok()) return ReportError(authority.status(), err);
  node->authority = std::move(*authority);
  server::AddApiRoutes(Backends(*config, *node), &node->router);
  AddProjectionMetrics(*node);
  Result<std::unique_ptr<server::HttpServer>> http = server::HttpServer::Start(
      &node->router, &node->authority, &node->http_metrics, HttpOptions(*config));
  if (!http.ok()) return ReportError(http.status(), err);
  node->http = std::move(*http);
  node->registry.CallbackGauge("duet_http_open_connections", "open HTTP connections", {},
                               [server = node->http.get()] {
                                 return static_cast<double>(server->open_connections());
                               });
  PrintBanner(*config, node->http->port(), out);

  const int signal = WaitForStopSignal(signals);
  err << "duet serve: " << (signal == SIGINT ? "SIGINT" : "SIGTERM")
      << ": finishing requests in flight, then stopping\n";
  node->http->Stop(config->limits.shutdown_grace);
  node->registry.RemoveCallback("duet_http_open_connections", {});
  if (node->follower) node->follower->Close();
  node.reset();  // closes the store: the log flushes and syncs
  err << "duet serve: stopped\n";
  return 0;
}

}  // namespace

void AddServeCommands(std::vector<Command>* commands) {
  std::vector<FlagSpec> specs{{"config", "a TOML file of settings (env DUET_CONFIG)"}};
  for (const server::SettingInfo& setting : server::ServerSettings()) {
    specs.push_back({std::string(setting.flag.substr(2)),
                     std::string(setting.help) + " (env " + std::string(setting.env) +
                         ", file " + std::string(setting.toml_key) + "; default " +
                         setting.default_value + ")"});
  }
  commands->push_back(
      {"serve", "duet serve [--role all|command|query] [--port N] [--data DIR] [--config FILE] ...",
       "Runs the HTTP API (docs/http-api.md) with the example domains. Role all: commands and\n"
       "queries on one data folder; command: commands, appends and the event feed; query:\n"
       "queries from its own read stores, following a command node's feed (--follow URL).\n"
       "Settings come from flags, then DUET_* variables, then the --config file. API tokens\n"
       "only from the file. SIGINT/SIGTERM: stop accepting, finish what is in flight, exit 0.",
       specs, RunServe});
}

}  // namespace duet::cli
