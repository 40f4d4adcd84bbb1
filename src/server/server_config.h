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
#include "duet/server.h"
#include "server/auth.h"

namespace duet::server {

// The config's types and parsing are public (duet/server.h); the server's
// own code names them in duet::server.
using ServerRole = AppRole;
using duet::ApplyServerEnv;
using duet::ApplyServerSetting;
using duet::LoadServerConfigFile;
using duet::ParseServerConfig;
using duet::ServerConfig;
using duet::ServerLimits;
using duet::ServerSettings;
using duet::SettingInfo;
using duet::ValidateServerConfig;
inline std::string_view ServerRoleName(ServerRole role) { return AppRoleName(role); }

// The settings as --help lines: "  --port N  ... (env DUET_PORT, file
// server.port; default 8080)".
std::string ServerSettingsHelp();

// The integer settings' range checks alone (part of ValidateServerConfig).
Status CheckServerSettingRanges(const ServerConfig& config);

}  // namespace duet::server

#endif  // DUET_SERVER_SERVER_CONFIG_H_
