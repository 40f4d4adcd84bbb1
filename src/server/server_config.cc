// ServerConfig from a TOML file, and its validation. The settings themselves
// are described in server_settings.cc.
//
// toml++ is Debian's compiled libtomlplusplus, built with exceptions: parse
// errors are caught here, at the edge, and become InvalidArgument.
#include "server/server_config.h"

#include <toml++/toml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "duet/postgres_store.h"
#include "util/file_util.h"

namespace duet {
namespace {

// "<source>:<line>: " for messages.
std::string Where(std::string_view source, const toml::node& node) {
  return std::string(source) + ":" + std::to_string(node.source().begin.line) + ": ";
}

Status KeyError(std::string_view path, std::string_view source, const toml::node& node,
                std::string_view what) {
  return Status::InvalidArgument(path, Where(source, node) + std::string(what));
}

// One key of [server] or [limits]: a setting, of the right TOML type.
Status ApplySettingNode(std::string_view path, const toml::node& node, std::string_view source,
                        ServerConfig* config) {
  for (const SettingInfo& setting : ServerSettings()) {
    if (setting.toml_key != path) continue;
    std::string text;
    if (setting.integer) {
      if (!node.is_integer()) return KeyError(path, source, node, "must be an integer");
      text = std::to_string(node.as_integer()->get());
    } else if (setting.list && node.is_array()) {
      for (const toml::node& element : *node.as_array()) {
        if (!element.is_string()) return KeyError(path, source, element, "must hold strings");
        text += (text.empty() ? "" : ",") + element.as_string()->get();
      }
    } else {
      if (!node.is_string()) return KeyError(path, source, node, "must be a string");
      text = node.as_string()->get();
    }
    const Status status = ApplyServerSetting(config, setting.name, text, path);
    return status.ok() ? status : KeyError(path, source, node, status.message());
  }
  return KeyError(path, source, node, "unknown key");
}

Status ApplySection(std::string_view section, const toml::node& node, std::string_view source,
                    ServerConfig* config) {
  const toml::table* table = node.as_table();
  if (table == nullptr) return KeyError(section, source, node, "must be a table");
  for (const auto& [key, value] : *table) {
    const std::string path = std::string(section) + "." + std::string(key.str());
    DUET_RETURN_IF_ERROR(ApplySettingNode(path, value, source, config));
  }
  return Status::OK();
}

Result<std::vector<Scope>> ParseScopes(std::string_view path, const toml::node& node,
                                       std::string_view source) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return KeyError(path, source, node, "must be an array of scope names");
  std::vector<Scope> scopes;
  for (const toml::node& element : *array) {
    auto scope = element.is_string() ? ParseScope(element.as_string()->get())
                                     : Result<Scope>(Status::InvalidArgument("scope", ""));
    if (!scope.ok()) return KeyError(path, source, element, "must hold command, query or admin");
    scopes.push_back(*scope);
  }
  return scopes;
}

Result<ApiToken> ParseToken(std::string_view path, const toml::node& node,
                            std::string_view source) {
  const toml::table* table = node.as_table();
  if (table == nullptr) return KeyError(path, source, node, "must be a table");
  ApiToken token;
  for (const auto& [key, value] : *table) {
    const std::string field = std::string(path) + "." + std::string(key.str());
    if (key == "name" || key == "token") {
      // Never echo the value: it may be the secret.
      if (!value.is_string()) return KeyError(field, source, value, "must be a string");
      (key == "name" ? token.name : token.token) = value.as_string()->get();
    } else if (key == "scopes") {
      DUET_ASSIGN_OR_RETURN(token.scopes, ParseScopes(field, value, source));
    } else {
      return KeyError(field, source, value, "unknown key");
    }
  }
  for (const char* required : {"name", "token", "scopes"}) {
    if (!table->contains(required)) {
      return KeyError(std::string(path) + "." + required, source, node, "is missing");
    }
  }
  return token;
}

Status ApplyAuth(const toml::node& node, std::string_view source, ServerConfig* config) {
  const toml::table* table = node.as_table();
  if (table == nullptr) return KeyError("auth", source, node, "must be a table");
  for (const auto& [key, value] : *table) {
    if (key != "tokens")
      return KeyError("auth." + std::string(key.str()), source, value, "unknown key");
    const toml::array* tokens = value.as_array();
    if (tokens == nullptr) return KeyError("auth.tokens", source, value, "must be [[auth.tokens]]");
    for (size_t i = 0; i < tokens->size(); ++i) {
      const std::string path = "auth.tokens[" + std::to_string(i) + "]";
      DUET_ASSIGN_OR_RETURN(ApiToken token, ParseToken(path, *tokens->get(i), source));
      config->tokens.push_back(std::move(token));
    }
  }
  return Status::OK();
}

Status ApplyRoot(const toml::table& root, std::string_view source, ServerConfig* config) {
  for (const auto& [key, value] : root) {
    if (key == "server" || key == "limits" || key == "store") {
      DUET_RETURN_IF_ERROR(ApplySection(key.str(), value, source, config));
    } else if (key == "auth") {
      DUET_RETURN_IF_ERROR(ApplyAuth(value, source, config));
    } else {
      return KeyError(key.str(), source, value,
                      "unknown key (sections: server, limits, store, auth)");
    }
  }
  return Status::OK();
}

bool IsHttpsUrl(std::string_view url) { return url.starts_with("https://"); }

// "http://host:port" or "https://host:port", with an optional trailing slash.
bool IsFollowUrl(std::string_view url) {
  const std::string_view scheme = IsHttpsUrl(url) ? "https://" : "http://";
  if (!url.starts_with(scheme)) return false;
  url.remove_prefix(scheme.size());
  if (url.ends_with('/')) url.remove_suffix(1);
  const size_t colon = url.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view host = url.substr(0, colon);
  const std::string_view port = url.substr(colon + 1);
  if (host.find_first_of("/ @?#") != std::string_view::npos) return false;
  if (port.empty() || port.size() > 5) return false;
  if (port.find_first_not_of("0123456789") != std::string_view::npos) return false;
  const int number = std::stoi(std::string(port));
  return number >= 1 && number <= 65535;
}

// A file setting names a file this process can read. Whether it holds a
// usable certificate or key is for the server's start (tls_context.h).
Status CheckReadableFile(std::string_view setting, const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return Status::InvalidArgument(setting, path + ": no such file");
  }
  if (std::FILE* file = std::fopen(path.c_str(), "rb"); file != nullptr) {
    std::fclose(file);
    return Status::OK();
  }
  return Status::InvalidArgument(setting, path + ": not readable: " + std::strerror(errno));
}

Status ValidateTlsSettings(const ServerConfig& config) {
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    return Status::InvalidArgument(config.tls_cert.empty() ? "tls_cert" : "tls_key",
                                   "tls_cert and tls_key go together: give both or neither");
  }
  if (!config.tls_cert.empty()) {
    DUET_RETURN_IF_ERROR(CheckReadableFile("tls_cert", config.tls_cert));
    DUET_RETURN_IF_ERROR(CheckReadableFile("tls_key", config.tls_key));
  }
  if (!config.follow_ca.empty()) {
    if (!IsHttpsUrl(config.follow)) {
      return Status::InvalidArgument("follow_ca", "only for an https:// follow URL");
    }
    DUET_RETURN_IF_ERROR(CheckReadableFile("follow_ca", config.follow_ca));
  }
  return Status::OK();
}

}  // namespace

Result<ServerConfig> ParseServerConfig(std::string_view toml, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(toml, source);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument("config", std::string(source) + ":" +
                                                 std::to_string(e.source().begin.line) + ":" +
                                                 std::to_string(e.source().begin.column) + ": " +
                                                 std::string(e.description()));
  }
  ServerConfig config;
  DUET_RETURN_IF_ERROR(ApplyRoot(root, source, &config));
  // Token rules (length, uniqueness) checked now, so a bad file fails at load.
  DUET_RETURN_IF_ERROR(server::TokenAuthority::Create(config.tokens).status());
  return config;
}

Result<ServerConfig> LoadServerConfigFile(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound(path.string(), "no such file");
  DUET_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(path));
  return ParseServerConfig(text, path.string());
}

Status ValidateServerConfig(const ServerConfig& config) {
  DUET_RETURN_IF_ERROR(server::CheckServerSettingRanges(config));
  if (config.host.empty()) return Status::InvalidArgument("host", "must not be empty");
  if (config.data.empty()) return Status::InvalidArgument("data", "must name a folder");
  if (config.durability.mode == Durability::Mode::kInterval &&
      config.durability.interval.count() <= 0) {
    return Status::InvalidArgument("durability", "interval must be > 0 ms");
  }
  if (!config.store.empty() && !IsPostgresUrl(config.store)) {
    return Status::InvalidArgument(
        "store", "must be postgresql://user@host:port/database (empty: the embedded store)");
  }
  if (!config.store.empty() && !config.follow.empty()) {
    return Status::InvalidArgument("follow",
                                   "a node on a PostgreSQL store reads it directly: give store or "
                                   "follow, not both");
  }
  if (config.role == AppRole::kQuery && config.store.empty()) {
    if (config.follow.empty()) {
      return Status::InvalidArgument("follow",
                                     "role query needs follow = http://host:port of a command "
                                     "node, or store = postgresql://... to read");
    }
    if (!IsFollowUrl(config.follow)) {
      return Status::InvalidArgument("follow", "must be http://host:port or https://host:port");
    }
  } else if (!config.follow.empty()) {
    return Status::InvalidArgument("follow", "only a query node follows another node (role is " +
                                                 std::string(AppRoleName(config.role)) + ")");
  }
  DUET_RETURN_IF_ERROR(ValidateTlsSettings(config));
  return server::TokenAuthority::Create(config.tokens).status();
}

std::string RedactStoreUrl(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const size_t start = scheme + 3;
  const size_t at = url.find('@', start);
  const size_t slash = url.find('/', start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) {
    return std::string(url);
  }
  const size_t colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

}  // namespace duet
