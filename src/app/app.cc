#include "duet/app.h"

#include <set>
#include <thread>

#include "follow/follower_store.h"

namespace duet {

std::string_view AppRoleName(AppRole role) {
  switch (role) {
    case AppRole::kAll: return "all";
    case AppRole::kCommand: return "command";
    case AppRole::kQuery: return "query";
  }
  return "unknown";
}

Result<AppRole> ParseAppRole(std::string_view name) {
  for (AppRole role : {AppRole::kAll, AppRole::kCommand, AppRole::kQuery}) {
    if (AppRoleName(role) == name) return role;
  }
  return Status::InvalidArgument("role", "must be all, command or query");
}

Result<std::unique_ptr<App>> App::Open(std::vector<Domain> domains, AppOptions options) {
  std::set<std::string, std::less<>> names;
  for (const Domain& domain : domains) {
    if (!names.insert(domain.name).second) {
      return Status::InvalidArgument("domains", "two domains are named '" + domain.name + "'");
    }
  }
  if (!options.store_url.empty() && !IsPostgresUrl(options.store_url)) {
    return Status::InvalidArgument(
        "store", "must be postgresql://user@host:port/database (empty: the embedded store)");
  }
  if (!options.store_url.empty() && !options.follow.empty()) {
    return Status::InvalidArgument(
        "follow", "a node on a PostgreSQL store reads it directly: give --store or --follow");
  }
  if (options.role == AppRole::kQuery && options.follow.empty() && options.store_url.empty()) {
    return Status::InvalidArgument(
        "follow", "role query needs the command node's URL (or a postgresql:// store)");
  }
  if (options.role != AppRole::kQuery && !options.follow.empty()) {
    return Status::InvalidArgument("follow", "only role query follows a command node");
  }
  if (options.repository.snapshot_dir.empty())
    options.repository.snapshot_dir = options.data / "snapshots";
  // Snapshots live in the store's data folder, so they share its file system.
  if (options.repository.file_system == nullptr)
    options.repository.file_system = options.store.file_system;
  // One chain for every domain: a projection may read any domain's events.
  std::vector<Upcaster> upcasters;
  for (const Domain& domain : domains) {
    upcasters.insert(upcasters.end(), domain.upcasters.begin(), domain.upcasters.end());
  }
  if (!upcasters.empty()) {
    if (options.repository.upcasters != nullptr || options.projections.upcasters != nullptr) {
      return Status::InvalidArgument(
          "upcasters", "given both by the domains and in the repository or projection options");
    }
    DUET_ASSIGN_OR_RETURN(std::shared_ptr<const UpcasterChain> chain,
                          UpcasterChain::Make(std::move(upcasters)));
    options.repository.upcasters = chain;
    options.projections.upcasters = std::move(chain);
  }
  std::unique_ptr<App> app(new App());
  app->options_ = std::move(options);
  app->domains_ = std::move(domains);
  DUET_RETURN_IF_ERROR(app->OpenStore());
  if (app->options_.role == AppRole::kQuery ||
      (app->options_.role == AppRole::kAll && app->options_.read_side)) {
    DUET_RETURN_IF_ERROR(app->OpenReadSide());
  }
  return app;
}

App::~App() {
  // A closed follower answers its readers at once instead of retrying, so the
  // projection runners reading it stop promptly.
  StopFollowing();
  // The read side reads the store: stop it first, then the bus, then the store.
  queries_.reset();
  engine_.reset();
  bus_.reset();
  repository_.reset();
  store_.reset();
}

Status App::OpenStore() {
  if (options_.role == AppRole::kQuery && options_.store_url.empty()) {
    follow::FollowerOptions follower_options;
    follower_options.ca_file = options_.follow_ca;
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<follow::FollowerStore> follower,
                          follow::FollowerStore::Open(options_.follow, follower_options));
    follow::FollowerStore* raw = follower.get();
    following_ = [raw]() -> Status {
      if (raw->connected()) return Status::OK();
      return Status::Overloaded("not following " + raw->url() +
                                " yet: " + raw->last_error().ToString());
    };
    stop_following_ = [raw] { raw->Close(); };
    store_ = std::move(follower);
    return Status::OK();
  }
  if (options_.store_url.empty()) {
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<EmbeddedStore> embedded,
                          EmbeddedStore::Open(options_.data, options_.store));
    store_ = std::move(embedded);
  } else {
    PostgresStoreOptions postgres = options_.postgres;
    postgres.store = options_.store;
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<PostgresStore> shared,
                          PostgresStore::Open(options_.store_url, postgres));
    store_ = std::move(shared);
  }
  // Role kQuery on PostgreSQL: the read side reads the store; no command bus.
  if (options_.role == AppRole::kQuery) return Status::OK();
  repository_ = std::make_unique<Repository>(store_.get(), options_.repository);
  bus_ = std::make_unique<CommandBus>(repository_.get(), options_.bus);
  for (const Domain& domain : domains_) {
    if (domain.register_commands) DUET_RETURN_IF_ERROR(domain.register_commands(*bus_));
  }
  return Status::OK();
}

Status App::OpenReadSide() {
  // A follower's head is 0 until it reaches its command node.
  if (following_) options_.projections.head_known_when_added = false;
  DUET_ASSIGN_OR_RETURN(engine_, ProjectionEngine::Open(store_.get(), options_.data / "readstores",
                                                        options_.projections));
  for (const Domain& domain : domains_) {
    if (!domain.projections) continue;
    for (std::unique_ptr<Projection>& projection : domain.projections()) {
      DUET_RETURN_IF_ERROR(engine_->Add(std::move(projection)));
    }
  }
  queries_ = std::make_unique<QueryBus>(engine_.get());
  for (const Domain& domain : domains_) {
    if (domain.register_queries) DUET_RETURN_IF_ERROR(domain.register_queries(*queries_));
  }
  return Status::OK();
}

Status App::Health() const { return store_->Health(); }

Status App::Readiness() const {
  if (following_) DUET_RETURN_IF_ERROR(following_());
  if (engine_ == nullptr) return Status::OK();
  for (const ProjectionStatus& status : engine_->Statuses()) {
    if (status.state == ProjectionState::kCatchingUp) {
      return Status::NotYet(status.name, status.checkpoint.value);
    }
    if (status.state == ProjectionState::kFailed) {
      return Status::FailedPrecondition("projection " + status.name + " failed: " + status.error);
    }
  }
  return Status::OK();
}

Status App::WaitForProjections(std::chrono::milliseconds timeout) const {
  if (engine_ == nullptr) return Status::FailedPrecondition("the read side is not running");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const GlobalPosition head = store_->HeadPosition();
  for (const ProjectionStatus& status : engine_->Statuses()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    DUET_ASSIGN_OR_RETURN(
        GlobalPosition reached,
        engine_->WaitFor(status.name, head, std::max(left, std::chrono::milliseconds(0))));
    if (reached < head) return Status::NotYet(status.name, reached.value);
    // The runner turns live on its next read after the last batch: wait for
    // that too, so a caller sees every projection "live" afterwards.
    for (;;) {
      DUET_ASSIGN_OR_RETURN(ProjectionStatus now, engine_->StatusOf(status.name));
      if (now.state != ProjectionState::kCatchingUp) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status::NotYet(status.name, now.checkpoint.value);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  return Status::OK();
}

void App::StopFollowing() {
  if (stop_following_) stop_following_();
}

}  // namespace duet
