// duet command | demo | bench commands: the example domains from the shell.
#include <boost/json.hpp>
#include <chrono>
#include <ostream>
#include <random>

#include "cli/bench_util.h"
#include "cli/command.h"
#include "cli/example_app.h"
#include "follow/event_json.h"

namespace duet::cli {
namespace {

std::string ResultToJson(const CommandResult& result) {
  boost::json::object o;
  o["stream"] = result.stream;
  if (result.version) o["version"] = result.version->value;
  o["position"] = result.position.value;
  if (result.duplicate) o["duplicate"] = true;
  return boost::json::serialize(o);
}

int RunCommand(const Flags& flags, std::ostream& out, std::ostream& err) {
  auto dir = flags.Required("data");
  if (!dir.ok()) return ReportError(dir.status(), err);
  auto type = flags.Required("type");
  if (!type.ok()) return ReportError(type.status(), err);
  auto json = flags.Required("json");
  if (!json.ok()) return ReportError(json.status(), err);
  auto options = StoreOptionsFromFlags(flags);
  if (!options.ok()) return ReportError(options.status(), err);
  auto app = ExampleApp::Open(*dir, *options);
  if (!app.ok()) return ReportError(app.status(), err);
  CommandOptions command_options;
  command_options.command_id = flags.Get("id").value_or("");
  auto result = (*app)->bus->Dispatch(*type, *json, command_options);
  if (!result.ok()) return ReportError(result.status(), err);
  out << ResultToJson(*result) << "\n";
  return 0;
}

// One scripted step of the demo: a command and what the reader should notice.
struct DemoStep {
  const char* note;
  const char* type;
  const char* json;
  const char* command_id;
};

constexpr DemoStep kDemoSteps[] = {
    {"Open two accounts", "OpenAccount", R"({"account":"alice","owner":"Alice"})", ""},
    {nullptr, "OpenAccount", R"({"account":"bob","owner":"Bob"})", ""},
    {"Deposit in two currencies", "Deposit",
     R"({"account":"alice","currency":"EUR","amount":10000})", ""},
    {nullptr, "Deposit", R"({"account":"alice","currency":"USD","amount":2500})", ""},
    {"Transfer: both accounts change in one atomic multi-stream append", "Transfer",
     R"({"from":"alice","to":"bob","currency":"EUR","amount":4000})", "demo-transfer-1"},
    {"The same command id again: the original result, nothing appended", "Transfer",
     R"({"from":"alice","to":"bob","currency":"EUR","amount":4000})", "demo-transfer-1"},
    {"No overdraft in any currency: a domain rule", "Withdraw",
     R"({"account":"bob","currency":"USD","amount":1})", ""},
    {"Bad input names the field", "Deposit",
     R"({"account":"alice","currency":"euro","amount":5})", ""},
    {"Place an order", "PlaceOrder",
     R"({"order":"o-1","customer":"alice","items":[{"sku":"tea","name":"Green tea","qty":2,"price":450,"currency":"EUR"}]})",
     ""},
    {nullptr, "AddItem",
     R"({"order":"o-1","item":{"sku":"cup","name":"Tea cup","qty":1,"price":1200,"currency":"EUR"}})",
     ""},
    {nullptr, "ConfirmOrder", R"({"order":"o-1"})", ""},
    {"No items after confirmation", "AddItem",
     R"({"order":"o-1","item":{"sku":"pot","name":"Tea pot","qty":1,"price":3000,"currency":"EUR"}})",
     ""},
    {nullptr, "ShipOrder", R"({"order":"o-1"})", ""},
    {"No cancelling a shipped order", "CancelOrder", R"({"order":"o-1"})", ""},
};

constexpr std::pair<const char*, const char*> kDemoQueries[] = {
    {"balance", R"({"account":"alice"})"},
    {"statement", R"({"account":"bob"})"},
    {"search-accounts", R"({"q":"ali"})"},
    {"order-status", R"({"order":"o-1"})"},
    {"orders", R"({"customer":"alice"})"},
    {"search-orders", R"({"q":"tea"})"},
    {"revenue", R"({"currency":"EUR","bucket":"day"})"},
};

// The read side: each query waits until its read model has applied the last
// command's position (read-your-writes), then answers with its position.
void RunDemoQueries(ExampleApp& app, std::ostream& out) {
  out << "\n# Queries, answered from read models once they reach position "
      << app.store->HeadPosition().value << " (read-your-writes)\n";
  for (const auto& [name, params] : kDemoQueries) {
    QueryRequest request{name, boost::json::parse(params).as_object(),
                         app.store->HeadPosition(), std::chrono::seconds(10)};
    out << "? " << name << " " << params << "\n";
    auto answer = app.queries->Execute(request);
    out << "  " << (answer.ok() ? boost::json::serialize(answer->result) + "  @" +
                                      std::to_string(answer->position.value)
                                : answer.status().ToString())
        << "\n";
  }
}

int RunDemo(const Flags& flags, std::ostream& out, std::ostream& err) {
  auto dir = flags.Required("data");
  if (!dir.ok()) return ReportError(dir.status(), err);
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::path(*dir) / "log", ec) &&
      !std::filesystem::is_empty(std::filesystem::path(*dir) / "log", ec)) {
    return ReportError(
        Status::InvalidArgument("--data", "the demo needs an empty folder (it replays a script)"),
        err);
  }
  auto app = ExampleApp::Open(*dir, StoreOptions{}, ExampleApp::ReadSide::kRun);
  if (!app.ok()) return ReportError(app.status(), err);
  out << "Duet demo: both example domains on the embedded store in " << *dir << "\n";
  for (const DemoStep& step : kDemoSteps) {
    if (step.note != nullptr) out << "\n# " << step.note << "\n";
    out << "> " << step.type << " " << step.json;
    if (*step.command_id != '\0') out << "  (command id " << step.command_id << ")";
    out << "\n";
    CommandOptions options;
    options.command_id = step.command_id;
    auto result = (*app)->bus->Dispatch(step.type, step.json, options);
    out << "  " << (result.ok() ? "ok " + ResultToJson(*result) : result.status().ToString())
        << "\n";
  }
  out << "\n# The audit log of account-alice, as recorded\n";
  auto events = (*app)->store->ReadStream("account-alice", StreamVersion(0), 100,
                                          ReadDirection::kForward);
  if (!events.ok()) return ReportError(events.status(), err);
  for (const RecordedEvent& e : *events) out << "  " << server::EventToJson(e) << "\n";
  RunDemoQueries(**app, out);
  const StoreStats stats = (*app)->store->Stats();
  out << "\n" << stats.events << " events in " << stats.streams << " streams. Try:\n"
      << "  build/duet read --data " << *dir << " --all\n"
      << "  build/duet verify --data " << *dir << "\n"
      << "  build/duet query balance account=alice --data " << *dir << "\n"
      << "  build/duet projections status --data " << *dir << "\n";
  return 0;
}

// Ledger deposits to random accounts through the command bus.
int RunBenchCommands(const Flags& flags, std::ostream& out, std::ostream& err) {
  auto dir = flags.Required("data");
  auto writers = flags.Uint("writers", 64);
  auto seconds = flags.Uint("seconds", 10);
  auto accounts = flags.Uint("accounts", 10000);
  for (const Status& s : {dir.status(), writers.status(), seconds.status(), accounts.status()}) {
    if (!s.ok()) return ReportError(s, err);
  }
  if (*writers == 0 || *accounts == 0) {
    return ReportError(Status::InvalidArgument("--writers", "writers and accounts must be >= 1"), err);
  }
  auto options = StoreOptionsFromFlags(flags);
  if (!options.ok()) return ReportError(options.status(), err);
  auto app = ExampleApp::Open(*dir, *options);
  if (!app.ok()) return ReportError(app.status(), err);
  CommandBus& bus = *(*app)->bus;
  // Open the accounts first (not timed): a deposit needs an open account.
  for (uint64_t a = 0; a < *accounts; ++a) {
    const std::string json =
        R"({"account":"bench-)" + std::to_string(a) + R"(","owner":"Owner )" + std::to_string(a) + "\"}";
    auto r = bus.Dispatch("OpenAccount", json);
    if (!r.ok() && !r.status().IsDomainRuleViolated()) return ReportError(r.status(), err);
  }
  std::uniform_int_distribution<uint64_t> pick(0, *accounts - 1);
  const LoadResult load = RunTimedLoad(*writers, *seconds, [&](uint64_t, std::mt19937_64& rng) {
    auto distribution = pick;  // per call: distributions are not thread-safe
    const std::string json = R"({"account":"bench-)" + std::to_string(distribution(rng)) +
                             R"(","currency":"EUR","amount":100})";
    return bus.Dispatch("Deposit", json).ok();
  });
  const double elapsed = load.seconds;
  const LatencySummary& summary = load.latency;
  boost::json::object o;
  o["bench"] = "commands";
  o["commands_per_s"] = static_cast<double>(summary.count) / elapsed;
  o["events_per_s"] = static_cast<double>(summary.count) / elapsed;
  o["p50_us"] = summary.p50_us;
  o["p99_us"] = summary.p99_us;
  o["writers"] = *writers;
  o["batch"] = 1;
  o["accounts"] = *accounts;
  o["durability"] = options->durability.ToString();
  o["seconds"] = elapsed;
  o["failures"] = load.failures;
  out << boost::json::serialize(o) << "\n";
  return load.failures == 0 ? 0 : 1;
}

}  // namespace

void AddDomainCommands(std::vector<Command>* commands) {
  commands->push_back(
      {"command", "duet command --data DIR --type TYPE --json COMMAND [--id COMMAND_ID]",
       "Run one command of the example domains (ledger, orders) through the command bus;\n"
       "prints {stream, version, position}. --id makes it idempotent.",
       {{"data", "data folder (required)"},
        {"type", "command type, e.g. OpenAccount, Deposit, Transfer, PlaceOrder (required)"},
        {"json", "the command as a JSON object (required)"},
        {"id", "command id: a retry with the same id returns the first result"},
        kDurabilityFlag},
       RunCommand});
  commands->push_back({"demo", "duet demo --data DIR",
                       "A scripted tour of both example domains on a fresh data folder.",
                       {{"data", "an empty or new data folder (required)"}},
                       RunDemo});
  commands->push_back(
      {"bench commands",
       "duet bench commands --data DIR [--writers N] [--seconds S] [--accounts N] [--durability D]",
       "Ledger Deposits to random accounts through the command bus (load, decide, append)\n"
       "from N threads for S seconds. Prints one JSON line.",
       {{"data", "data folder"},
        {"writers", "concurrent threads (default 64)"},
        {"seconds", "duration (default 10)"},
        {"accounts", "accounts deposited to at random (default 10000)"},
        kDurabilityFlag},
       RunBenchCommands});
}

}  // namespace duet::cli
