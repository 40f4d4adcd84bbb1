// duet projections ... | query: the read side of the domains from the
// shell. Each command opens the data folder with the projections running
// (they catch up from their checkpoints first).
#include <unistd.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <ostream>

#include "cli/command.h"
#include "server/projection_json.h"
#include "util/json_text.h"

namespace duet::cli {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kCatchUpWait{120000};

Result<std::unique_ptr<App>> OpenReadSide(const Flags& flags, const Domains& domains) {
  return OpenApp(flags, domains, /*read_side=*/true);
}

Result<std::string> ProjectionName(const Flags& flags) {
  if (flags.positional().empty()) return Status::InvalidArgument("NAME", "is required");
  return flags.positional()[0];
}

int RunStatus(const Flags& flags, const Domains& domains, std::ostream& out, std::ostream& err) {
  auto app = OpenReadSide(flags, domains);
  if (!app.ok()) return ReportError(app.status(), err);
  if (flags.Has("wait")) {
    if (Status s = (*app)->WaitForProjections(kCatchUpWait); !s.ok()) return ReportError(s, err);
  }
  for (const ProjectionStatus& s : (*app)->projections()->Statuses()) {
    out << JsonText(server::ProjectionStatusJson(s)) << "\n";
  }
  return 0;
}

// "[#####.....]  52%  5,200,000/10,000,000  812,000 ev/s  ETA 6 s", redrawn in place.
void DrawProgress(const RebuildProgress& p, std::ostream& err) {
  const double total = static_cast<double>(std::max<uint64_t>(p.target.value, 1));
  const double fraction = std::min(1.0, static_cast<double>(p.position.value) / total);
  const int width = 30;
  const int done = static_cast<int>(fraction * width);
  char line[160];
  std::snprintf(line, sizeof line, "\r[%s%s] %3d%%  %llu/%llu events  %.0f ev/s  ETA %.0f s ",
                std::string(static_cast<size_t>(done), '#').c_str(),
                std::string(static_cast<size_t>(width - done), '.').c_str(),
                static_cast<int>(fraction * 100), static_cast<unsigned long long>(p.position.value),
                static_cast<unsigned long long>(p.target.value), p.events_per_second,
                p.eta_seconds);
  err << line << std::flush;
}

int RunRebuild(const Flags& flags, const Domains& domains, std::ostream& out, std::ostream& err) {
  auto name = ProjectionName(flags);
  if (!name.ok()) return ReportError(name.status(), err);
  auto app = OpenReadSide(flags, domains);
  if (!app.ok()) return ReportError(app.status(), err);
  ProjectionEngine& engine = *(*app)->projections();
  const auto start = std::chrono::steady_clock::now();
  auto status = RebuildAndWait(engine, *name, milliseconds(200),
                               [&](const RebuildProgress& p) { DrawProgress(p, err); });
  if (!status.ok()) return ReportError(status.status(), err);
  if (status->state != ProjectionState::kFailed) {
    DrawProgress({status->checkpoint, status->checkpoint, 0, 0}, err);  // the final 100%
  }
  err << "\n";
  if (status->state == ProjectionState::kFailed) {
    return ReportError(
        Status::FailedPrecondition(*name + " failed during the rebuild: " + status->error), err);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  boost::json::object o = server::ProjectionStatusJson(*status);
  o["rebuild_seconds"] = seconds;
  o["rebuild_events_per_s"] = static_cast<double>(status->checkpoint.value) / seconds;
  out << JsonText(o) << "\n";
  return 0;
}

int RunVerify(const Flags& flags, const Domains& domains, std::ostream& out, std::ostream& err) {
  auto name = ProjectionName(flags);
  if (!name.ok()) return ReportError(name.status(), err);
  auto app = OpenReadSide(flags, domains);
  if (!app.ok()) return ReportError(app.status(), err);
  if (Status s = (*app)->WaitForProjections(kCatchUpWait); !s.ok()) return ReportError(s, err);
  auto report = (*app)->projections()->Verify(*name);
  if (!report.ok()) return ReportError(report.status(), err);
  boost::json::array keys;
  for (const std::string& key : report->differing_keys) keys.emplace_back(key);
  boost::json::object o{{"projection", *name},
                        {"position", report->position.value},
                        {"entries", report->entries},
                        {"live_digest", report->live_digest},
                        {"rebuilt_digest", report->rebuilt_digest},
                        {"matches", report->matches()},
                        {"differing_keys", std::move(keys)}};
  out << JsonText(o) << "\n";
  return report->matches() ? 0 : 1;
}

int RunParked(const Flags& flags, const Domains& domains, std::ostream& out, std::ostream& err) {
  auto name = ProjectionName(flags);
  if (!name.ok()) return ReportError(name.status(), err);
  auto app = OpenReadSide(flags, domains);
  if (!app.ok()) return ReportError(app.status(), err);
  if (flags.Has("retry")) {
    auto remaining = (*app)->projections()->RetryParked(*name);
    if (!remaining.ok()) return ReportError(remaining.status(), err);
    err << *remaining << " event(s) still parked\n";
  }
  auto store = (*app)->projections()->ServingStore(*name);
  if (!store.ok()) return ReportError(store.status(), err);
  auto parked = (*store)->Parked();
  if (!parked.ok()) return ReportError(parked.status(), err);
  for (const ParkedEvent& e : *parked) {
    boost::json::object o{
        {"position", e.position.value}, {"stream", e.stream}, {"type", e.type}, {"error", e.error}};
    out << JsonText(o) << "\n";
  }
  return 0;
}

// --at: a global position (digits) or a UTC time "YYYY-MM-DDTHH:MM:SSZ".
Result<PointInTime> ParseAt(const std::string& text) {
  PointInTime at;
  if (!text.empty() && std::all_of(text.begin(), text.end(), ::isdigit)) {
    at.position = GlobalPosition(std::stoull(text));
    return at;
  }
  std::tm tm{};
  char zone = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &zone) != 7 ||
      zone != 'Z') {
    return Status::InvalidArgument("--at", "expected a position or YYYY-MM-DDTHH:MM:SSZ");
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  at.timestamp_us = static_cast<int64_t>(timegm(&tm)) * 1000000 + 999999;
  return at;
}

int RunBuild(const Flags& flags, const Domains& domains, std::ostream& out, std::ostream& err) {
  auto name = ProjectionName(flags);
  auto at_text = flags.Required("at");
  for (const Status& s : {name.status(), at_text.status()}) {
    if (!s.ok()) return ReportError(s, err);
  }
  auto at = ParseAt(*at_text);
  if (!at.ok()) return ReportError(at.status(), err);
  auto app = OpenReadSide(flags, domains);
  if (!app.ok()) return ReportError(app.status(), err);
  // Without --out: memory for document models, else a scratch folder removed after.
  auto status = (*app)->projections()->StatusOf(*name);
  if (!status.ok()) return ReportError(status.status(), err);
  std::filesystem::path dir = flags.Get("out").value_or("");
  std::filesystem::path scratch;
  if (dir.empty() && status->store != ReadStoreKind::kDocument) {
    scratch = std::filesystem::temp_directory_path() /
              ("duet-build-" + *name + "-" + std::to_string(::getpid()));
    dir = scratch;
  }
  struct RemoveScratch {
    std::filesystem::path path;
    ~RemoveScratch() {
      std::error_code ec;
      if (!path.empty()) std::filesystem::remove_all(path, ec);
    }
  } remove_scratch{scratch};
  auto built = (*app)->projections()->BuildAt(*name, *at, dir);
  if (!built.ok()) return ReportError(built.status(), err);
  uint64_t entries = 0;
  Status s = (*built)->ForEachEntry([&](std::string_view key, std::string_view content) {
    boost::json::object o{{"key", key}};
    o["content"] = boost::json::parse(content);
    out << JsonText(o) << "\n";
    ++entries;
  });
  if (!s.ok()) return ReportError(s, err);
  err << entries << " entries as of position " << (*built)->checkpoint().value << "\n";
  return 0;
}

int RunQuery(const Flags& flags, const Domains& domains, std::ostream& out, std::ostream& err) {
  if (flags.positional().empty())
    return ReportError(Status::InvalidArgument("QUERY", "is required"), err);
  QueryRequest request;
  request.name = flags.positional()[0];
  for (size_t i = 1; i < flags.positional().size(); ++i) {
    const std::string& arg = flags.positional()[i];
    const size_t eq = arg.find('=');
    if (eq == std::string::npos || eq == 0) {
      return ReportError(Status::InvalidArgument(arg, "expected name=value"), err);
    }
    request.params[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  auto min_position = flags.Uint("min-position", 0);
  auto timeout = flags.Uint("timeout-ms", 10000);
  for (const Status& s : {min_position.status(), timeout.status()}) {
    if (!s.ok()) return ReportError(s, err);
  }
  auto app = OpenReadSide(flags, domains);
  if (!app.ok()) return ReportError(app.status(), err);
  // From the shell, read your own earlier writes by default: wait for the head.
  request.min_position =
      flags.Has("min-position") ? GlobalPosition(*min_position) : (*app)->store()->HeadPosition();
  request.timeout = milliseconds(*timeout);
  auto answer = (*app)->queries()->Execute(request);
  if (!answer.ok()) return ReportError(answer.status(), err);
  boost::json::object o{{"query", request.name},
                        {"read_model", answer->read_model},
                        {"position", answer->position.value},
                        {"data", answer->result}};
  out << JsonText(o) << "\n";
  return 0;
}

const FlagSpec kDataFlag{"data", "data folder (required)"};

// `duet query --help`: every query with its parameters.
std::string QueriesHelp(const Domains& domains) {
  QueryBus bus(nullptr);  // registration only: the definitions, never a query
  for (const Domain& domain : domains) {
    if (domain.register_queries && !domain.register_queries(bus).ok()) continue;
  }
  std::string help = "\nQueries:\n";
  for (const QueryDefinition& query : bus.definitions()) {
    help += "  " + query.name + " (read model " + query.read_model + ")" +
            (query.description.empty() ? "" : ": " + query.description) + "\n";
    for (const QueryParam& param : query.params) {
      help += "    " + param.name + (param.required ? "  required" : "  optional");
      if (!param.choices.empty()) {
        std::string choices;
        for (const std::string& choice : param.choices)
          choices += (choices.empty() ? "" : "|") + choice;
        help += ", one of " + choices;
      }
      if (!param.description.empty()) help += ": " + param.description;
      help += "\n";
    }
  }
  return help;
}

}  // namespace

void AddReadCommands(const Domains& domains, std::vector<Command>* commands) {
  commands->push_back({"projections status",
                       "duet projections status --data DIR [--wait]",
                       "One JSON line per projection: state, checkpoint, head, lag, rate, parked.",
                       {kDataFlag, {"wait", "first wait until every projection is live", false}},
                       WithDomains(domains, RunStatus)});
  commands->push_back(
      {"projections rebuild",
       "duet projections rebuild NAME --data DIR",
       "Replay the whole history into a fresh read model beside the current one, which keeps\n"
       "serving; switch to it once caught up. Shows progress, rate and ETA.",
       {kDataFlag},
       WithDomains(domains, RunRebuild),
       1});
  commands->push_back(
      {"projections verify",
       "duet projections verify NAME --data DIR",
       "Determinism check: rebuild into a scratch store, compare content digests with the live\n"
       "read model at the same position and list the keys that differ (exit 1 if any).",
       {kDataFlag},
       WithDomains(domains, RunVerify),
       1});
  commands->push_back({"projections parked",
                       "duet projections parked NAME --data DIR [--retry]",
                       "List the events the projection parked; --retry re-applies them first.",
                       {kDataFlag, {"retry", "re-apply the parked events first", false}},
                       WithDomains(domains, RunParked),
                       1});
  commands->push_back(
      {"projections build",
       "duet projections build NAME --at POSITION|YYYY-MM-DDTHH:MM:SSZ --data DIR",
       "Point in time: build the read model as of a position or a UTC time and print its\n"
       "entries as JSON lines (the live read model is not touched).",
       {kDataFlag,
        {"at", "a global position, or a UTC time (the last event at or before it)"},
        {"out", "build into this folder (default: in memory where the store kind allows)"}},
       WithDomains(domains, RunBuild),
       1});
  commands->push_back(
      {"query",
       "duet query NAME [param=value ...] --data DIR [--min-position P] [--timeout-ms T]",
       "Run a named query against its read model. Waits for the read model to reach the\n"
       "store's head first (or --min-position). The queries are listed below.",
       {kDataFlag,
        {"min-position", "answer only once the read model has applied this position"},
        {"timeout-ms", "how long to wait for it (default 10000)"}},
       WithDomains(domains, RunQuery),
       64,
       QueriesHelp(domains)});
}

}  // namespace duet::cli
