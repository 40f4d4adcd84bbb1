// The route table: which handler answers a method and path, how it runs and
// which token scope it needs.
#ifndef DUET_SERVER_ROUTER_H_
#define DUET_SERVER_ROUTER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/auth.h"
#include "server/http_message.h"

namespace duet::server {

// Where a handler runs. Inline handlers run on an I/O thread and must not
// block (reads served from memory or a read store); worker handlers may block
// (durable appends, read-your-writes waits); stream handlers get a thread of
// their own and write a response of unbounded length.
enum class Execution : uint8_t { kInline, kWorker, kStream };

struct Route {
  std::string method{};          // "GET", "POST"
  std::string pattern{};         // "/commands/{type}": a {name} segment captures one path segment
  std::optional<Scope> scope{};  // nullopt: open to everyone
  Execution execution = Execution::kInline;
  // For kInline routes: when set and true for a request, that request runs
  // on a worker instead (e.g. a query that waits for read-your-writes).
  std::function<bool(const HttpRequest&)> blocks{};
  // kInline and kWorker.
  std::function<HttpResponse(const HttpRequest&)> handle{};
  // kStream: writes through `writer`. If it returns before writing anything,
  // its return value is sent as an ordinary response (e.g. a 400).
  std::function<HttpResponse(const HttpRequest&, StreamWriter& writer)> stream{};
  std::string summary{};  // one line, for listings
};

struct RouteMatch {
  const Route* route = nullptr;  // null: see `status`
  unsigned status = 200;         // 404 (no such path) or 405 (path known, method not)
  std::map<std::string, std::string, std::less<>> params;  // decoded captures
  std::string allow;                                       // for 405: the methods the path accepts
};

// Thread-compatible: routes are added before the server starts; Find is then
// called from any thread.
class Router {
 public:
  // REQUIRES: a route with the same method and pattern is not present.
  void Add(Route route);
  RouteMatch Find(std::string_view method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace duet::server

#endif  // DUET_SERVER_ROUTER_H_
