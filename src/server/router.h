// The route table: which handler answers a method and path, how it runs and
// which token scope it needs.
#ifndef DUET_SERVER_ROUTER_H_
#define DUET_SERVER_ROUTER_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/deferrer.h"
#include "server/auth.h"
#include "server/http_message.h"

namespace duet::server {

// Where a handler runs. Inline handlers run on an I/O thread and must not
// block (reads served from memory or a read store); asynchronous handlers
// start on an I/O thread without blocking and answer later from any thread
// (a durable append, a read-your-writes wait); worker handlers may block
// (admin operations); stream handlers get a thread of their own and write a
// response of unbounded length.
enum class Execution : uint8_t { kInline, kAsync, kWorker, kStream };

// How an asynchronous handler answers. Thread-safe.
class Reply {
 public:
  virtual ~Reply() = default;
  // Sends the response. Call exactly once, from any thread; after the
  // server stopped, the response is dropped.
  virtual void Send(HttpResponse response) = 0;
  // Runs `fn` on a server thread once `delay` has passed (zero: as soon as
  // possible), or never if the server stops first.
  virtual void After(std::chrono::microseconds delay, std::function<void()> fn) = 0;
};

// `reply`'s After as a Deferrer (duet/deferrer.h), for the asynchronous buses.
inline Deferrer DeferOn(std::shared_ptr<Reply> reply) {
  return [reply = std::move(reply)](std::chrono::microseconds delay, std::function<void()> fn) {
    reply->After(delay, std::move(fn));
  };
}

struct Route {
  std::string method{};          // "GET", "POST"
  std::string pattern{};         // "/commands/{type}": a {name} segment captures one path segment
  std::optional<Scope> scope{};  // nullopt: open to everyone
  Execution execution = Execution::kInline;
  // kInline and kWorker.
  std::function<HttpResponse(const HttpRequest&)> handle{};
  // kAsync: starts the work and returns; `reply` answers once. `request` is
  // not valid after the call: copy what a later step needs.
  std::function<void(const HttpRequest&, std::shared_ptr<Reply> reply)> handle_async{};
  // kStream: writes through `writer`. If it returns before writing anything,
  // its return value is sent as an ordinary response (e.g. a 400).
  std::function<HttpResponse(const HttpRequest&, StreamWriter& writer)> stream{};
  std::string summary{};  // one line, for listings
};

struct RouteMatch {
  const Route* route = nullptr;  // null: see `status`
  unsigned status = 200;         // 404 (no such path) or 405 (path known, method not)
  std::map<std::string, std::string, std::less<>> params;  // decoded captures
  std::string allow;  // for 405: the methods the path accepts (AllowedMethods)
};

// Thread-compatible: routes are added before the server starts; Find is then
// called from any thread.
class Router {
 public:
  // REQUIRES: a route with the same method and pattern is not present.
  void Add(Route route);
  // A HEAD finds the GET route of the path (the dispatcher drops the body).
  RouteMatch Find(std::string_view method, std::string_view path) const;
  // The Allow header of `path`: its routes' methods, HEAD where GET is
  // served, and OPTIONS ("GET, HEAD, OPTIONS"); "" for an unknown path.
  // `pattern`, when given, gets the pattern of the first route matching it.
  std::string AllowedMethods(std::string_view path, std::string* pattern = nullptr) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace duet::server

#endif  // DUET_SERVER_ROUTER_H_
