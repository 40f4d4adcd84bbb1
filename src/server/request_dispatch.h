// RequestDispatcher: what the server does with one request, apart from
// sockets and threads: parser limits, the answer to a request that cannot be
// read, the HttpRequest, routing, the token check and the problem documents
// of each refusal. HttpServer's sessions go through it for every request, and
// so can a test or a fuzz target that has only bytes (Handle), so that both
// exercise one code path.
#ifndef DUET_SERVER_REQUEST_DISPATCH_H_
#define DUET_SERVER_REQUEST_DISPATCH_H_

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "server/auth.h"
#include "server/http_server.h"
#include "server/router.h"

namespace duet::server {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// What to do with one parsed request: answer it at once (`response` set:
// no route, a bad query string, a refused token) or run `route`'s handler
// on `request` as `execution` says.
struct DispatchPlan {
  std::optional<HttpResponse> response;
  const Route* route = nullptr;
  Execution execution = Execution::kInline;
  HttpRequest request;
  std::string route_label = "unmatched";  // for metrics: the route's pattern or "unmatched"
};

// Thread-safe (const after construction).
class RequestDispatcher {
 public:
  // `router` and `authority` (null: the API is open) must outlive it.
  RequestDispatcher(const Router* router, const TokenAuthority* authority, HttpLimits limits);

  // Bounds a fresh parser by the limits: the 431 and 413 come from it.
  void Bound(BeastRequestParser& parser) const;

  // The answer to a request that could not be read (413, 431, 400), or
  // nullopt when there is nobody to answer: the client closed the connection
  // or did not send the request in time.
  std::optional<HttpResponse> ReadFailure(boost::beast::error_code ec) const;

  // Routing, the query string, the token: what to do with `message`.
  DispatchPlan Plan(BeastRequest message) const;

  // Runs a plan's handler on the calling thread: its response, or for a
  // stream route what it writes up to its first chunk, as a 200 of
  // `text/event-stream` (the client "leaves" then, which ends the stream).
  static HttpResponse Run(const DispatchPlan& plan);

  // The whole path for `bytes` holding one request (bytes after it are
  // ignored), on the calling thread, as if a client had sent them and closed
  // its end. nullopt when a connection would get no answer (no request at all).
  std::optional<HttpResponse> Handle(std::string_view bytes) const;

 private:
  const Router* router_;
  const TokenAuthority* authority_;
  HttpLimits limits_;
};

}  // namespace duet::server

#endif  // DUET_SERVER_REQUEST_DISPATCH_H_
