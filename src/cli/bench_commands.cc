// duet bench append | open: end-to-end store benchmarks that print one JSON
// line of figures (never asserting on time). `bench commands` lives with the
// example domains (bench_domain_commands.cc).
#include <algorithm>
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <ostream>
#include <random>

#include "cli/bench_util.h"
#include "cli/command.h"
#include "duet/embedded_store.h"
#include "duet/postgres_store.h"
#include "util/json_text.h"

namespace duet::cli {
namespace {

// Counts group-commit rounds and what they carried (the flusher's thread).
class RoundCounter final : public StoreObserver {
 public:
  void OnCommitRound(const CommitRound& round) override {
    rounds_.fetch_add(1, std::memory_order_relaxed);
    transactions_.fetch_add(round.transactions, std::memory_order_relaxed);
    events_.fetch_add(round.events, std::memory_order_relaxed);
    sync_ns_.fetch_add(static_cast<uint64_t>(round.sync_time.count()), std::memory_order_relaxed);
  }
  void OnAppend(std::chrono::nanoseconds, StatusCode) override {}
  uint64_t rounds() const { return rounds_.load(); }
  uint64_t transactions() const { return transactions_.load(); }
  uint64_t events() const { return events_.load(); }
  uint64_t sync_ns() const { return sync_ns_.load(); }

 private:
  std::atomic<uint64_t> rounds_{0}, transactions_{0}, events_{0}, sync_ns_{0};
};

// The store under test: the embedded one in --data, or PostgreSQL (--store).
Result<std::unique_ptr<EventStore>> OpenBenchStore(const Flags& flags,
                                                   const StoreOptions& options) {
  if (std::optional<std::string> url = flags.Get("store")) {
    if (flags.Has("data")) return Status::InvalidArgument("--store", "give --data or --store");
    PostgresStoreOptions postgres;
    postgres.store = options;
    postgres.read_connections = 1;  // the bench only appends
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<PostgresStore> store,
                          PostgresStore::Open(*url, postgres));
    return std::unique_ptr<EventStore>(std::move(store));
  }
  DUET_ASSIGN_OR_RETURN(std::string dir, flags.Required("data"));
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<EmbeddedStore> store, EmbeddedStore::Open(dir, options));
  return std::unique_ptr<EventStore>(std::move(store));
}

int RunBenchAppend(const Flags& flags, std::ostream& out, std::ostream& err) {
  auto writers = flags.Uint("writers", 64);
  auto batch = flags.Uint("batch", 1);
  auto seconds = flags.Uint("seconds", 10);
  auto payload = flags.Uint("payload", 200);
  auto streams = flags.Uint("streams", 10000);
  for (const Status& s :
       {writers.status(), batch.status(), seconds.status(), payload.status(), streams.status()}) {
    if (!s.ok()) return ReportError(s, err);
  }
  if (*writers == 0 || *batch == 0 || *streams == 0) {
    return ReportError(
        Status::InvalidArgument("--writers", "writers, batch and streams must be >= 1"), err);
  }
  auto options_or = StoreOptionsFromFlags(flags);
  if (!options_or.ok()) return ReportError(options_or.status(), err);
  RoundCounter rounds;
  StoreOptions options = *options_or;
  options.observer = &rounds;
  auto store = OpenBenchStore(flags, options);
  if (!store.ok()) return ReportError(store.status(), err);
  const bool postgres = flags.Has("store");

  const std::string data = BenchPayload(*payload);
  const std::vector<EventData> events(*batch, EventData{{}, "BenchEvent", data, "{}"});
  std::uniform_int_distribution<uint64_t> pick(0, *streams - 1);
  const LoadResult load = RunTimedLoad(*writers, *seconds, [&](uint64_t, std::mt19937_64& rng) {
    auto distribution = pick;  // per call: distributions are not thread-safe
    // One append per writer thread, its events built once: the benchmark
    // times the store, not copies of its own input.
    thread_local StreamAppend append;
    if (append.events.size() != events.size()) append.events = events;
    append.stream = "bench-" + std::to_string(distribution(rng));
    return (*store)->AppendMulti(std::span(&append, 1)).ok();
  });
  const double elapsed = load.seconds;
  const LatencySummary& summary = load.latency;
  boost::json::object o;
  o["bench"] = "append";
  o["events_per_s"] = static_cast<double>(summary.count * *batch) / elapsed;
  o["appends_per_s"] = static_cast<double>(summary.count) / elapsed;
  o["p50_us"] = summary.p50_us;
  o["p99_us"] = summary.p99_us;
  o["writers"] = *writers;
  o["batch"] = *batch;
  o["payload"] = *payload;
  o["streams"] = *streams;
  o["store"] = postgres ? "postgresql" : "embedded";
  o["durability"] = postgres ? "postgresql" : options.durability.ToString();
  o["seconds"] = elapsed;
  o["events"] = summary.count * *batch;
  o["failures"] = load.failures;
  // A round is one write and, with durability sync, one fdatasync.
  o["commit_rounds"] = rounds.rounds();
  o["events_per_round"] =
      rounds.rounds() == 0 ? 0.0 : static_cast<double>(rounds.events()) / rounds.rounds();
  o["appends_per_round"] =
      rounds.rounds() == 0 ? 0.0 : static_cast<double>(rounds.transactions()) / rounds.rounds();
  // The wait for durability per round: fdatasync, or on PostgreSQL the COMMIT.
  o["sync_ms_per_round"] =
      rounds.rounds() == 0 ? 0.0 : static_cast<double>(rounds.sync_ns()) / 1e6 / rounds.rounds();
  // On PostgreSQL a round is one transaction (one COMMIT, one WAL flush).
  if (postgres) o["events_per_transaction"] = o["events_per_round"];
  out << JsonText(o) << "\n";
  return load.failures == 0 ? 0 : 1;
}

// Time to a ready store of N events, with the index checkpoint and without.
int RunBenchOpen(const Flags& flags, std::ostream& out, std::ostream& err) {
  auto dir = flags.Required("data");
  auto events = flags.Uint("events", 10'000'000);
  auto payload = flags.Uint("payload", 200);
  for (const Status& s : {dir.status(), events.status(), payload.status()}) {
    if (!s.ok()) return ReportError(s, err);
  }
  StoreOptions fill_options;
  fill_options.durability.mode = Durability::Mode::kNone;
  {
    auto store = EmbeddedStore::Open(*dir, fill_options);
    if (!store.ok()) return ReportError(store.status(), err);
    const std::string data = BenchPayload(*payload);
    std::vector<EventData> batch(1000, EventData{{}, "BenchEvent", data, "{}"});
    uint64_t have = (*store)->HeadPosition().value;
    for (uint64_t i = have; i < *events; i += batch.size()) {
      batch.resize(std::min<uint64_t>(1000, *events - i));
      auto r = (*store)->Append("open-" + std::to_string(i / 1000 % 10000), ExpectedVersion::Any(),
                                batch);
      if (!r.ok()) return ReportError(r.status(), err);
    }
  }  // closing writes the index checkpoint at the head
  auto time_open = [&](StoreOptions options) -> Result<std::pair<double, OpenReport>> {
    const auto t0 = std::chrono::steady_clock::now();
    DUET_ASSIGN_OR_RETURN(auto store, EmbeddedStore::Open(*dir, options));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return std::make_pair(seconds, store->open_report());
  };
  auto with_checkpoint = time_open(StoreOptions{});
  if (!with_checkpoint.ok()) return ReportError(with_checkpoint.status(), err);
  // Without: move the checkpoints aside, open (re-indexing the whole log), and
  // put them back so the folder is left as it was found.
  const std::filesystem::path index = std::filesystem::path(*dir) / "index";
  const std::filesystem::path aside = std::filesystem::path(*dir) / "index.bench-aside";
  std::filesystem::rename(index, aside);
  std::filesystem::create_directory(index);
  auto without = time_open(StoreOptions{});
  std::filesystem::remove_all(index);
  std::filesystem::rename(aside, index);
  if (!without.ok()) return ReportError(without.status(), err);
  boost::json::object o;
  o["bench"] = "open";
  o["events"] = *events;
  o["open_with_checkpoint_s"] = with_checkpoint->first;
  o["reindexed_with_checkpoint"] = with_checkpoint->second.events_reindexed;
  o["open_without_checkpoint_s"] = without->first;
  o["reindexed_without_checkpoint"] = without->second.events_reindexed;
  out << JsonText(o) << "\n";
  return 0;
}

}  // namespace

void AddBenchCommands(std::vector<Command>* commands) {
  commands->push_back(
      {"bench append",
       "duet bench append (--data DIR | --store URL) [--writers N] [--batch B] [--seconds S] "
       "[--payload BYTES] [--streams N] [--durability D]",
       "Append throughput and latency: N writer threads, each appending batches of B events\n"
       "of BYTES to random streams for S seconds. Prints one JSON line. With --store, on\n"
       "PostgreSQL (use a fresh database; events_per_transaction is what one COMMIT\n"
       "carried; bench/postgres_append.sh compares it with pgbench).",
       {{"data", "data folder (created if missing; use a fresh one)"},
        {"store", "postgresql://user@host:port/db instead of --data"},
        {"writers", "concurrent writer threads (default 64)"},
        {"batch", "events per append (default 1)"},
        {"seconds", "duration (default 10)"},
        {"payload", "bytes of data per event (default 200)"},
        {"streams", "number of streams written at random (default 10000)"},
        kDurabilityFlag},
       RunBenchAppend});
  commands->push_back(
      {"bench open",
       "duet bench open --data DIR [--events N] [--payload BYTES]",
       "Time to a ready store of N events (filling the folder first if it has fewer),\n"
       "with its index checkpoint and with none. Prints one JSON line.",
       {{"data", "data folder (reused between runs)"},
        {"events", "events in the store (default 10000000)"},
        {"payload", "bytes of data per event when filling (default 200)"}},
       RunBenchOpen});
}

}  // namespace duet::cli
