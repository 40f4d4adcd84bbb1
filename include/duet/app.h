// A domain is one value; an App runs a list of them on a store in a role.
//
// A Domain describes everything a program contributes: its command types with
// their contracts and handlers, its projections (each naming its read-store
// kind), its queries, and optional samples that the CLI's `demo` and `bench`
// use. The example domains export theirs (examples/ledger, examples/orders);
// a team writes its own the same way and gets the same server, CLI and query
// nodes (duet/server.h, duet/main.h).
//
// An App opens the store for its role:
//   kAll      the event store, command bus and read side
//   kCommand  the event store, command bus only
//   kQuery    the read side only: over a command node's event feed
//             (`follow`), or straight from a PostgreSQL store (`store_url`)
// The event store is the embedded store in `data` unless `store_url` names a
// PostgreSQL database (duet/postgres_store.h): then any number of kCommand
// (or kAll) nodes share it, each deciding on the positions PostgreSQL hands
// out in commit order, and kQuery nodes read it directly, woken by
// LISTEN/NOTIFY (docs/scale-out.md). Either way `data` keeps what is the
// node's own: the read side's stores in data/readstores, aggregate snapshots
// in data/snapshots (docs/format.md).
//
// Lifetime: everything an App hands out (store, bus, engine, queries) lives
// as long as the App. Open and destruction are single-threaded; the parts
// are as thread-safe as their own headers say.
#ifndef DUET_APP_H_
#define DUET_APP_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "duet/command_bus.h"
#include "duet/embedded_store.h"
#include "duet/event_store.h"
#include "duet/options.h"
#include "duet/postgres_store.h"
#include "duet/projection.h"
#include "duet/projection_engine.h"
#include "duet/query_bus.h"
#include "duet/repository.h"
#include "duet/result.h"
#include "duet/status.h"
#include "duet/upcast.h"

namespace duet {

class App;

// One command as text, as the CLI and the HTTP API receive it.
struct SampleCommand {
  std::string type{};        // e.g. "Deposit"
  std::string json{};        // the body
  std::string command_id{};  // empty: not idempotent
  std::string note{};        // for `duet demo`: what the reader should notice
};

// One query as text: its name and its parameters as a JSON object.
struct SampleQuery {
  std::string name{};
  std::string params_json{"{}"};
};

// What `duet bench` runs on a domain. Every member is optional; a bench
// that needs one the domains lack says so.
struct DomainBench {
  // `duet bench commands`: the commands that prepare `keys` aggregates
  // (run once, not timed; refusals such as "already exists" are fine) and
  // the timed command on aggregate `key` (< keys).
  std::function<std::vector<SampleCommand>(uint64_t keys)> setup{};
  std::function<SampleCommand(uint64_t key)> command{};
  // `duet bench replay` / `bench queries`: appends straight to `store` until
  // it holds at least `events` events over `keys` aggregates (only the
  // missing ones: a folder is reused across runs).
  std::function<Status(EventStore& store, uint64_t events, uint64_t keys)> history{};
  // `duet bench queries`: named query calls; call i of a name gets i and
  // `keys` to pick its parameters.
  struct TimedQuery {
    std::string label{};
    std::function<SampleQuery(uint64_t i, uint64_t keys)> make{};
    uint64_t iterations_divisor = 1;  // a slow query runs iterations / this many calls
    // Instead of `make`: a call of its own on the App, e.g. a read-store get
    // without the query bus, to show what the bus costs. false: a failure.
    std::function<bool(App& app, uint64_t i, uint64_t keys)> call{};
  };
  std::vector<TimedQuery> queries{};
};

struct Domain {
  std::string name{};  // e.g. "ledger"; [a-z0-9-]
  // Registers the domain's command types (with their contracts). May be empty.
  std::function<Status(CommandBus&)> register_commands{};
  // The domain's projections, new instances on every call. May be empty.
  std::function<std::vector<std::unique_ptr<Projection>>()> projections{};
  // Registers the domain's queries on the read side. May be empty.
  std::function<Status(QueryBus&)> register_queries{};
  // `duet demo`: a scripted tour (refusals included, to show the rules),
  // then queries answered once the read models caught up.
  std::vector<SampleCommand> tour{};
  std::vector<SampleQuery> tour_queries{};
  DomainBench bench{};
  // How the domain's events stored in older shapes read today
  // (duet/upcast.h). The App joins every domain's into one chain, used for
  // loading aggregates and by every projection. May be empty.
  std::vector<Upcaster> upcasters{};
};

enum class AppRole : uint8_t {
  kAll,      // commands and queries on one data folder
  kCommand,  // commands, appends and the event feed
  kQuery,    // queries from its own read stores, following a command node
};

// "all", "command", "query"; and back (InvalidArgument("role") otherwise).
std::string_view AppRoleName(AppRole role);
Result<AppRole> ParseAppRole(std::string_view name);

struct AppOptions {
  std::filesystem::path data = "data";
  AppRole role = AppRole::kAll;
  // Role kQuery: the command node's base URL, http://host:port. Not with a
  // PostgreSQL `store_url`.
  std::string follow{};
  // With an https:// `follow`: the PEM file of the CAs trusted to sign the
  // command node's certificate; empty: the system's trust store.
  std::string follow_ca{};
  // Empty: the embedded store in `data`. postgresql://user@host:port/db: the
  // PostgreSQL store (every role; kQuery then reads it instead of following).
  std::string store_url{};
  // The embedded store's options, and the PostgreSQL store's limits and
  // observer (its durability is PostgreSQL's own). `observer`, if set, must
  // outlive the App.
  StoreOptions store{};
  // The PostgreSQL store's own options (its `store` member is replaced by
  // `store` above).
  PostgresStoreOptions postgres{};
  RepositoryOptions repository{};  // snapshot_dir defaults to data/snapshots
  BusOptions bus{};
  ProjectionEngineOptions projections{};
  // Roles kAll and kCommand: false opens the store and the command bus only,
  // for tools that never read (`duet command`, `bench commands`).
  bool read_side = true;
};

class App {
 public:
  // Opens the store for `options.role` and registers every domain.
  // Errors: InvalidArgument for bad options (a role kQuery with neither
  // `follow` nor a PostgreSQL `store_url`, `follow` with a `store_url`, a
  // `store_url` that is not postgresql://, two domains of one name,
  // upcasters both from the domains and in the options), kUpcastFailed for
  // an ill-formed chain of the domains' upcasters, the
  // store's errors (kBusy when another process holds the folder,
  // kCorruption, kUnavailable when PostgreSQL cannot be reached, ...), and
  // the domains' own registration errors (a command or query registered
  // twice).
  static Result<std::unique_ptr<App>> Open(std::vector<Domain> domains, AppOptions options);

  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  const AppOptions& options() const { return options_; }
  AppRole role() const { return options_.role; }
  const std::vector<Domain>& domains() const { return domains_; }

  // The event store: the embedded or PostgreSQL store, or on role kQuery
  // following a command node, the follower of its feed. Never null.
  EventStore* store() const { return store_.get(); }
  // Null on role kQuery.
  CommandBus* commands() const { return bus_.get(); }
  // Null on role kCommand or without the read side.
  ProjectionEngine* projections() const { return engine_.get(); }
  QueryBus* queries() const { return queries_.get(); }

  // OK while the store accepts appends; the storage failure otherwise
  // (roles kAll and kCommand; kUnavailable while PostgreSQL is unreachable).
  // Role kQuery: OK when following, the PostgreSQL store's health when
  // reading it directly.
  Status Health() const;
  // OK once the node serves: every projection live (or rebuilding beside a
  // serving model) and, on role kQuery, the feed connected. Otherwise the
  // reason: Overloaded (not following yet), NotYet (a projection catching
  // up), FailedPrecondition (a projection failed).
  Status Readiness() const;

  // Waits until every projection has applied the store's head and is no
  // longer catching up, up to `timeout`; NotYet naming the first one that
  // has not. FailedPrecondition without a read side.
  Status WaitForProjections(std::chrono::milliseconds timeout) const;

  // Stops following (role kQuery) so that a shutdown does not wait on the
  // feed; the App is still destroyed as usual afterwards.
  void StopFollowing();

 private:
  App() = default;
  Status OpenStore();
  Status OpenReadSide();

  AppOptions options_;
  std::vector<Domain> domains_;
  std::unique_ptr<EventStore> store_;
  // Role kQuery: the follower's connection state, and its Close.
  std::function<Status()> following_;
  std::function<void()> stop_following_;
  std::unique_ptr<Repository> repository_;
  std::unique_ptr<CommandBus> bus_;
  std::unique_ptr<ProjectionEngine> engine_;
  std::unique_ptr<QueryBus> queries_;
};

}  // namespace duet

#endif  // DUET_APP_H_
