// ServerConfig: every setting of `duet serve`, with its default.
//
// Sources, highest precedence first: command-line flags, environment
// (DUET_<SETTING>), the TOML file (--config / DUET_CONFIG), the defaults
// below. One table (ServerSettings()) describes each setting once: its flag,
// environment variable, TOML key, default and help line; env parsing, file
// parsing, flag parsing and the --help text are all driven by it.
//
// API tokens come only from the file ([[auth.tokens]]): the environment of a
// process is readable through /proc, so there is no DUET_TOKENS.
//
// Plain value types and pure functions; thread-compatible.
#ifndef DUET_SERVER_SERVER_CONFIG_H_
#define DUET_SERVER_SERVER_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/options.h"
#include "duet/result.h"
#include "server/auth.h"

namespace duet::server {

// What this process serves.
enum class ServerRole : uint8_t {
  kAll,      // commands and queries on one data folder
  kCommand,  // commands, streams and the event feed only
  kQuery,    // queries, following a command node (`follow`)
};

// "all", "command", "query".
std::string_view ServerRoleName(ServerRole role);
Result<ServerRole> ParseServerRole(std::string_view name);

struct ServerLimits {
  uint64_t max_body_bytes = 1 << 20;
  uint64_t max_header_bytes = 8 << 10;
  std::chrono::milliseconds request_timeout{10'000};  // reading one whole request
  std::chrono::milliseconds idle_timeout{60'000};     // a keep-alive connection idle
  uint32_t max_connections = 1024;
  std::chrono::milliseconds max_query_wait{30'000};   // longest min_position wait
  std::chrono::milliseconds shutdown_grace{10'000};   // in-flight requests on SIGTERM
};

struct ServerConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port
  ServerRole role = ServerRole::kAll;
  std::string follow;  // http://host:port of the command node (role query)
  std::filesystem::path data = "data";
  uint32_t io_threads = 2;       // network I/O (Asio)
  uint32_t worker_threads = 64;  // blocking commands and waiting queries
  Durability durability;         // of the embedded store
  ServerLimits limits;
  std::vector<ApiToken> tokens;  // empty: the API is open
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
};

// Every setting in a stable order (tokens are not settings: see above).
const std::vector<SettingInfo>& ServerSettings();

// The settings as --help lines: "  --port N  ... (env DUET_PORT, file
// server.port; default 8080)".
std::string ServerSettingsHelp();

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
Status ApplyServerEnv(ServerConfig* config,
                      const std::function<const char*(const char*)>& getenv);

// The integer settings' range checks alone (part of ValidateServerConfig).
Status CheckServerSettingRanges(const ServerConfig& config);

// Cross-checks a complete config: role query needs `follow`
// (http://host:port), roles all and command must not have it; numbers in
// range; tokens valid (TokenAuthority::Create). InvalidArgument naming the
// setting.
Status ValidateServerConfig(const ServerConfig& config);

}  // namespace duet::server

#endif  // DUET_SERVER_SERVER_CONFIG_H_
