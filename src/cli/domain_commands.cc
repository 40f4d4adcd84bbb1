// duet command | demo | bench commands: the domains' commands from the shell.
#include <boost/json.hpp>
#include <chrono>
#include <ostream>
#include <random>

#include "cli/bench_util.h"
#include "cli/command.h"
#include "duet/contract.h"
#include "follow/event_json.h"
#include "util/json_text.h"

namespace duet::cli {
namespace {

std::string ResultToJson(const CommandResult& result) {
  boost::json::object o;
  o["stream"] = result.stream;
  if (result.version) o["version"] = result.version->value;
  o["position"] = result.position.value;
  if (result.duplicate) o["duplicate"] = true;
  return JsonText(o);
}

int RunCommand(const Flags& flags, const Domains& domains, std::ostream& out, std::ostream& err) {
  auto type = flags.Required("type");
  if (!type.ok()) return ReportError(type.status(), err);
  auto json = flags.Required("json");
  if (!json.ok()) return ReportError(json.status(), err);
  auto app = OpenApp(flags, domains, /*read_side=*/false);
  if (!app.ok()) return ReportError(app.status(), err);
  CommandOptions command_options;
  command_options.command_id = flags.Get("id").value_or("");
  auto result = (*app)->commands()->Dispatch(*type, *json, command_options);
  if (!result.ok()) return ReportError(result.status(), err);
  out << ResultToJson(*result) << "\n";
  return 0;
}

// `query` once its read model has applied the store's head (read-your-writes).
Result<QueryAnswer> AnswerSample(App& app, const SampleQuery& query) {
  DUET_ASSIGN_OR_RETURN(boost::json::object params, ParseJsonObject(query.params_json, "params"));
  QueryRequest request{query.name, std::move(params), app.store()->HeadPosition(),
                       std::chrono::seconds(10)};
  return app.queries()->Execute(request);
}

// The read side: each query waits until its read model has applied the last
// command's position (read-your-writes), then answers with its position.
void RunDemoQueries(App& app, std::ostream& out) {
  out << "\n# Queries, answered from read models once they reach position "
      << app.store()->HeadPosition().value << " (read-your-writes)\n";
  for (const Domain& domain : app.domains()) {
    for (const SampleQuery& query : domain.tour_queries) {
      out << "? " << query.name << " " << query.params_json << "\n";
      Result<QueryAnswer> answer = AnswerSample(app, query);
      out << "  "
          << (answer.ok()
                  ? JsonText(answer->result) + "  @" + std::to_string(answer->position.value)
                  : answer.status().ToString())
          << "\n";
    }
  }
}

int RunDemo(const Flags& flags, const Domains& domains, std::ostream& out, std::ostream& err) {
  auto dir = flags.Required("data");
  if (!dir.ok()) return ReportError(dir.status(), err);
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(*dir) / "log", ec) &&
      !std::filesystem::is_empty(std::filesystem::path(*dir) / "log", ec)) {
    return ReportError(
        Status::InvalidArgument("--data", "the demo needs an empty folder (it replays a script)"),
        err);
  }
  auto app = OpenApp(flags, domains, /*read_side=*/true);
  if (!app.ok()) return ReportError(app.status(), err);
  out << "Duet demo: " << domains.size() << " domain(s) on the embedded store in " << *dir << "\n";
  std::string first_stream;
  for (const Domain& domain : domains) {
    if (!domain.tour.empty()) out << "\n## " << domain.name << "\n";
    for (const SampleCommand& step : domain.tour) {
      if (!step.note.empty()) out << "\n# " << step.note << "\n";
      out << "> " << step.type << " " << step.json;
      if (!step.command_id.empty()) out << "  (command id " << step.command_id << ")";
      out << "\n";
      CommandOptions options;
      options.command_id = step.command_id;
      auto result = (*app)->commands()->Dispatch(step.type, step.json, options);
      if (result.ok() && first_stream.empty()) first_stream = result->stream;
      out << "  " << (result.ok() ? "ok " + ResultToJson(*result) : result.status().ToString())
          << "\n";
    }
  }
  if (!first_stream.empty()) {
    out << "\n# The audit log of " << first_stream << ", as recorded\n";
    auto events =
        (*app)->store()->ReadStream(first_stream, StreamVersion(0), 100, ReadDirection::kForward);
    if (!events.ok()) return ReportError(events.status(), err);
    for (const RecordedEvent& e : *events) out << "  " << follow::EventToJson(e) << "\n";
  }
  RunDemoQueries(**app, out);
  out << "\n"
      << (*app)->store()->HeadPosition().value << " events. Try:\n"
      << "  duet read --data " << *dir << " --all\n"
      << "  duet verify --data " << *dir << "\n"
      << "  duet projections status --data " << *dir << "\n";
  return 0;
}

// The domains' bench command (DomainBench::command) on random aggregates.
int RunBenchCommands(const Flags& flags, const Domains& domains, std::ostream& out,
                     std::ostream& err) {
  auto dir = flags.Required("data");
  auto writers = flags.Uint("writers", 64);
  auto seconds = flags.Uint("seconds", 10);
  auto keys = flags.Uint("accounts", 10000);
  for (const Status& s : {dir.status(), writers.status(), seconds.status(), keys.status()}) {
    if (!s.ok()) return ReportError(s, err);
  }
  if (*writers == 0 || *keys == 0) {
    return ReportError(Status::InvalidArgument("--writers", "writers and accounts must be >= 1"),
                       err);
  }
  const Domain* domain = nullptr;
  for (const Domain& d : domains) {
    if (d.bench.command && (!flags.Has("domain") || *flags.Get("domain") == d.name)) {
      domain = &d;
      break;
    }
  }
  if (domain == nullptr) {
    return ReportError(Status::NotFound("domain", "no domain declares a bench command"), err);
  }
  auto options = StoreOptionsFromFlags(flags);
  if (!options.ok()) return ReportError(options.status(), err);
  auto app = OpenApp(flags, domains, /*read_side=*/false);
  if (!app.ok()) return ReportError(app.status(), err);
  CommandBus& bus = *(*app)->commands();
  // Prepare the aggregates first (not timed): refusals such as "already open" are fine.
  if (domain->bench.setup) {
    for (const SampleCommand& c : domain->bench.setup(*keys)) {
      auto r = bus.Dispatch(c.type, c.json);
      if (!r.ok() && !r.status().IsDomainRuleViolated()) return ReportError(r.status(), err);
    }
  }
  std::uniform_int_distribution<uint64_t> pick(0, *keys - 1);
  const LoadResult load = RunTimedLoad(*writers, *seconds, [&](uint64_t, std::mt19937_64& rng) {
    auto distribution = pick;  // per call: distributions are not thread-safe
    const SampleCommand c = domain->bench.command(distribution(rng));
    return bus.Dispatch(c.type, c.json).ok();
  });
  const double elapsed = load.seconds;
  const LatencySummary& summary = load.latency;
  boost::json::object o;
  o["bench"] = "commands";
  o["domain"] = domain->name;
  o["commands_per_s"] = static_cast<double>(summary.count) / elapsed;
  o["events_per_s"] = static_cast<double>(summary.count) / elapsed;
  o["p50_us"] = summary.p50_us;
  o["p99_us"] = summary.p99_us;
  o["writers"] = *writers;
  o["batch"] = 1;
  o["accounts"] = *keys;
  o["durability"] = options->durability.ToString();
  o["seconds"] = elapsed;
  o["failures"] = load.failures;
  out << JsonText(o) << "\n";
  return load.failures == 0 ? 0 : 1;
}

// `duet command --help`: every command type's contract.
std::string CommandContractsHelp(const Domains& domains) {
  CommandBus bus(nullptr);  // registration only: the contracts, never a dispatch
  for (const Domain& domain : domains) {
    if (domain.register_commands && !domain.register_commands(bus).ok()) continue;
  }
  std::string help = "\nCommand types:\n";
  for (const CommandInfo& info : bus.Commands()) {
    help += "  " + info.name + (info.description.empty() ? "" : ": " + info.description) + "\n";
    help += FieldsHelp(info.fields, 4);
    if (!info.example.empty()) help += "    example: " + info.example + "\n";
  }
  return help;
}

}  // namespace

void AddDomainCommands(const Domains& domains, std::vector<Command>* commands) {
  commands->push_back(
      {"command",
       "duet command --data DIR [--store URL] --type TYPE --json COMMAND [--id COMMAND_ID]",
       "Run one command through the command bus; prints {stream, version, position}.\n"
       "--id makes it idempotent. The command types and their fields are listed below.",
       {{"data", "data folder (required; snapshots only with --store)"},
        kStoreFlag,
        {"type", "command type (required; listed below)"},
        {"json", "the command as a JSON object (required)"},
        {"id", "command id: a retry with the same id returns the first result"},
        kDurabilityFlag},
       WithDomains(domains, RunCommand),
       0,
       CommandContractsHelp(domains)});
  commands->push_back({"demo",
                       "duet demo --data DIR",
                       "A scripted tour of the domains on a fresh data folder.",
                       {{"data", "an empty or new data folder (required)"}},
                       WithDomains(domains, RunDemo)});
  commands->push_back(
      {"bench commands",
       "duet bench commands --data DIR [--writers N] [--seconds S] [--accounts N] [--durability D]",
       "A domain's bench command (for example a deposit) on random aggregates through the\n"
       "command bus (load, decide, append) from N threads for S seconds. Prints one JSON line.",
       {{"data", "data folder"},
        {"writers", "concurrent threads (default 64)"},
        {"seconds", "duration (default 10)"},
        {"accounts", "aggregates the commands go to at random (default 10000)"},
        {"domain", "the domain whose bench command runs (default: the first that has one)"},
        kDurabilityFlag},
       WithDomains(domains, RunBenchCommands)});
}

}  // namespace duet::cli
