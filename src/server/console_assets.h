// The web console's files (src/server/console/), compiled into the binary at
// build time by cmake/DuetEmbedAssets.cmake, which generates the definition
// of ConsoleAssets(): no files to deploy next to `duet`.
#ifndef DUET_SERVER_CONSOLE_ASSETS_H_
#define DUET_SERVER_CONSOLE_ASSETS_H_

#include <span>
#include <string_view>

namespace duet::server {

// One file of the console. Everything points into static storage.
struct ConsoleAsset {
  std::string_view name;          // "app.js": a flat file name, served as /ui/<name>
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view etag;          // strong, quoted: "\"<16 hex digits of SHA-256>\""
  std::string_view bytes;
};

// Every asset, sorted by name. Thread-safe (constant data).
std::span<const ConsoleAsset> ConsoleAssets();

}  // namespace duet::server

#endif  // DUET_SERVER_CONSOLE_ASSETS_H_
