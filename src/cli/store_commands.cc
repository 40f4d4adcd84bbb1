// duet append | read | verify | stats: the event store from the shell.
#include <boost/json.hpp>
#include <ostream>

#include "cli/command.h"
#include "duet/embedded_store.h"
#include "duet/postgres_store.h"
#include "follow/event_json.h"
#include "util/json_text.h"

namespace duet::cli {
namespace {

const FlagSpec kDataFlag{"data", "data folder of the embedded store (this or --store)"};

// The store named by --data (the embedded store) or --store (PostgreSQL):
// exactly one of them.
Result<std::unique_ptr<EventStore>> OpenStore(const Flags& flags) {
  DUET_ASSIGN_OR_RETURN(StoreOptions options, StoreOptionsFromFlags(flags));
  if (std::optional<std::string> url = flags.Get("store")) {
    if (flags.Has("data")) {
      return Status::InvalidArgument("--store", "give --data or --store, not both");
    }
    PostgresStoreOptions postgres;
    postgres.store = options;
    postgres.read_connections = 1;
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<PostgresStore> store,
                          PostgresStore::Open(*url, postgres));
    return std::unique_ptr<EventStore>(std::move(store));
  }
  if (!flags.Has("data")) {
    return Status::InvalidArgument("--data", "is required (or --store postgresql://...)");
  }
  DUET_ASSIGN_OR_RETURN(std::unique_ptr<EmbeddedStore> store,
                        EmbeddedStore::Open(*flags.Get("data"), options));
  return std::unique_ptr<EventStore>(std::move(store));
}

int RunAppend(const Flags& flags, std::ostream& out, std::ostream& err) {
  auto stream = flags.Required("stream");
  if (!stream.ok()) return ReportError(stream.status(), err);
  auto type = flags.Required("type");
  if (!type.ok()) return ReportError(type.status(), err);
  auto json = flags.Required("json");
  if (!json.ok()) return ReportError(json.status(), err);
  boost::system::error_code ec;
  boost::json::parse(*json, ec);
  if (ec)
    return ReportError(Status::InvalidArgument("--json", "not valid JSON: " + ec.message()), err);
  auto count = flags.Uint("count", 1);
  if (!count.ok()) return ReportError(count.status(), err);
  if (*count == 0)
    return ReportError(Status::InvalidArgument("--count", "must be at least 1"), err);
  ExpectedVersion expected = ExpectedVersion::Any();
  if (auto text = flags.Get("expected")) {
    auto parsed = ExpectedVersion::Parse(*text);
    if (!parsed.ok()) return ReportError(parsed.status(), err);
    expected = *parsed;
  }
  auto store = OpenStore(flags);
  if (!store.ok()) return ReportError(store.status(), err);
  std::vector<EventData> events(*count, EventData{{}, *type, *json, "{}"});
  auto result = (*store)->Append(*stream, expected, events);
  if (!result.ok()) return ReportError(result.status(), err);
  const uint64_t last_position = result->position.value;
  const uint64_t last_version = result->next_expected_version.value;
  for (uint64_t i = 0; i < *count; ++i) {
    out << last_position - (*count - 1 - i) << " " << last_version - (*count - 1 - i) << "\n";
  }
  return 0;
}

int RunRead(const Flags& flags, std::ostream& out, std::ostream& err) {
  const bool all = flags.Has("all");
  const auto stream = flags.Get("stream");
  if (all == stream.has_value()) {
    return ReportError(Status::InvalidArgument("--stream", "give exactly one of --stream or --all"),
                       err);
  }
  auto limit = flags.Uint("limit", UINT64_MAX);
  if (!limit.ok()) return ReportError(limit.status(), err);
  const bool backward = flags.Get("direction") == "backward";
  if (auto d = flags.Get("direction"); d && *d != "forward" && *d != "backward") {
    return ReportError(Status::InvalidArgument("--direction", "must be forward or backward"), err);
  }
  auto from = flags.Uint("from", all ? 1 : (backward ? kStreamEnd.value : 0));
  if (!from.ok()) return ReportError(from.status(), err);
  auto store = OpenStore(flags);
  if (!store.ok()) return ReportError(store.status(), err);
  constexpr uint64_t kPage = 4096;
  uint64_t remaining = *limit;
  uint64_t next = *from;
  while (remaining > 0) {
    const uint64_t page = std::min(remaining, kPage);
    auto events =
        all ? (*store)->ReadAll(GlobalPosition(next), page)
            : (*store)->ReadStream(*stream, StreamVersion(next), page,
                                   backward ? ReadDirection::kBackward : ReadDirection::kForward);
    if (!events.ok()) return ReportError(events.status(), err);
    for (const RecordedEvent& e : *events) out << follow::EventToJson(e) << "\n";
    remaining -= events->size();
    if (events->size() < page) break;
    const RecordedEvent& last = events->back();
    if (all) {
      next = last.position.value + 1;
    } else if (backward) {
      if (last.version.value == 0) break;
      next = last.version.value - 1;
    } else {
      next = last.version.value + 1;
    }
  }
  return 0;
}

int RunVerify(const Flags& flags, std::ostream& out, std::ostream& err) {
  if (flags.Has("store")) {
    return ReportError(
        Status::InvalidArgument("--store",
                                "verify checks an embedded store's data folder (--data DIR); "
                                "a PostgreSQL store is checked by PostgreSQL itself"),
        err);
  }
  auto dir = flags.Required("data");
  if (!dir.ok()) return ReportError(dir.status(), err);
  auto stats = VerifyDataFolder(*dir);
  if (!stats.ok()) return ReportError(stats.status(), err);
  out << "ok: " << stats->events << " events in " << stats->segments << " segments, "
      << stats->log_bytes << " bytes, head " << stats->head.value << "\n";
  return 0;
}

int RunStats(const Flags& flags, std::ostream& out, std::ostream& err) {
  auto store = OpenStore(flags);
  if (!store.ok()) return ReportError(store.status(), err);
  boost::json::object o;
  auto* embedded = dynamic_cast<EmbeddedStore*>(store->get());
  if (embedded == nullptr) {  // PostgreSQL: positions are contiguous, so events = head
    const uint64_t head = (*store)->HeadPosition().value;
    o["store"] = "postgresql";
    o["events"] = head;
    o["head"] = head;
    out << JsonText(o) << "\n";
    return 0;
  }
  const StoreStats stats = embedded->Stats();
  o["streams"] = stats.streams;
  o["events"] = stats.events;
  o["log_bytes"] = stats.log_bytes;
  o["segments"] = stats.segments;
  o["head"] = stats.head.value;
  out << JsonText(o) << "\n";
  return 0;
}

}  // namespace

void AddStoreCommands(std::vector<Command>* commands) {
  commands->push_back(
      {"append",
       "duet append (--data DIR | --store URL) --stream S --type T --json DATA [--expected V] "
       "[--count N]",
       "Append events to a stream; prints `position version` per acknowledged event.\n"
       "--count N appends N copies of the event in one atomic append.",
       {kDataFlag,
        kStoreFlag,
        {"stream", "stream name, e.g. account-42 (required)"},
        {"type", "event type, e.g. AccountOpened (required)"},
        {"json", "event data, a JSON document (required)"},
        {"expected", "any (default), no_stream, stream_exists or a version number"},
        {"count", "number of events to append (default 1)"},
        kDurabilityFlag},
       RunAppend});
  commands->push_back(
      {"read",
       "duet read (--data DIR | --store URL) (--stream S | --all) [--from N] [--limit N]",
       "Read events as JSON lines: one stream from a version, or all from a position.",
       {kDataFlag,
        kStoreFlag,
        {"stream", "the stream to read"},
        {"all", "read all streams in position order", false},
        {"from", "first version (stream) or position (all) to read"},
        {"limit", "maximum number of events"},
        {"direction", "forward (default) or backward, for --stream"}},
       RunRead});
  commands->push_back({"verify",
                       "duet verify --data DIR",
                       "Check every record of the log (framing, CRC, positions); names the first\n"
                       "corruption and exits 1, or prints the totals. Embedded store only.",
                       {kDataFlag, {"store", "refused: a PostgreSQL store is not a data folder"}},
                       RunVerify});
  commands->push_back({"stats",
                       "duet stats (--data DIR | --store URL)",
                       "Print streams, events, bytes, segments and head as JSON (on PostgreSQL:\n"
                       "events and head).",
                       {kDataFlag, kStoreFlag},
                       RunStats});
}

}  // namespace duet::cli
