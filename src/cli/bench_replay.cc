// duet bench replay | queries: read-side benchmarks over a ledger history.
// Both fill the data folder with ledger events first (only the ones missing,
// durability none, not timed), then print one JSON line of figures.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <ostream>
#include <random>

#include "cli/bench_util.h"
#include "cli/command.h"
#include "cli/example_app.h"
#include "duet/embedded_store.h"
#include "duet/projection_engine.h"
#include "ledger/ledger.h"
#include "ledger/ledger_views.h"

namespace duet::cli {
namespace {

namespace ledger = examples::ledger;
using Clock = std::chrono::steady_clock;

constexpr const char* kCurrencies[] = {"EUR", "USD", "GBP"};

std::string AccountId(uint64_t i) { return "acct-" + std::to_string(i); }

// Appends ledger events until the store holds `events`: each account opened
// once, then deposits, withdrawals and transfer legs in batches of 100 events
// per account stream. Deterministic (seeded), so runs compare.
Status FillLedger(EventStore& store, uint64_t events, uint64_t accounts) {
  const auto& codec = ledger::AccountCodec();
  std::mt19937_64 rng(42);
  auto encode = [&](const ledger::AccountEvent& e) {
    return EventData{{}, std::string(codec.Name(e)), codec.EncodeData(e), "{}"};
  };
  uint64_t have = store.HeadPosition().value;
  for (uint64_t a = have; a < accounts && have < events; ++a, ++have) {
    std::vector<EventData> open{encode(ledger::AccountOpened{AccountId(a), "Owner " + std::to_string(a % 997)})};
    DUET_RETURN_IF_ERROR(
        store.Append("account-" + AccountId(a), ExpectedVersion::Any(), open).status());
  }
  std::vector<EventData> batch;
  while (have < events) {
    const std::string account = AccountId(rng() % accounts);
    batch.clear();
    for (int i = 0; i < 100 && have + batch.size() < events; ++i) {
      const std::string currency = kCurrencies[rng() % 3];
      const int64_t amount = static_cast<int64_t>(rng() % 10000) + 1;
      switch (rng() % 4) {
        case 0:
        case 1: batch.push_back(encode(ledger::MoneyDeposited{account, currency, amount})); break;
        case 2: batch.push_back(encode(ledger::MoneyWithdrawn{account, currency, amount / 4})); break;
        default:
          batch.push_back(encode(ledger::TransferDebited{"t-" + std::to_string(have + batch.size()),
                                                         account, AccountId(rng() % accounts),
                                                         currency, amount / 8}));
      }
    }
    DUET_RETURN_IF_ERROR(
        store.Append("account-" + account, ExpectedVersion::Any(), batch).status());
    have += batch.size();
  }
  return Status::OK();
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

Result<std::unique_ptr<EmbeddedStore>> OpenFilled(const ReplayFlags& f) {
  StoreOptions options;
  options.durability.mode = Durability::Mode::kNone;
  DUET_ASSIGN_OR_RETURN(auto store, EmbeddedStore::Open(f.dir, options));
  DUET_RETURN_IF_ERROR(FillLedger(*store, f.events, f.accounts));
  return store;
}

// The ledger projection that writes a store of `kind`.
Result<std::unique_ptr<Projection>> LedgerProjectionFor(ReadStoreKind kind) {
  const char* name = kind == ReadStoreKind::kDocument ? "ledger-accounts"
                     : kind == ReadStoreKind::kSearch ? "ledger-search"
                                                      : "ledger-volume";
  for (std::unique_ptr<Projection>& p : ledger::LedgerProjections()) {
    if (p->info().name == name) return std::move(p);
  }
  return Status::NotFound("projection", name);
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

int RunBenchReplay(const Flags& flags, std::ostream& out, std::ostream& err) {
  auto f = ParseReplayFlags(flags, 1'000'000);
  if (!f.ok()) return ReportError(f.status(), err);
  const std::string store_name = flags.Get("store").value_or("memory");
  const bool in_memory = store_name == "memory";
  ReadStoreKind kind = ReadStoreKind::kDocument;
  if (store_name == "search") kind = ReadStoreKind::kSearch;
  else if (store_name == "analytics") kind = ReadStoreKind::kAnalytics;
  else if (store_name != "memory" && store_name != "document") {
    return ReportError(Status::InvalidArgument("--store", "memory, document, search or analytics"), err);
  }
  auto store = OpenFilled(*f);
  if (!store.ok()) return ReportError(store.status(), err);
  auto projection = LedgerProjectionFor(kind);
  if (!projection.ok()) return ReportError(projection.status(), err);
  const std::string name = (*projection)->info().name;
  const std::filesystem::path readstores = std::filesystem::path(f->dir) / ("bench-readstores-" + store_name);
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
  boost::json::object o{{"bench", "replay"},  {"store", store_name},
                        {"projection", name}, {"events", head.value},
                        {"seconds", *seconds}, {"events_per_s", head.value / *seconds},
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

int RunBenchQueries(const Flags& flags, std::ostream& out, std::ostream& err) {
  auto f = ParseReplayFlags(flags, 200'000);
  auto iterations = flags.Uint("iterations", 20000);
  for (const Status& s : {f.status(), iterations.status()}) {
    if (!s.ok()) return ReportError(s, err);
  }
  {
    auto filled = OpenFilled(*f);
    if (!filled.ok()) return ReportError(filled.status(), err);
  }
  auto app = ExampleApp::Open(f->dir, StoreOptions{}, ExampleApp::ReadSide::kRun);
  if (!app.ok()) return ReportError(app.status(), err);
  if (Status s = (*app)->WaitForProjections(std::chrono::minutes(30)); !s.ok()) {
    return ReportError(s, err);
  }
  std::mt19937_64 rng(7);
  auto account = [&] { return AccountId(rng() % f->accounts); };
  auto accounts_store = (*app)->engine->ServingStore("ledger-accounts");
  if (!accounts_store.ok()) return ReportError(accounts_store.status(), err);
  auto* documents = static_cast<DocumentStore*>(accounts_store->get());
  QueryBus& queries = *(*app)->queries;
  auto query = [&](std::string name, boost::json::object params) {
    QueryRequest request{std::move(name), std::move(params), kNoPosition, {}};
    return queries.Execute(request).ok();
  };
  boost::json::object o{{"bench", "queries"}, {"events", (*app)->store->HeadPosition().value}};
  o["store_get"] = TimeCalls(*iterations, [&](uint64_t) {
    auto r = documents->Get(AccountId(rng() % f->accounts));
    return r.ok() && r->doc.has_value();
  });
  o["balance"] = TimeCalls(*iterations, [&](uint64_t) { return query("balance", {{"account", account()}}); });
  o["accounts_page"] = TimeCalls(*iterations, [&](uint64_t i) {
    return query("accounts", {{"owner", "Owner " + std::to_string(i % 997)}, {"limit", 20}});
  });
  o["statement_page"] = TimeCalls(*iterations, [&](uint64_t) {
    return query("statement", {{"account", account()}, {"limit", 50}});
  });
  o["search_accounts"] = TimeCalls(*iterations, [&](uint64_t i) {
    return query("search-accounts", {{"q", "owner " + std::to_string(i % 997)}});
  });
  o["volume_day"] = TimeCalls(*iterations / 10, [&](uint64_t i) {
    return query("volume", {{"currency", kCurrencies[i % 3]}, {"bucket", "day"}});
  });
  out << boost::json::serialize(o) << "\n";
  return 0;
}

}  // namespace

void AddReplayBenchCommands(std::vector<Command>* commands) {
  commands->push_back(
      {"bench replay",
       "duet bench replay --data DIR [--events N] [--store memory|document|search|analytics] "
       "[--accounts N] [--batch N] [--rebuild]",
       "Replay throughput: fill DIR with N ledger events (only the missing ones, not timed),\n"
       "then time one ledger projection catching up from nothing into a fresh read store.\n"
       "--rebuild also times a side-by-side rebuild. Prints one JSON line.",
       {{"data", "data folder (required; reused across runs)"},
        {"events", "ledger events in the history (default 1000000)"},
        {"store", "memory (default), document, search or analytics"},
        {"accounts", "accounts the events spread over (default 10000)"},
        {"batch", "events per read-store transaction (default: the engine's)"},
        {"rebuild", "also time Rebuild of the same projection", false}},
       RunBenchReplay});
  commands->push_back(
      {"bench queries",
       "duet bench queries --data DIR [--events N] [--accounts N] [--iterations N]",
       "In-process query latency (p50/p99) after every example projection caught up:\n"
       "get by key, the balance query, an index page, a statement page, a search and an\n"
       "analytics query. Prints one JSON line.",
       {{"data", "data folder (required; reused across runs)"},
        {"events", "ledger events in the history (default 200000)"},
        {"accounts", "accounts (default 10000)"},
        {"iterations", "calls per query (default 20000)"}},
       RunBenchQueries});
}

}  // namespace duet::cli
