#include "server/console_routes.h"

#include <string>

#include "server/console_assets.h"
#include "server/problem.h"

namespace duet::server {
namespace {

// The headers every console file carries. `no-cache`: the names carry no
// hash, so a browser asks again each time, and the strong ETag makes that a
// 304 without a body (RequestDispatcher::Finish) until the binary changes.
void AddConsoleHeaders(const ConsoleAsset& asset, HttpResponse* response) {
  response->headers.emplace_back("ETag", std::string(asset.etag));
  response->headers.emplace_back("Cache-Control", "no-cache");
  response->headers.emplace_back("Content-Security-Policy",
                                 std::string(kConsoleContentSecurityPolicy));
  response->headers.emplace_back("X-Content-Type-Options", "nosniff");
  response->headers.emplace_back("Referrer-Policy", "no-referrer");
}

const ConsoleAsset* FindAsset(std::string_view name) {
  for (const ConsoleAsset& asset : ConsoleAssets()) {
    if (asset.name == name) return &asset;
  }
  return nullptr;
}

// A name that could only be an attempt to leave the console's flat folder:
// a dot segment, a slash or backslash that arrived percent-encoded (a literal
// one would have made another path segment), or a NUL byte. Refused as bad
// input rather than looked up, so that the answer says why.
bool IsHostileAssetName(std::string_view name) {
  return name == "." || name == ".." ||
         name.find_first_of(std::string_view("/\\\0", 3)) != std::string_view::npos;
}

HttpResponse ServeAsset(std::string_view name) {
  if (IsHostileAssetName(name)) {
    return ProblemResponse(Status::InvalidArgument(
        "path", "a console file name has no slash, backslash, NUL byte or dot segment"));
  }
  const ConsoleAsset* asset = FindAsset(name);
  if (asset == nullptr) {
    return ProblemResponse(Status::NotFound("path", "no console file /ui/" + std::string(name)));
  }
  HttpResponse response;
  response.content_type = std::string(asset->content_type);
  response.body = std::string(asset->bytes);
  AddConsoleHeaders(*asset, &response);
  return response;
}

}  // namespace

void AddConsoleRoutes(Router* router) {
  // Relative URLs in index.html ("app.js") resolve against /ui/, not /: a
  // bookmark of /ui must land on /ui/.
  router->Add({.method = "GET",
               .pattern = "/ui",
               .handle =
                   [](const HttpRequest&) {
                     HttpResponse response;
                     response.status = 301;
                     response.content_type.clear();
                     response.headers.emplace_back("Location", "/ui/");
                     return response;
                   },
               .summary = "the web console (redirects to /ui/)"});
  router->Add({.method = "GET",
               .pattern = "/ui/",
               .handle = [](const HttpRequest&) { return ServeAsset("index.html"); },
               .summary = "the web console"});
  router->Add(
      {.method = "GET",
       .pattern = "/ui/{asset}",
       .handle = [](const HttpRequest& request) { return ServeAsset(request.PathParam("asset")); },
       .summary = "a file of the web console"});
}

}  // namespace duet::server
