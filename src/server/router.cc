#include "server/router.h"

#include <cassert>

namespace duet::server {
namespace {

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> segments;
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

// Matches `path` against `pattern`, filling `params`. A capture must be a
// non-empty segment that decodes cleanly.
bool Matches(std::string_view pattern, std::string_view path,
             std::map<std::string, std::string, std::less<>>* params) {
  std::vector<std::string_view> want = Segments(pattern);
  std::vector<std::string_view> got = Segments(path);
  if (want.size() != got.size()) return false;
  for (size_t i = 0; i < want.size(); ++i) {
    std::string_view w = want[i];
    if (w.size() >= 2 && w.front() == '{' && w.back() == '}') {
      std::string decoded;
      if (got[i].empty() || !PercentDecode(got[i], &decoded, false)) return false;
      (*params)[std::string(w.substr(1, w.size() - 2))] = std::move(decoded);
    } else if (w != got[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Router::Add(Route route) {
  for ([[maybe_unused]] const Route& r : routes_) {
    assert(!(r.method == route.method && r.pattern == route.pattern));
  }
  routes_.push_back(std::move(route));
}

RouteMatch Router::Find(std::string_view method, std::string_view path) const {
  RouteMatch match;
  match.status = 404;
  for (const Route& route : routes_) {
    std::map<std::string, std::string, std::less<>> params;
    if (!Matches(route.pattern, path, &params)) continue;
    if (route.method == method) {
      match.route = &route;
      match.status = 200;
      match.params = std::move(params);
      return match;
    }
    match.status = 405;
    if (match.allow.find(route.method) == std::string::npos) {
      match.allow += match.allow.empty() ? route.method : ", " + route.method;
    }
  }
  return match;
}

}  // namespace duet::server
