// duet bench replay | queries: read-side benchmarks over a domain's bench
// history (DomainBench). Both fill the data folder with its events first (only
// the ones missing, durability none, not timed), then print one JSON line.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <ostream>
#include <random>

#include "cli/bench_util.h"
#include "cli/command.h"
#include "duet/embedded_store.h"
#include "duet/projection_engine.h"

namespace duet::cli {
namespace {

using Clock = std::chrono::steady_clock;

// The first domain with a bench history (or the one --domain names).
Result<const Domain*> BenchDomain(const Flags& flags, const Domains& domains) {
  for (const Domain& domain : domains) {
    if (domain.bench.history && (!flags.Has("domain") || *flags.Get("domain") == domain.name)) {
      return &domain;
    }
  }
  return Status::NotFound("domain", "no domain declares a bench history");
}

struct ReplayFlags {
  std::string dir;
  uint64_t events = 0;
  uint64_t accounts = 0;
};

Result<ReplayFlags> ParseReplayFlags(const Flags& flags, uint64_t default_events) {
  ReplayFlags f;
  DUET_ASSIGN_OR_RETURN(f.dir, flags.Required("data"));
  DUET_ASSIGN_OR_RETURN(f.events, flags.Uint("events", default_events));
  DUET_ASSIGN_OR_RETURN(f.accounts, flags.Uint("accounts", 10000));
  if (f.accounts == 0) return Status::InvalidArgument("--accounts", "must be >= 1");
  return f;
}

Result<std::unique_ptr<EmbeddedStore>> OpenFilled(const ReplayFlags& f, const Domain& domain) {
  StoreOptions options;
  options.durability.mode = Durability::Mode::kNone;
  DUET_ASSIGN_OR_RETURN(auto store, EmbeddedStore::Open(f.dir, options));
  DUET_RETURN_IF_ERROR(domain.bench.history(*store, f.events, f.accounts));
  return store;
}

// The domain's projection named `name`, or else its first one that writes a
// store of `kind`.
Result<std::unique_ptr<Projection>> BenchProjection(const Domain& domain, ReadStoreKind kind,
                                                    const std::optional<std::string>& name) {
  if (domain.projections) {
    for (std::unique_ptr<Projection>& p : domain.projections()) {
      if (name ? p->info().name == *name : p->info().store == kind) return std::move(p);
    }
  }
  return Status::NotFound(
      "projection",
      name ? *name
           : domain.name + " has no " + std::string(ReadStoreKindName(kind)) + " projection");
}

// Seconds until `name` has applied `head` (polling the engine's WaitFor).
Result<double> TimeCatchUp(ProjectionEngine& engine, const std::string& name, GlobalPosition head,
                           Clock::time_point start) {
  for (;;) {
    DUET_ASSIGN_OR_RETURN(GlobalPosition at, engine.WaitFor(name, head, std::chrono::seconds(1)));
    if (at >= head) break;
    DUET_ASSIGN_OR_RETURN(ProjectionStatus status, engine.StatusOf(name));
    if (status.state == ProjectionState::kFailed) return Status::FailedPrecondition(status.error);
  }
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int RunBenchReplay(const Flags& flags, const Domains& domains, std::ostream& out,
                   std::ostream& err) {
  auto f = ParseReplayFlags(flags, 1'000'000);
  if (!f.ok()) return ReportError(f.status(), err);
  auto domain = BenchDomain(flags, domains);
  if (!domain.ok()) return ReportError(domain.status(), err);
  const std::string store_name = flags.Get("store").value_or("memory");
  const bool in_memory = store_name == "memory";
  ReadStoreKind kind = ReadStoreKind::kDocument;
  if (store_name == "search")
    kind = ReadStoreKind::kSearch;
  else if (store_name == "analytics")
    kind = ReadStoreKind::kAnalytics;
  else if (store_name != "memory" && store_name != "document") {
    return ReportError(Status::InvalidArgument("--store", "memory, document, search or analytics"),
                       err);
  }
  auto store = OpenFilled(*f, **domain);
  if (!store.ok()) return ReportError(store.status(), err);
  auto projection = BenchProjection(**domain, kind, flags.Get("projection"));
  if (!projection.ok()) return ReportError(projection.status(), err);
  const std::string name = (*projection)->info().name;
  const std::filesystem::path readstores =
      std::filesystem::path(f->dir) / ("bench-readstores-" + store_name);
  std::filesystem::remove_all(readstores);
  ProjectionEngineOptions options;
  options.in_memory = in_memory;
  if (auto batch = flags.Uint("batch", 0); batch.ok() && *batch > 0) options.batch_size = *batch;
  auto engine = ProjectionEngine::Open(store->get(), readstores, options);
  if (!engine.ok()) return ReportError(engine.status(), err);
  const GlobalPosition head = (*store)->HeadPosition();
  const auto start = Clock::now();
  if (Status s = (*engine)->Add(std::move(*projection)); !s.ok()) return ReportError(s, err);
  auto seconds = TimeCatchUp(**engine, name, head, start);
  if (!seconds.ok()) return ReportError(seconds.status(), err);
  boost::json::object o{{"bench", "replay"},          {"store", store_name},
                        {"projection", name},         {"events", head.value},
                        {"seconds", *seconds},        {"events_per_s", head.value / *seconds},
                        {"batch", options.batch_size}};
  if (flags.Has("rebuild")) {
    const auto rebuild_start = Clock::now();
    auto status = RebuildAndWait(**engine, name, std::chrono::milliseconds(5));
    if (!status.ok()) return ReportError(status.status(), err);
    if (status->state == ProjectionState::kFailed) {  // no figures for a failed rebuild
      return ReportError(Status::FailedPrecondition(status->error), err);
    }
    const double rebuild = std::chrono::duration<double>(Clock::now() - rebuild_start).count();
    o["rebuild_seconds"] = rebuild;
    o["rebuild_events_per_s"] = head.value / rebuild;
  }
  out << boost::json::serialize(o) << "\n";
  engine->reset();
  std::filesystem::remove_all(readstores);
  return 0;
}

// p50/p99 of `iterations` calls of `call` (false = failed, counted).
boost::json::object TimeCalls(uint64_t iterations, const std::function<bool(uint64_t)>& call) {
  std::vector<double> samples;
  samples.reserve(iterations);
  uint64_t failures = 0;
  for (uint64_t i = 0; i < iterations; ++i) {
    const auto t0 = Clock::now();
    if (!call(i)) ++failures;
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  const LatencySummary s = Summarize({samples});
  return {{"p50_us", s.p50_us}, {"p99_us", s.p99_us}, {"calls", s.count}, {"failures", failures}};
}

int RunBenchQueries(const Flags& flags, const Domains& domains, std::ostream& out,
                    std::ostream& err) {
  auto f = ParseReplayFlags(flags, 200'000);
  auto iterations = flags.Uint("iterations", 20000);
  auto domain = BenchDomain(flags, domains);
  for (const Status& s : {f.status(), iterations.status(), domain.status()}) {
    if (!s.ok()) return ReportError(s, err);
  }
  {
    auto filled = OpenFilled(*f, **domain);
    if (!filled.ok()) return ReportError(filled.status(), err);
  }
  AppOptions options;
  options.data = f->dir;
  auto app = App::Open(domains, options);
  if (!app.ok()) return ReportError(app.status(), err);
  if (Status s = (*app)->WaitForProjections(std::chrono::minutes(30)); !s.ok()) {
    return ReportError(s, err);
  }
  QueryBus& queries = *(*app)->queries();
  boost::json::object o{{"bench", "queries"},
                        {"domain", (*domain)->name},
                        {"events", (*app)->store()->HeadPosition().value}};
  for (const DomainBench::TimedQuery& timed : (*domain)->bench.queries) {
    const uint64_t calls = std::max<uint64_t>(*iterations / timed.iterations_divisor, 1);
    o[timed.label] = TimeCalls(calls, [&](uint64_t i) {
      if (timed.call) return timed.call(**app, i, f->accounts);
      const SampleQuery sample = timed.make(i, f->accounts);
      Result<boost::json::object> params = ParseJsonObject(sample.params_json, "params");
      if (!params.ok()) return false;
      QueryRequest request{sample.name, std::move(*params), kNoPosition, {}};
      return queries.Execute(request).ok();
    });
  }
  out << boost::json::serialize(o) << "\n";
  return 0;
}

}  // namespace

void AddReplayBenchCommands(const Domains& domains, std::vector<Command>* commands) {
  commands->push_back(
      {"bench replay",
       "duet bench replay --data DIR [--events N] [--store memory|document|search|analytics] "
       "[--accounts N] [--batch N] [--rebuild]",
       "Replay throughput: fill DIR with N events of a domain's bench history (only the\n"
       "missing ones, not timed), then time one of its projections catching up from nothing\n"
       "into a fresh read store (--projection, or the first of the --store kind).\n"
       "--rebuild also times a side-by-side rebuild. Prints one JSON line.",
       {{"data", "data folder (required; reused across runs)"},
        {"events", "events in the history (default 1000000)"},
        {"store", "memory (default), document, search or analytics"},
        {"accounts", "accounts the events spread over (default 10000)"},
        {"batch", "events per read-store transaction (default: the engine's)"},
        {"rebuild", "also time Rebuild of the same projection", false},
        {"projection", "the projection to replay (default: the domain's first of --store's kind)"},
        {"domain", "the domain whose history is used (default: the first that has one)"}},
       WithDomains(domains, RunBenchReplay)});
  commands->push_back(
      {"bench queries",
       "duet bench queries --data DIR [--events N] [--accounts N] [--iterations N]",
       "In-process query latency (p50/p99) of a domain's bench queries once every projection\n"
       "caught up on its bench history. Prints one JSON line.",
       {{"data", "data folder (required; reused across runs)"},
        {"events", "events in the history (default 200000)"},
        {"accounts", "aggregates (default 10000)"},
        {"iterations", "calls per query (default 20000)"},
        {"domain", "the domain whose history and queries are used (default: the first)"}},
       WithDomains(domains, RunBenchQueries)});
}

}  // namespace duet::cli
