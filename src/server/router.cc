#include "server/router.h"

#include <algorithm>
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
  const std::string_view wanted = method == "HEAD" ? std::string_view("GET") : method;
  for (const Route& route : routes_) {
    std::map<std::string, std::string, std::less<>> params;
    if (!Matches(route.pattern, path, &params)) continue;
    if (route.method == wanted) {
      match.route = &route;
      match.status = 200;
      match.params = std::move(params);
      return match;
    }
    match.status = 405;
  }
  if (match.status == 405) match.allow = AllowedMethods(path);
  return match;
}

std::string Router::AllowedMethods(std::string_view path, std::string* pattern) const {
  std::vector<std::string_view> methods;
  auto add = [&methods](std::string_view method) {
    if (std::find(methods.begin(), methods.end(), method) == methods.end()) {
      methods.push_back(method);
    }
  };
  for (const Route& route : routes_) {
    std::map<std::string, std::string, std::less<>> params;
    if (!Matches(route.pattern, path, &params)) continue;
    if (pattern != nullptr && methods.empty()) *pattern = route.pattern;
    add(route.method);
    if (route.method == "GET") add("HEAD");
  }
  if (methods.empty()) return {};
  add("OPTIONS");
  std::string allow;
  for (std::string_view method : methods) {
    if (!allow.empty()) allow += ", ";
    allow += method;
  }
  return allow;
}

}  // namespace duet::server
