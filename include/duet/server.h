// The HTTP server any program can host for its own domains.
//
//   duet::ServerConfig config;              // or LoadServerConfigFile(...)
//   config.port = 8080;
//   auto server = duet::Server::Start({my::Domain()}, config);
//   ...                                     // serving until
//   (*server)->Stop(std::chrono::seconds(10));
//
// A Server opens an App (duet/app.h) for the domains in the config's role and
// data folder, and serves the HTTP API v1 over it (docs/http-api.md): one
// route per registered command and query, the stream and log reads, the live
// event feed, projections admin, /health, /ready, /metrics and an OpenAPI
// document generated from what the domains declare (/openapi.json).
//
// ServerConfig holds every setting of `duet serve`. Sources, highest
// precedence first: flags, DUET_<SETTING> environment variables, the TOML
// file, the defaults below; ServerSettings() describes each setting once.
// API tokens come only from the file: a process's environment is readable
// through /proc.
//
// Thread-safety: Start, Stop and destruction from one thread; the accessors
// are thread-safe. The server answers on its own threads.
#ifndef DUET_SERVER_H_
#define DUET_SERVER_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "duet/app.h"
#include "duet/options.h"
#include "duet/result.h"
#include "duet/status.h"

namespace duet {

// What a bearer token may do: kCommand (POST /commands, POST /streams),
// kQuery (reads, queries, the event feed), kAdmin (projections, metrics).
enum class Scope : uint8_t { kCommand, kQuery, kAdmin };

// "command", "query", "admin"; and back (InvalidArgument("scope") otherwise).
std::string_view ScopeName(Scope scope);
Result<Scope> ParseScope(std::string_view name);

struct ApiToken {
  std::string name;   // who: shown in logs and errors, never the token
  std::string token;  // the secret: 16..256 visible ASCII characters
  std::vector<Scope> scopes;
};

struct ServerLimits {
  uint64_t max_body_bytes = 1 << 20;
  uint64_t max_header_bytes = 8 << 10;
  std::chrono::milliseconds request_timeout{10'000};  // reading one whole request
  std::chrono::milliseconds idle_timeout{60'000};     // a keep-alive connection idle
  uint32_t max_connections = 1024;
  std::chrono::milliseconds max_query_wait{30'000};  // longest min_position wait
  std::chrono::milliseconds shutdown_grace{10'000};  // in-flight requests on SIGTERM
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port
  AppRole role = AppRole::kAll;
  std::string follow;  // http://host:port of the command node (role query)
  // Empty: the embedded store in `data`. postgresql://user@host:port/db: the
  // PostgreSQL store, shared by every node given it (duet/app.h).
  std::string store;
  std::filesystem::path data = "data";
  uint32_t io_threads = 2;       // network I/O (Asio)
  uint32_t worker_threads = 64;  // blocking commands and waiting queries
  Durability durability;         // of the embedded store (PostgreSQL: its own)
  ServerLimits limits;
  std::vector<ApiToken> tokens;  // empty: the API is open
  // TLS (docs/http-api.md, "TLS"): PEM files of the certificate chain and
  // its private key. Both set: the port speaks HTTPS only; both empty: HTTP.
  std::string tls_cert;
  std::string tls_key;
  // Role query with an https:// `follow`: the PEM file of the CAs trusted to
  // sign the command node's certificate. Empty: the system's trust store.
  std::string follow_ca;
  // Browser origins ("https://app.example") allowed to call the API
  // cross-origin (CORS); empty: none (docs/http-api.md, "Browser safety").
  std::vector<std::string> cors_origins;
};

// One setting, for documentation and parsing.
struct SettingInfo {
  std::string_view name;      // "max_body_bytes"
  std::string_view flag;      // "--max-body-bytes"
  std::string_view env;       // "DUET_MAX_BODY_BYTES"
  std::string_view toml_key;  // "limits.max_body_bytes"
  std::string default_value;  // as text, from ServerConfig{}
  std::string_view help;
  bool integer = false;  // a TOML integer (else a string)
  bool list = false;     // a comma-separated list: in TOML also an array of strings
};

// Every setting in a stable order (tokens are not settings: see above).
const std::vector<SettingInfo>& ServerSettings();

// Sets the setting called `name` (SettingInfo::name) from text, as a flag
// would. InvalidArgument with subject `subject` (e.g. "--port") when the
// text does not parse or is out of range; NotFound for an unknown name.
Status ApplyServerSetting(ServerConfig* config, std::string_view name, std::string_view text,
                          std::string_view subject);

// Reads a TOML file over the defaults: [server], [limits] and [[auth.tokens]]
// (name, token, scopes = ["command", "query", "admin"]). Unknown keys, wrong
// types and bad values are InvalidArgument whose subject is the key path
// (e.g. "limits.max_body_bytes") and whose message names the file and line.
// A file that is not TOML is InvalidArgument("config", "<file>:<line>:<col>:
// ..."); an unreadable file is IOError/NotFound.
Result<ServerConfig> LoadServerConfigFile(const std::filesystem::path& path);
// The same from text; `source` names it in messages.
Result<ServerConfig> ParseServerConfig(std::string_view toml, std::string_view source);

// Overlays the DUET_<SETTING> variables that are set (getenv returns nullptr
// for unset ones). Errors are InvalidArgument with the variable's name as
// subject. DUET_CONFIG is the caller's (it picks the file).
Status ApplyServerEnv(ServerConfig* config, const std::function<const char*(const char*)>& getenv);

// Cross-checks a complete config: `store` empty or postgresql://...; role
// query needs `follow` (http:// or https://host:port) or a PostgreSQL
// `store`, never both; roles all and command must not have `follow`;
// numbers in range; tokens valid; tls_cert and tls_key both or neither, and
// readable files; follow_ca only with an https:// follow, and readable.
// InvalidArgument naming the setting.
Status ValidateServerConfig(const ServerConfig& config);

// `url` with the password of its user part (postgresql://user:secret@...)
// replaced by "***", for banners, logs and error messages.
std::string RedactStoreUrl(std::string_view url);

class Server {
 public:
  // Opens an App for `domains` (role, data folder, follow URL and
  // durability from `config`) and starts serving it.
  // Errors: InvalidArgument (ValidateServerConfig), the App's errors
  // (App::Open), IOError when the address cannot be bound.
  static Result<std::unique_ptr<Server>> Start(std::vector<Domain> domains,
                                               const ServerConfig& config);

  // Stops accepting, lets requests in flight finish for up to `grace`, then
  // closes the App (the log flushes and syncs). Idempotent.
  virtual void Stop(std::chrono::milliseconds grace) = 0;
  virtual ~Server() = default;

  virtual App& app() = 0;
  virtual const ServerConfig& config() const = 0;
  // The bound port (config().port, or the one chosen for port 0).
  virtual uint16_t port() const = 0;
  // "http://host:port", or "https://host:port" with TLS.
  virtual std::string url() const = 0;

  // Loads the TLS certificate and key files again (SIGHUP in `duet serve`):
  // connections accepted from now on use them, established ones go on with
  // the old ones. On error the old certificate stays in use. Errors:
  // FailedPrecondition (TLS is off), InvalidArgument("tls_cert"/"tls_key")
  // when a file does not load or the key does not match.
  virtual Status ReloadTls() = 0;
};

// The OpenAPI 3.1 document of what `app` serves in its role: one path per
// registered command (its contract as the body schema) and per query (its
// parameters and answer schema), plus the routes every node serves.
// Deterministic: the same domains give the same text.
std::string OpenApiDocument(const App& app);

}  // namespace duet

#endif  // DUET_SERVER_H_
