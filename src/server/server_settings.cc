// The settings table behind ServerSettings(), ApplyServerSetting,
// ApplyServerEnv and the --help text: each setting is described once here.
#include <algorithm>
#include <charconv>

#include "duet/query_bus.h"
#include "server/http_headers.h"
#include "server/server_config.h"

namespace duet {
namespace {

using std::chrono::milliseconds;

constexpr uint64_t kHourMs = 3'600'000;

// One setting. Integer settings carry a range and accessors; text settings
// a parser (which reports errors with any subject; the caller renames it)
// and a printer.
struct Setting {
  std::string_view name, flag, env, toml_key, metavar, help;
  uint64_t min = 0, max = 0;
  uint64_t (*get_int)(const ServerConfig&) = nullptr;
  void (*set_int)(ServerConfig*, uint64_t) = nullptr;
  Status (*set_text)(ServerConfig*, std::string_view) = nullptr;
  std::string (*show)(const ServerConfig&) = nullptr;
  bool list = false;  // a text setting holding a comma-separated list

  bool integer() const { return get_int != nullptr; }
  std::string Show(const ServerConfig& c) const {
    return integer() ? std::to_string(get_int(c)) : show(c);
  }
};

Status SetHost(ServerConfig* c, std::string_view text) {
  if (text.empty() || text.find_first_of(" /\t") != std::string_view::npos) {
    return Status::InvalidArgument("host", "must be a host name or IP address");
  }
  c->host = std::string(text);
  return Status::OK();
}

Status SetRole(ServerConfig* c, std::string_view text) {
  DUET_ASSIGN_OR_RETURN(c->role, ParseAppRole(text));
  return Status::OK();
}

Status SetData(ServerConfig* c, std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("data", "must name a folder");
  c->data = std::filesystem::path(std::string(text));
  return Status::OK();
}

Status SetDurability(ServerConfig* c, std::string_view text) {
  DUET_ASSIGN_OR_RETURN(c->durability, Durability::Parse(text));
  return Status::OK();
}

// "https://a.example, http://localhost:3000": each origin checked, exact.
Status SetCorsOrigins(ServerConfig* c, std::string_view text) {
  std::vector<std::string> origins;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view origin = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    while (!origin.empty() && origin.front() == ' ') origin.remove_prefix(1);
    while (!origin.empty() && origin.back() == ' ') origin.remove_suffix(1);
    if (origin.empty()) continue;
    DUET_RETURN_IF_ERROR(server::ValidateOrigin(origin));
    origins.emplace_back(origin);
  }
  c->cors_origins = std::move(origins);
  return Status::OK();
}

std::string ShowCorsOrigins(const ServerConfig& c) {
  std::string text;
  for (const std::string& origin : c.cors_origins) text += (text.empty() ? "" : ",") + origin;
  return text;
}

// A duration setting in milliseconds, e.g. MsField<&ServerLimits::idle_timeout>.
template <milliseconds ServerLimits::*kField>
uint64_t GetMs(const ServerConfig& c) {
  return static_cast<uint64_t>((c.limits.*kField).count());
}
template <milliseconds ServerLimits::*kField>
void SetMs(ServerConfig* c, uint64_t v) {
  c->limits.*kField = milliseconds(static_cast<int64_t>(v));
}

// A file path setting held as text (empty: unset).
template <std::string ServerConfig::*kField>
Status SetPath(ServerConfig* c, std::string_view text) {
  c->*kField = std::string(text);
  return Status::OK();
}
template <std::string ServerConfig::*kField>
std::string ShowText(const ServerConfig& c) {
  return c.*kField;
}

const std::vector<Setting>& Table() {
  static const std::vector<Setting> kTable = {
      {"host", "--host", "DUET_HOST", "server.host", "HOST",
       "address to listen on (keep 127.0.0.1 unless a proxy or firewall fronts it)", 0, 0, nullptr,
       nullptr, SetHost, [](const ServerConfig& c) { return c.host; }},
      {"port", "--port", "DUET_PORT", "server.port", "N", "TCP port; 0 picks any free port", 0,
       65535, [](const ServerConfig& c) -> uint64_t { return c.port; },
       [](ServerConfig* c, uint64_t v) { c->port = static_cast<uint16_t>(v); }},
      {"role", "--role", "DUET_ROLE", "server.role", "all|command|query",
       "what this node serves: all, command (writes and the event feed) or query (follows a "
       "command node, or reads a PostgreSQL store)",
       0, 0, nullptr, nullptr, SetRole,
       [](const ServerConfig& c) { return std::string(AppRoleName(c.role)); }},
      {"follow", "--follow", "DUET_FOLLOW", "server.follow", "URL",
       "http:// or https://host:port of the command node a query node follows", 0, 0, nullptr,
       nullptr,
       [](ServerConfig* c, std::string_view text) {
         c->follow = std::string(text);
         return Status::OK();
       },
       [](const ServerConfig& c) { return c.follow; }},
      {"store", "--store", "DUET_STORE", "store.url", "URL",
       "the event store: empty for the embedded one in the data folder, or "
       "postgresql://user@host:port/db shared by several command nodes (a query node then reads "
       "it instead of following)",
       0, 0, nullptr, nullptr,
       [](ServerConfig* c, std::string_view text) {
         c->store = std::string(text);
         return Status::OK();
       },
       [](const ServerConfig& c) { return c.store; }},
      {"data", "--data", "DUET_DATA", "server.data", "DIR", "data folder", 0, 0, nullptr, nullptr,
       SetData, [](const ServerConfig& c) { return c.data.string(); }},
      {"io_threads", "--io-threads", "DUET_IO_THREADS", "server.io_threads", "N",
       "threads doing network I/O", 1, 256,
       [](const ServerConfig& c) -> uint64_t { return c.io_threads; },
       [](ServerConfig* c, uint64_t v) { c->io_threads = static_cast<uint32_t>(v); }},
      {"worker_threads", "--worker-threads", "DUET_WORKER_THREADS", "server.worker_threads", "N",
       "threads running blocking admin operations (rebuild, verify)", 1, 4096,
       [](const ServerConfig& c) -> uint64_t { return c.worker_threads; },
       [](ServerConfig* c, uint64_t v) { c->worker_threads = static_cast<uint32_t>(v); }},
      {"durability", "--durability", "DUET_DURABILITY", "server.durability",
       "sync|interval:<ms>|none", "when an append is acknowledged relative to the disk", 0, 0,
       nullptr, nullptr, SetDurability,
       [](const ServerConfig& c) { return c.durability.ToString(); }},
      {"max_body_bytes", "--max-body-bytes", "DUET_MAX_BODY_BYTES", "limits.max_body_bytes", "N",
       "largest request body (larger: 413)", 1, 1ull << 30,
       [](const ServerConfig& c) { return c.limits.max_body_bytes; },
       [](ServerConfig* c, uint64_t v) { c->limits.max_body_bytes = v; }},
      {"max_header_bytes", "--max-header-bytes", "DUET_MAX_HEADER_BYTES", "limits.max_header_bytes",
       "N", "largest request head (larger: 431)", 1024, 1 << 20,
       [](const ServerConfig& c) { return c.limits.max_header_bytes; },
       [](ServerConfig* c, uint64_t v) { c->limits.max_header_bytes = v; }},
      {"request_timeout_ms", "--request-timeout-ms", "DUET_REQUEST_TIMEOUT_MS",
       "limits.request_timeout_ms", "MS",
       "time to read one whole request (slower: the connection is closed)", 1, kHourMs,
       GetMs<&ServerLimits::request_timeout>, SetMs<&ServerLimits::request_timeout>},
      {"idle_timeout_ms", "--idle-timeout-ms", "DUET_IDLE_TIMEOUT_MS", "limits.idle_timeout_ms",
       "MS", "keep-alive connection idle time before it is closed", 1, kHourMs,
       GetMs<&ServerLimits::idle_timeout>, SetMs<&ServerLimits::idle_timeout>},
      {"max_connections", "--max-connections", "DUET_MAX_CONNECTIONS", "limits.max_connections",
       "N", "open connections at most; more are answered 503 and closed", 1, 1'000'000,
       [](const ServerConfig& c) -> uint64_t { return c.limits.max_connections; },
       [](ServerConfig* c, uint64_t v) { c->limits.max_connections = static_cast<uint32_t>(v); }},
      {"max_query_wait_ms", "--max-query-wait-ms", "DUET_MAX_QUERY_WAIT_MS",
       "limits.max_query_wait_ms", "MS",
       "longest wait for min_position a query may ask (timeout_ms is capped to it; at most "
       "30000, the query bus's own cap)",
       0, static_cast<uint64_t>(QueryBus::kMaxWait.count()), GetMs<&ServerLimits::max_query_wait>,
       SetMs<&ServerLimits::max_query_wait>},
      {"shutdown_grace_ms", "--shutdown-grace-ms", "DUET_SHUTDOWN_GRACE_MS",
       "limits.shutdown_grace_ms", "MS", "on SIGTERM/SIGINT, time in-flight requests get to finish",
       0, kHourMs, GetMs<&ServerLimits::shutdown_grace>, SetMs<&ServerLimits::shutdown_grace>},
      {"tls_cert", "--tls-cert", "DUET_TLS_CERT", "server.tls_cert", "FILE",
       "PEM certificate chain: with tls_key, the port speaks HTTPS only (reloaded on SIGHUP)", 0, 0,
       nullptr, nullptr, SetPath<&ServerConfig::tls_cert>, ShowText<&ServerConfig::tls_cert>},
      {"tls_key", "--tls-key", "DUET_TLS_KEY", "server.tls_key", "FILE",
       "PEM private key of tls_cert (reloaded on SIGHUP)", 0, 0, nullptr, nullptr,
       SetPath<&ServerConfig::tls_key>, ShowText<&ServerConfig::tls_key>},
      {"follow_ca", "--follow-ca", "DUET_FOLLOW_CA", "server.follow_ca", "FILE",
       "PEM CA certificates trusted for an https:// follow URL (default: the system's)", 0, 0,
       nullptr, nullptr, SetPath<&ServerConfig::follow_ca>, ShowText<&ServerConfig::follow_ca>},
      {"cors_origins", "--cors-origins", "DUET_CORS_ORIGINS", "server.cors_origins", "ORIGINS",
       "browser origins allowed to call the API cross-origin, comma-separated "
       "(https://app.example); empty: none",
       0, 0, nullptr, nullptr, SetCorsOrigins, ShowCorsOrigins, /*list=*/true},
  };
  return kTable;
}

const Setting* FindSetting(std::string_view name) {
  for (const Setting& s : Table()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string RangeText(const Setting& s) {
  return "must be an integer from " + std::to_string(s.min) + " to " + std::to_string(s.max);
}

}  // namespace

const std::vector<SettingInfo>& ServerSettings() {
  static const std::vector<SettingInfo> kInfo = [] {
    const ServerConfig defaults;
    std::vector<SettingInfo> info;
    for (const Setting& s : Table()) {
      info.push_back(
          {s.name, s.flag, s.env, s.toml_key, s.Show(defaults), s.help, s.integer(), s.list});
    }
    return info;
  }();
  return kInfo;
}

std::string server::ServerSettingsHelp() {
  std::string out;
  for (const Setting& s : Table()) {
    std::string head = "  " + std::string(s.flag) + " " + std::string(s.metavar);
    head.resize(std::max<size_t>(head.size() + 1, 32), ' ');
    out += head + std::string(s.help) + "\n";
    out += std::string(32, ' ') + "(env " + std::string(s.env) + ", file " +
           std::string(s.toml_key) + "; default " + s.Show(ServerConfig{}) + ")\n";
  }
  return out;
}

Status ApplyServerSetting(ServerConfig* config, std::string_view name, std::string_view text,
                          std::string_view subject) {
  const Setting* s = FindSetting(name);
  if (s == nullptr) return Status::NotFound(name, "no such server setting");
  if (!s->integer()) {
    const Status status = s->set_text(config, text);
    return status.ok() ? status : Status::InvalidArgument(subject, status.message());
  }
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < s->min ||
      value > s->max) {
    return Status::InvalidArgument(subject, RangeText(*s));
  }
  s->set_int(config, value);
  return Status::OK();
}

Status ApplyServerEnv(ServerConfig* config, const std::function<const char*(const char*)>& getenv) {
  for (const Setting& s : Table()) {
    const std::string env(s.env);
    const char* value = getenv(env.c_str());
    if (value != nullptr) DUET_RETURN_IF_ERROR(ApplyServerSetting(config, s.name, value, env));
  }
  return Status::OK();
}

Status server::CheckServerSettingRanges(const ServerConfig& config) {
  for (const Setting& s : Table()) {
    if (!s.integer()) continue;
    const uint64_t value = s.get_int(config);
    if (value < s.min || value > s.max) return Status::InvalidArgument(s.name, RangeText(s));
  }
  return Status::OK();
}

}  // namespace duet
