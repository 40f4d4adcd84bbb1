// duet::Server (duet/server.h): an App behind the HTTP API, with its metrics
// and tokens. What `duet serve` runs, and what a user's own program runs.
#include "duet/server.h"

#include <set>

#include "follow/follower_store.h"
#include "server/api_routes.h"
#include "server/console_routes.h"
#include "server/http_metrics.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/node_metrics.h"
#include "server/process_metrics.h"
#include "server/server_config.h"
#include "server/store_metrics.h"

namespace duet {
namespace {

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
  options.tls_cert_file = config.tls_cert;
  options.tls_key_file = config.tls_key;
  options.cors_origins = config.cors_origins;
  return options;
}

// Every part a node runs. Members are destroyed in reverse order: the HTTP
// server first, then the routes and what they refer to, the App (and with it
// the store), the metrics the store reports to last.
class ServingNode final : public Server {
 public:
  explicit ServingNode(ServerConfig config) : config_(std::move(config)) {}
  ~ServingNode() override { Stop(std::chrono::milliseconds(0)); }

  Status Open(std::vector<Domain> domains) {
    AppOptions options;
    options.data = config_.data;
    options.role = config_.role;
    options.follow = config_.follow;
    options.follow_ca = config_.follow_ca;
    options.store_url = config_.store;
    options.store.durability = config_.durability;
    // A query node never appends: no write-path series (zeros would read as
    // an idle store, not as "not applicable").
    if (config_.role != AppRole::kQuery) {
      store_metrics_ = std::make_unique<server::StoreMetrics>(&registry_);
      options.store.observer = store_metrics_.get();
    }
    DUET_ASSIGN_OR_RETURN(app_, App::Open(std::move(domains), std::move(options)));
    DUET_ASSIGN_OR_RETURN(authority_, server::TokenAuthority::Create(config_.tokens));
    AddRoutes();
    AddNodeMetrics();
    DUET_ASSIGN_OR_RETURN(http_,
                          server::HttpServer::Start(&router_, &authority_, http_metrics_.get(),
                                                    HttpOptions(config_)));
    registry_.CallbackGauge(
        "duet_http_open_connections", "open HTTP connections", {},
        [http = http_.get()] { return static_cast<double>(http->open_connections()); });
    return Status::OK();
  }

  void Stop(std::chrono::milliseconds grace) override {
    if (http_ == nullptr || stopped_) return;
    stopped_ = true;
    http_->Stop(grace);
    registry_.RemoveCallback("duet_http_open_connections", {});
    app_->StopFollowing();
  }

  App& app() override { return *app_; }
  const ServerConfig& config() const override { return config_; }
  uint16_t port() const override { return http_->port(); }
  std::string url() const override {
    return (http_->tls() ? "https://" : "http://") + config_.host + ":" + std::to_string(port());
  }
  Status ReloadTls() override { return http_->ReloadTls(); }

 private:
  // The API routes, command and query routes timed per type and name
  // (RouteMetrics), and the HTTP metrics told which routes stream.
  void AddRoutes() {
    route_metrics_ =
        std::make_unique<server::RouteMetrics>(&registry_, app_->commands(), app_->queries());
    server::Router staged;
    server::AddApiRoutes(Backends(), &staged);
    server::AddConsoleRoutes(&staged);
    std::set<std::string, std::less<>> stream_routes;
    for (const server::Route& route : staged.routes()) {
      if (route.execution == server::Execution::kStream) stream_routes.insert(route.pattern);
      router_.Add(route_metrics_->Instrument(route));
    }
    http_metrics_ = std::make_unique<server::HttpMetrics>(&registry_, std::move(stream_routes));
  }

  void AddNodeMetrics() {
    server::AddProcessMetrics(&registry_);
    server::AddBuildInfo(&registry_);
    server::AddLogHeadMetric(&registry_, app_->store());
    server::AddProjectionMetrics(&registry_, app_->projections());
    server::AddFollowerMetrics(&registry_, dynamic_cast<follow::FollowerStore*>(app_->store()));
    if (const QueryBus* queries = app_->queries(); queries != nullptr) {
      registry_.CallbackGauge("duet_query_waiting",
                              "queries waiting for their read model to reach min_position", {},
                              [queries] { return static_cast<double>(queries->waiting()); });
    }
  }

  server::ApiBackends Backends() {
    server::ApiBackends backends;
    backends.role = std::string(AppRoleName(config_.role));
    backends.store = app_->store();
    backends.commands = app_->commands();
    if (config_.role == AppRole::kQuery) {
      backends.command_node_url = config_.store.empty()
                                      ? config_.follow
                                      : "a command node on the same PostgreSQL store (" +
                                            RedactStoreUrl(config_.store) + ")";
    }
    backends.projections = app_->projections();
    backends.queries = app_->queries();
    backends.health = [app = app_.get()] { return app->Health(); };
    backends.readiness = [app = app_.get()] { return app->Readiness(); };
    backends.metrics = [registry = &registry_] { return registry->RenderPrometheus(); };
    backends.max_query_wait = config_.limits.max_query_wait;
    backends.default_query_wait =
        std::min(config_.limits.max_query_wait, std::chrono::milliseconds(5000));
    return backends;
  }

  const ServerConfig config_;
  server::Registry registry_;
  std::unique_ptr<server::StoreMetrics> store_metrics_;  // null on a query node
  std::unique_ptr<server::HttpMetrics> http_metrics_;
  std::unique_ptr<App> app_;
  server::TokenAuthority authority_;
  std::unique_ptr<server::RouteMetrics> route_metrics_;  // the routes refer to it
  server::Router router_;
  std::unique_ptr<server::HttpServer> http_;
  bool stopped_ = false;
};

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(std::vector<Domain> domains,
                                              const ServerConfig& config) {
  DUET_RETURN_IF_ERROR(ValidateServerConfig(config));
  auto node = std::make_unique<ServingNode>(config);
  DUET_RETURN_IF_ERROR(node->Open(std::move(domains)));
  return std::unique_ptr<Server>(std::move(node));
}

}  // namespace duet
