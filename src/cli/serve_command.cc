// `duet serve`: the HTTP server (duet::Server) over the domains, in one of three
// roles: all (commands and queries on one data folder), command (commands,
// appends, the event feed), query (queries, following a command node).
#include <pthread.h>

#include <algorithm>
#include <boost/json.hpp>
#include <csignal>
#include <cstdlib>
#include <ostream>

#include "cli/command.h"
#include "duet/server.h"
#include "util/json_text.h"

namespace duet::cli {
namespace {

Result<ServerConfig> ServeConfig(const Flags& flags) {
  ServerConfig config;
  std::optional<std::string> file = flags.Get("config");
  if (!file && std::getenv("DUET_CONFIG") != nullptr) file = std::getenv("DUET_CONFIG");
  if (file) {
    DUET_ASSIGN_OR_RETURN(config, LoadServerConfigFile(*file));
  }
  DUET_RETURN_IF_ERROR(ApplyServerEnv(
      &config, [](const char* name) { return static_cast<const char*>(std::getenv(name)); }));
  for (const SettingInfo& setting : ServerSettings()) {
    const std::string_view flag = setting.flag.substr(2);  // without "--"
    if (std::optional<std::string> value = flags.Get(flag)) {
      DUET_RETURN_IF_ERROR(ApplyServerSetting(&config, setting.name, *value, setting.flag));
    }
  }
  DUET_RETURN_IF_ERROR(ValidateServerConfig(config));
  return config;
}

// Where to point curl: the first steps of each domain's tour and its first
// query, as curl lines.
void PrintBanner(Server& server, std::ostream& out) {
  const ServerConfig& config = server.config();
  const std::string url = server.url();
  out << "Duet is serving (role " << AppRoleName(config.role) << ") on " << url
      << "  data: " << config.data.string() << "\n";
  out << "Web console: " << url << "/ui/\n";
  if (!config.store.empty()) out << "store: " << RedactStoreUrl(config.store) << "\n";
  if (!config.follow.empty()) out << "following " << config.follow << "\n";
  out << "Try:\n";
  for (const Domain& domain : server.app().domains()) {
    if (config.role != AppRole::kQuery) {
      // The tour's first steps: enough to give the first query an answer.
      const size_t steps = std::min<size_t>(domain.tour.size(), 3);
      for (size_t i = 0; i < steps; ++i) {
        out << "  curl -s -X POST " << url << "/commands/" << domain.tour[i].type
            << " -H 'Content-Type: application/json' -d '" << domain.tour[i].json << "'\n";
      }
    }
    if (config.role != AppRole::kCommand && !domain.tour_queries.empty()) {
      const SampleQuery& q = domain.tour_queries.front();
      std::string query_string = "min_position=1";
      if (auto params = ParseJsonObject(q.params_json, "params"); params.ok()) {
        for (const auto& [key, value] : *params) {
          query_string += "&" + std::string(key) + "=" +
                          (value.is_string() ? std::string(value.get_string()) : JsonText(value));
        }
      }
      out << "  curl -s '" << url << "/queries/" << q.name << "?" << query_string << "'\n";
    }
  }
  if (config.role != AppRole::kCommand) out << "  curl -s " << url << "/projections\n";
  out << "  curl -s '" << url << "/events?from=1&limit=10'\n"
      << "  curl -s " << url << "/metrics | head\n"
      << "  API: " << url << "/openapi.json (docs/http-api.md); stop with Ctrl-C\n";
  out.flush();
}

// Blocks until SIGINT or SIGTERM; each SIGHUP meanwhile reloads the TLS
// certificate and key (a failed reload keeps the old ones and says why). The
// signals are blocked in every thread (set before any thread starts), so
// sigwait alone receives them.
int WaitForStopSignal(const sigset_t& signals, Server& server, std::ostream& err) {
  for (;;) {
    int received = 0;
    sigwait(&signals, &received);
    if (received != SIGHUP) return received;
    const Status reloaded = server.ReloadTls();
    if (reloaded.ok()) {
      err << "duet serve: SIGHUP: TLS certificate reloaded; new connections use it\n";
    } else {
      err << "duet serve: SIGHUP: TLS certificate not reloaded, the old one stays: "
          << reloaded.ToString() << "\n";
    }
    err.flush();
  }
}

int RunServe(const Flags& flags, const Domains& domains, std::ostream& out, std::ostream& err) {
  Result<ServerConfig> config = ServeConfig(flags);
  if (!config.ok()) return ReportError(config.status(), err);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  Result<std::unique_ptr<Server>> server = Server::Start(domains, *config);
  if (!server.ok()) return ReportError(server.status(), err);
  PrintBanner(**server, out);

  const int signal = WaitForStopSignal(signals, **server, err);
  err << "duet serve: " << (signal == SIGINT ? "SIGINT" : "SIGTERM")
      << ": finishing requests in flight, then stopping\n";
  (*server)->Stop(config->limits.shutdown_grace);
  server->reset();  // closes the store: the log flushes and syncs
  err << "duet serve: stopped\n";
  return 0;
}

}  // namespace

void AddServeCommands(const Domains& domains, std::vector<Command>* commands) {
  std::vector<FlagSpec> specs{{"config", "a TOML file of settings (env DUET_CONFIG)"}};
  for (const SettingInfo& setting : ServerSettings()) {
    specs.push_back({std::string(setting.flag.substr(2)),
                     std::string(setting.help) + " (env " + std::string(setting.env) + ", file " +
                         std::string(setting.toml_key) + "; default " + setting.default_value +
                         ")"});
  }
  commands->push_back(
      {"serve",
       "duet serve [--role all|command|query] [--port N] [--data DIR] [--store URL] "
       "[--follow URL] [--config FILE] ...",
       "Runs the HTTP API (docs/http-api.md) over the domains. Role all: commands and\n"
       "queries on one data folder; command: commands, appends and the event feed; query:\n"
       "queries from its own read stores, following a command node's feed (--follow URL).\n"
       "--store postgresql://user@host:port/db puts the events in PostgreSQL instead of the\n"
       "data folder: any number of command nodes share it, and a query node given the same\n"
       "--store reads it directly (no --follow). The data folder still holds each node's\n"
       "read stores, checkpoints and snapshots (docs/scale-out.md).\n"
       "Settings come from flags, then DUET_* variables, then the --config file. API tokens\n"
       "only from the file. SIGINT/SIGTERM: stop accepting, finish what is in flight, exit 0. "
       "SIGHUP: reload the TLS certificate and key.",
       specs, WithDomains(domains, RunServe)});
}

}  // namespace duet::cli
