// RequestDispatcher: what the server does with one request, apart from
// sockets and threads: parser limits, the answer to a request that cannot be
// read, the HttpRequest, routing, the token check, the browser-safety and
// conformance rules (Host, Origin, Content-Type, CORS, HEAD, OPTIONS) and
// the problem documents of each refusal, and the headers every answer gets
// (Date, CORS, gzip, 304). HttpServer's sessions go through it for every request, and
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
#include <vector>

#include "server/auth.h"
#include "server/http_server.h"
#include "server/router.h"

namespace duet::server {

using BeastRequest = boost::beast::http::request<boost::beast::http::string_body>;
using BeastRequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;
using BeastRequestHeader = BeastRequest::header_type;

// The request rules that depend on where and for whom the server runs.
struct RequestPolicy {
  // Origins (scheme://host[:port]) allowed cross-origin; empty: CORS is off.
  std::vector<std::string> cors_origins{};
  // The server listens on a loopback address only: a Host that does not name
  // this machine is DNS rebinding, and is refused (421 host_not_allowed).
  bool bound_to_loopback = false;
};

// What the answer to one request gets on its way out (Finish), decided
// from the request's headers.
struct ResponseShaping {
  bool head = false;          // a HEAD: the headers alone
  bool gzip = false;          // Accept-Encoding allows gzip
  bool vary_origin = false;   // CORS is on: answers depend on Origin
  std::string cors_origin;    // an allowed Origin, echoed; "" none
  std::string if_none_match;  // "" none
};

// Answers at least this long are gzip-compressed when the client allows it;
// shorter ones gain less than the header costs.
inline constexpr size_t kGzipMinBytes = 1024;

// What to do with one parsed request: answer it at once (`response` set:
// no route, a bad query string, a refused token) or run `route`'s handler
// on `request` as `execution` says.
struct DispatchPlan {
  std::optional<HttpResponse> response;
  const Route* route = nullptr;
  Execution execution = Execution::kInline;
  HttpRequest request;
  std::string route_label = "unmatched";  // for metrics: the route's pattern or "unmatched"
  ResponseShaping shaping;
};

// Thread-safe (const after construction).
class RequestDispatcher {
 public:
  // `router` and `authority` (null: the API is open) must outlive it.
  RequestDispatcher(const Router* router, const TokenAuthority* authority, HttpLimits limits,
                    RequestPolicy policy = {});

  // Bounds a fresh parser by the limits: the 431 and 413 come from it.
  void Bound(BeastRequestParser& parser) const;

  // The answer to a request that could not be read (413, 431, 400), or
  // nullopt when there is nobody to answer: the client closed the connection
  // or did not send the request in time.
  std::optional<HttpResponse> ReadFailure(boost::beast::error_code ec) const;

  // Host, routing, OPTIONS, the query string, Origin, the token and the
  // Content-Type: what to do with `message`.
  DispatchPlan Plan(BeastRequest message) const;

  // The same from the head alone, before the body is read: a plan with a
  // response (a refusal, or the answer to OPTIONS) needs no body; otherwise
  // the request will be accepted as far as its head tells.
  DispatchPlan PlanHeader(const BeastRequestHeader& header) const;

  // True when the client waits for "100 Continue" before sending its body.
  static bool ExpectsContinue(const BeastRequestHeader& header);

  // What every answer gets: Date; the CORS headers of an allowed origin;
  // 304 for a matching If-None-Match on an answer with an ETag; gzip for
  // long answers the client accepts; for HEAD, the body dropped.
  static void Finish(const ResponseShaping& shaping, HttpResponse* response);

  // The header lines ("Name: value\r\n") a streamed 200 carries besides its
  // status line and content type: Date and the CORS headers.
  static std::string StreamHeaderLines(const ResponseShaping& shaping);

  // Runs a plan's handler on the calling thread: its response, or for a
  // stream route what it writes up to its first chunk, as a 200 of
  // `text/event-stream` (the client "leaves" then, which ends the stream).
  static HttpResponse Run(const DispatchPlan& plan);

  // The whole path for `bytes` holding one request (bytes after it are
  // ignored), on the calling thread, as if a client had sent them and closed
  // its end, finished (Finish). A request with "Expect: 100-continue" is
  // planned from its head first, as a connection would be. nullopt when a
  // connection would get no answer (no request at all).
  std::optional<HttpResponse> Handle(std::string_view bytes) const;

 private:
  DispatchPlan Decide(HttpRequest request, bool query_ok) const;
  void AnswerOptions(DispatchPlan& plan) const;
  bool OriginListed(std::string_view origin) const;

  const Router* router_;
  const TokenAuthority* authority_;
  HttpLimits limits_;
  RequestPolicy policy_;
};

}  // namespace duet::server

#endif  // DUET_SERVER_REQUEST_DISPATCH_H_
