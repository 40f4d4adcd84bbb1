// duet bench replay | queries: read-side benchmarks over a domain's bench
// history (DomainBench). Both fill the data folder with its events first (only
// the ones missing, durability none, not timed). replay prints one JSON line;
// queries serves the folder over HTTP in process and prints one JSON line per
// query, then a table.
#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <ostream>
#include <random>

#include "cli/bench_util.h"
#include "cli/command.h"
#include "duet/embedded_store.h"
#include "duet/projection_engine.h"
#include "duet/server.h"
#include "follow/http_client.h"
#include "util/json_text.h"

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
  out << JsonText(o) << "\n";
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

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto b = static_cast<unsigned char>(c);
    if (std::isalnum(b) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out += {'%', kHex[b >> 4], kHex[b & 15]};
    }
  }
  return out;
}

// "/queries/<name>?k=v&..." for a sample query (string or number values).
Result<std::string> QueryTarget(const SampleQuery& sample) {
  DUET_ASSIGN_OR_RETURN(boost::json::object params, ParseJsonObject(sample.params_json, "params"));
  std::string target = "/queries/" + PercentEncode(sample.name);
  char separator = '?';
  for (const auto& [key, value] : params) {
    const std::string text = value.is_string() ? std::string(value.get_string()) : JsonText(value);
    target += separator + PercentEncode(key) + "=" + PercentEncode(text);
    separator = '&';
  }
  return target;
}

struct QueriesFlags {
  ReplayFlags fill;
  uint64_t iterations = 0;
  bool in_process = false;
};

// --orders N: a history of N orders (events as many as they take).
Result<QueriesFlags> ParseQueriesFlags(const Flags& flags) {
  QueriesFlags q;
  DUET_ASSIGN_OR_RETURN(q.fill, ParseReplayFlags(flags, 200'000));
  DUET_ASSIGN_OR_RETURN(q.iterations, flags.Uint("iterations", 2000));
  if (q.iterations == 0) return Status::InvalidArgument("--iterations", "must be >= 1");
  if (flags.Has("orders")) {
    DUET_ASSIGN_OR_RETURN(q.fill.accounts, flags.Uint("orders", 0));
    if (q.fill.accounts == 0) return Status::InvalidArgument("--orders", "must be >= 1");
    if (!flags.Has("events")) q.fill.events = UINT64_MAX;
  }
  q.in_process = flags.Has("in-process");
  return q;
}

// One timed query over HTTP (keep-alive, one connection) or, for a bench
// call of its own or with --in-process, on the App.
Result<boost::json::object> TimeQuery(const DomainBench::TimedQuery& timed, const QueriesFlags& f,
                                      App& app, follow::HttpClient* client, std::ostream& err) {
  const uint64_t calls = std::max<uint64_t>(f.iterations / timed.iterations_divisor, 1);
  const uint64_t keys = f.fill.accounts;
  if (timed.call || client == nullptr) {
    boost::json::object o = TimeCalls(calls, [&](uint64_t i) {
      if (timed.call) return timed.call(app, i, keys);
      const SampleQuery sample = timed.make(i, keys);
      Result<boost::json::object> params = ParseJsonObject(sample.params_json, "params");
      if (!params.ok()) return false;
      QueryRequest request{sample.name, std::move(*params), kNoPosition, {}};
      return app.queries()->Execute(request).ok();
    });
    o["via"] = "in-process";
    return o;
  }
  std::vector<std::string> targets;
  for (uint64_t i = 0; i < calls; ++i) {
    DUET_ASSIGN_OR_RETURN(std::string target, QueryTarget(timed.make(i, keys)));
    targets.push_back(std::move(target));
  }
  bool reported = false;
  boost::json::object o = TimeCalls(calls, [&](uint64_t i) {
    auto response = client->Request("GET", targets[i]);
    const bool ok = response.ok() && response->status == 200;
    if (!ok && !reported) {
      reported = true;
      err << timed.label << ": " << targets[i] << ": "
          << (response.ok() ? response->body : response.status().ToString()) << "\n";
    }
    return ok;
  });
  o["via"] = "http";
  return o;
}

void PrintTable(const std::vector<std::pair<std::string, boost::json::object>>& rows,
                std::ostream& out) {
  char line[160];
  std::snprintf(line, sizeof line, "%-26s %-10s %8s %10s %10s %9s\n", "query", "via", "calls",
                "p50 ms", "p99 ms", "failures");
  out << line;
  for (const auto& [label, o] : rows) {
    std::snprintf(line, sizeof line, "%-26s %-10s %8lld %10.3f %10.3f %9lld\n", label.c_str(),
                  std::string(o.at("via").as_string()).c_str(),
                  static_cast<long long>(o.at("calls").to_number<int64_t>()),
                  o.at("p50_us").to_number<double>() / 1000,
                  o.at("p99_us").to_number<double>() / 1000,
                  static_cast<long long>(o.at("failures").to_number<int64_t>()));
    out << line;
  }
}

int RunBenchQueries(const Flags& flags, const Domains& domains, std::ostream& out,
                    std::ostream& err) {
  auto f = ParseQueriesFlags(flags);
  auto domain = BenchDomain(flags, domains);
  for (const Status& s : {f.status(), domain.status()}) {
    if (!s.ok()) return ReportError(s, err);
  }
  const auto fill_start = Clock::now();
  {
    auto filled = OpenFilled(f->fill, **domain);
    if (!filled.ok()) return ReportError(filled.status(), err);
  }
  const double fill_seconds = std::chrono::duration<double>(Clock::now() - fill_start).count();
  ServerConfig config;
  config.port = 0;
  config.data = f->fill.dir;
  config.durability.mode = Durability::Mode::kNone;  // nothing is written while measuring
  auto server = Server::Start(domains, config);
  if (!server.ok()) return ReportError(server.status(), err);
  App& app = (*server)->app();
  const auto catch_up_start = Clock::now();
  if (Status s = app.WaitForProjections(std::chrono::hours(2)); !s.ok()) return ReportError(s, err);
  const double catch_up = std::chrono::duration<double>(Clock::now() - catch_up_start).count();
  std::unique_ptr<follow::HttpClient> client;
  if (!f->in_process) {
    auto url = follow::ParseHttpUrl((*server)->url());
    if (!url.ok()) return ReportError(url.status(), err);
    auto connected = follow::HttpClient::Connect(*url, std::chrono::seconds(30));
    if (!connected.ok()) return ReportError(connected.status(), err);
    client = std::move(*connected);
  }
  const uint64_t events = app.store()->HeadPosition().value;
  out << JsonText(boost::json::object{{"bench", "queries-fill"},
                                      {"domain", (*domain)->name},
                                      {"events", events},
                                      {"keys", f->fill.accounts},
                                      {"fill_seconds", fill_seconds},
                                      {"catch_up_seconds", catch_up}})
      << "\n";
  std::vector<std::pair<std::string, boost::json::object>> rows;
  for (const DomainBench::TimedQuery& timed : (*domain)->bench.queries) {
    auto o = TimeQuery(timed, *f, app, client.get(), err);
    if (!o.ok()) return ReportError(o.status(), err);
    boost::json::object line{{"bench", "queries"},
                             {"domain", (*domain)->name},
                             {"events", events},
                             {"keys", f->fill.accounts},
                             {"query", timed.label}};
    for (auto& [key, value] : *o) line[key] = value;
    out << JsonText(line) << "\n";
    rows.emplace_back(timed.label, std::move(*o));
  }
  PrintTable(rows, out);
  client.reset();
  (*server)->Stop(std::chrono::seconds(5));
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
       "duet bench queries --data DIR [--domain NAME] [--events N] [--accounts N | --orders N] "
       "[--iterations N] [--in-process]",
       "Query latency (p50/p99) of a domain's bench queries at scale: fill DIR with the\n"
       "domain's bench history (only what is missing, durability none, not timed), start the\n"
       "HTTP server in this process, let every projection catch up, then time each query over\n"
       "one keep-alive HTTP connection. Prints JSON lines, then a table.",
       {{"data", "data folder (required; reused across runs)"},
        {"events", "events in the history (default 200000; with --orders: all its orders)"},
        {"accounts", "aggregates the history spreads over (default 10000)"},
        {"orders", "aggregates, for the orders domain: the history holds exactly N orders"},
        {"iterations", "calls per query (default 2000)"},
        {"in-process", "call the query bus directly instead of over HTTP", false},
        {"domain", "the domain whose history and queries are used (default: the first)"}},
       WithDomains(domains, RunBenchQueries)});
}

}  // namespace duet::cli
