#include "server/request_dispatch.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cctype>
#include <future>
#include <thread>

#include "server/http_headers.h"
#include "server/problem.h"

namespace duet::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// The headers the API and the dispatcher read; others are not copied out of
// the parser.
constexpr std::string_view kKeptHeaders[] = {"authorization",
                                             "idempotency-key",
                                             "expected-version",
                                             "last-event-id",
                                             "content-type",
                                             "accept",
                                             "host",
                                             "origin",
                                             "content-length",
                                             "transfer-encoding",
                                             "accept-encoding",
                                             "if-none-match",
                                             "access-control-request-method"};

// The request headers a preflight may announce (the ones the API reads).
constexpr std::string_view kCorsAllowHeaders =
    "authorization, content-type, idempotency-key, expected-version, last-event-id, "
    "if-none-match";
// The response headers a cross-origin script may read besides the safelisted ones.
constexpr std::string_view kCorsExposeHeaders =
    "ETag, Location, Retry-After, Allow, WWW-Authenticate, Content-Encoding";
// How long a browser may cache a preflight answer (seconds).
constexpr std::string_view kCorsMaxAge = "600";

HttpRequest ToHttpRequest(BeastRequest& message, bool* query_ok) {
  HttpRequest request;
  request.method = std::string(message.method_string());
  request.version = message.version();
  std::string_view target = message.target();
  size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  *query_ok = question == std::string_view::npos ||
              ParseQueryString(target.substr(question + 1), &request.query);
  for (std::string_view name : kKeptHeaders) {
    auto it = message.find(name);
    if (it != message.end()) request.headers[std::string(name)] = std::string(it->value());
  }
  request.body = std::move(message.body());
  return request;
}

// Keeps what a stream writes first, then reports the client gone, so that a
// stream answered off a socket ends after one chunk.
class FirstChunkWriter : public StreamWriter {
 public:
  bool Write(std::string chunk) override {
    if (written_) return false;
    written_ = true;
    first_ = std::move(chunk);
    return false;
  }
  bool stopping() const override { return true; }
  bool written() const { return written_; }
  std::string& first() { return first_; }

 private:
  bool written_ = false;
  std::string first_;
};

// Methods a browser form or fetch uses to change state; GET, HEAD and
// OPTIONS are safe (RFC 9110 9.2.1) and a browser sends them cross-site freely.
bool IsStateChanging(std::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

// A body is announced by a Content-Length above 0 or a Transfer-Encoding.
bool HasBody(const HttpRequest& request) {
  if (request.headers.contains("transfer-encoding")) return true;
  const std::string_view length = request.Header("content-length");
  return !length.empty() && length.find_first_not_of('0') != std::string_view::npos;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// application/json or application/<anything>+json, with any parameters. A
// browser sends none of these cross-site without a CORS preflight, which is
// what makes requiring them a CSRF defence.
bool IsJsonMediaType(std::string_view content_type) {
  std::string type = Lower(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.erase(0, 1);
  if (type == "application/json") return true;
  return type.starts_with("application/") && type.ends_with("+json") &&
         type.size() > std::string_view("application/+json").size();
}

// The Origin a same-origin page on this server sends: scheme://<Host>.
// The scheme is not checked: the dispatcher does not know whether the
// connection is TLS, and a page on the server's own host and port is the
// server's own either way.
bool IsSameOrigin(std::string_view origin, std::string_view host) {
  if (host.empty()) return false;
  const std::string lower_origin = Lower(origin);
  const std::string lower_host = Lower(host);
  return lower_origin == "http://" + lower_host || lower_origin == "https://" + lower_host;
}

// A strong ETag promises these exact bytes (RFC 9110 8.8.1); the gzipped
// body is other bytes, so its tag becomes weak, as nginx does. If-None-Match
// compares weakly, so a revalidation still gets its 304 either way.
void WeakenStrongEtag(HttpResponse* response) {
  for (auto& [name, value] : response->headers) {
    if (Lower(name) == "etag" && !value.starts_with("W/")) value = "W/" + value;
  }
}

}  // namespace

RequestDispatcher::RequestDispatcher(const Router* router, const TokenAuthority* authority,
                                     HttpLimits limits, RequestPolicy policy)
    : router_(router), authority_(authority), limits_(limits), policy_(std::move(policy)) {}

bool RequestDispatcher::OriginListed(std::string_view origin) const {
  for (const std::string& allowed : policy_.cors_origins) {
    if (allowed == origin) return true;
  }
  return false;
}

void RequestDispatcher::Bound(BeastRequestParser& parser) const {
  parser.header_limit(static_cast<uint32_t>(limits_.max_header_bytes));
  parser.body_limit(limits_.max_body_bytes);
}

std::optional<HttpResponse> RequestDispatcher::ReadFailure(beast::error_code ec) const {
  if (ec == http::error::end_of_stream || ec == net::error::eof ||
      ec == net::error::connection_reset || ec == net::error::operation_aborted) {
    return std::nullopt;
  }
  // A request that does not arrive in time (beast::error::timeout) finds
  // its socket already closed by the stream's deadline: nothing to answer.
  if (ec == beast::error::timeout) return std::nullopt;
  if (ec == http::error::body_limit) {
    return ProtocolProblem(
        413, "payload_too_large",
        "the body is larger than max_body_bytes (" + std::to_string(limits_.max_body_bytes) + ")");
  }
  if (ec == http::error::header_limit) {
    return ProtocolProblem(431, "headers_too_large",
                           "the headers are larger than max_header_bytes");
  }
  return ProtocolProblem(400, "malformed_request", "malformed HTTP request: " + ec.message());
}

DispatchPlan RequestDispatcher::Plan(BeastRequest message) const {
  bool query_ok = true;
  HttpRequest request = ToHttpRequest(message, &query_ok);
  return Decide(std::move(request), query_ok);
}

DispatchPlan RequestDispatcher::PlanHeader(const BeastRequestHeader& header) const {
  return Plan(BeastRequest(header));
}

bool RequestDispatcher::ExpectsContinue(const BeastRequestHeader& header) {
  auto it = header.find(http::field::expect);
  return it != header.end() && beast::iequals(it->value(), "100-continue");
}

DispatchPlan RequestDispatcher::Decide(HttpRequest request, bool query_ok) const {
  DispatchPlan plan;
  plan.request = std::move(request);
  const HttpRequest& r = plan.request;
  const bool has_origin = r.headers.contains("origin");
  const std::string_view origin = r.Header("origin");
  const std::string_view host = r.Header("host");
  plan.shaping.head = r.method == "HEAD";
  plan.shaping.gzip = AcceptsGzip(r.Header("accept-encoding"));
  plan.shaping.if_none_match = std::string(r.Header("if-none-match"));
  plan.shaping.vary_origin = !policy_.cors_origins.empty();
  if (has_origin && OriginListed(origin)) plan.shaping.cors_origin = std::string(origin);

  // RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
  if (r.version >= 11 && !r.headers.contains("host")) {
    plan.response = ProtocolProblem(400, "missing_host", "an HTTP/1.1 request needs a Host header");
    return plan;
  }
  if (policy_.bound_to_loopback && r.headers.contains("host") &&
      !IsLoopbackHostName(HostName(host))) {
    plan.response =
        ProtocolProblem(421, "host_not_allowed",
                        "this server listens on a loopback address and answers only Host "
                        "localhost or a loopback address, not " +
                            std::string(HostName(host)));
    return plan;
  }
  if (r.method == "OPTIONS") {
    AnswerOptions(plan);
    return plan;
  }
  RouteMatch match = router_->Find(r.method, r.path);
  if (match.route == nullptr) {
    plan.response =
        match.status == 405
            ? ProtocolProblem(405, "method_not_allowed", r.method + " is not allowed here")
            : ProblemResponse(Status::NotFound("route", "no route " + r.path));
    if (match.status == 405) plan.response->headers.emplace_back("Allow", match.allow);
    return plan;
  }
  plan.route = match.route;
  plan.route_label = match.route->pattern;
  if (!query_ok) {
    plan.response = ProblemResponse(Status::InvalidArgument("query", "bad percent-encoding"));
    return plan;
  }
  const bool state_changing = IsStateChanging(r.method);
  // A page on another site can make the browser send this request (a form,
  // a fetch in no-cors mode); its Origin header is the only sign of it.
  if (state_changing && has_origin && !OriginListed(origin) && !IsSameOrigin(origin, host)) {
    plan.response = ProtocolProblem(403, "origin_not_allowed",
                                    "requests from origin " + std::string(origin) +
                                        " may not change state here (it is not in cors_origins)");
    return plan;
  }
  if (plan.route->scope && authority_ != nullptr && authority_->enabled()) {
    Status allowed = authority_->Authorize(r.Header("authorization"), *plan.route->scope);
    if (!allowed.ok()) {
      plan.response = ProblemResponse(allowed);
      return plan;
    }
  }
  if (state_changing && HasBody(r) && !IsJsonMediaType(r.Header("content-type"))) {
    const std::string_view type = r.Header("content-type");
    plan.response = ProtocolProblem(415, "unsupported_media_type",
                                    "a request body must be Content-Type: application/json, not " +
                                        (type.empty() ? std::string("none") : std::string(type)));
    plan.response->headers.emplace_back("Accept-Post", "application/json");
    return plan;
  }
  if (plan.shaping.head && plan.route->execution == Execution::kStream) {
    // The stream's headers, without starting a stream nobody will read.
    HttpResponse head;
    head.content_type = "text/event-stream";
    head.head = true;
    head.headers.emplace_back("Cache-Control", "no-cache");
    plan.response = std::move(head);
    return plan;
  }
  plan.request.path_params = std::move(match.params);
  plan.execution = plan.route->execution;
  return plan;
}

void RequestDispatcher::AnswerOptions(DispatchPlan& plan) const {
  const HttpRequest& r = plan.request;
  std::string allow;
  if (r.path == "*") {
    // The server as a whole (RFC 9110 9.3.7): every method some route takes.
    for (const Route& route : router_->routes()) {
      for (const std::string& method : {route.method, std::string("HEAD")}) {
        if (method == "HEAD" && route.method != "GET") continue;
        if (allow.find(method) == std::string::npos) allow += (allow.empty() ? "" : ", ") + method;
      }
    }
    allow += allow.empty() ? "OPTIONS" : ", OPTIONS";
  } else {
    allow = router_->AllowedMethods(r.path, &plan.route_label);
    if (allow.empty()) {
      plan.response = ProblemResponse(Status::NotFound("route", "no route " + r.path));
      return;
    }
  }
  HttpResponse answer;
  answer.status = 204;
  answer.content_type.clear();
  answer.headers.emplace_back("Allow", allow);
  // A CORS preflight: only an allowed origin learns what it may send.
  if (!plan.shaping.cors_origin.empty() && r.headers.contains("access-control-request-method")) {
    answer.headers.emplace_back("Access-Control-Allow-Methods", allow);
    answer.headers.emplace_back("Access-Control-Allow-Headers", std::string(kCorsAllowHeaders));
    answer.headers.emplace_back("Access-Control-Max-Age", std::string(kCorsMaxAge));
  }
  plan.response = std::move(answer);
}

void RequestDispatcher::Finish(const ResponseShaping& shaping, HttpResponse* response) {
  response->headers.emplace_back("Date", HttpDateNow());
  std::string vary;
  auto vary_on = [&vary](std::string_view header) {
    vary += vary.empty() ? std::string(header) : ", " + std::string(header);
  };
  if (shaping.vary_origin) vary_on("Origin");
  if (!shaping.cors_origin.empty()) {
    response->headers.emplace_back("Access-Control-Allow-Origin", shaping.cors_origin);
    response->headers.emplace_back("Access-Control-Expose-Headers",
                                   std::string(kCorsExposeHeaders));
  }
  const std::string_view etag = response->Header("etag");
  if (response->status == 200 && !etag.empty() && !shaping.if_none_match.empty() &&
      IfNoneMatchMatches(shaping.if_none_match, etag)) {
    // RFC 9110 15.4.5: a 304 carries the headers a 200 would, without content.
    response->status = 304;
    response->body.clear();
    response->content_type.clear();
    response->head = true;
    response->head_length.reset();
  } else if (!response->head && response->body.size() >= kGzipMinBytes &&
             response->content_type != "text/event-stream") {
    // Never a stream: a compressor holds bytes back, and events must go out as they happen.
    vary_on("Accept-Encoding");
    std::string compressed;
    if (shaping.gzip && GzipCompress(response->body, &compressed).ok()) {
      response->body = std::move(compressed);
      response->headers.emplace_back("Content-Encoding", "gzip");
      WeakenStrongEtag(response);
    }
  }
  if (shaping.head && !response->head) {
    response->head = true;
    response->head_length = response->body.size();
    response->body.clear();
  }
  if (!vary.empty()) response->headers.emplace_back("Vary", vary);
}

std::string RequestDispatcher::StreamHeaderLines(const ResponseShaping& shaping) {
  std::string lines = "Date: " + HttpDateNow() + "\r\n";
  if (shaping.vary_origin) lines += "Vary: Origin\r\n";
  if (!shaping.cors_origin.empty()) {
    lines += "Access-Control-Allow-Origin: " + shaping.cors_origin + "\r\n";
    lines += "Access-Control-Expose-Headers: " + std::string(kCorsExposeHeaders) + "\r\n";
  }
  return lines;
}

namespace {

// The Reply of an asynchronous handler run on the calling thread: Run waits
// for its response, and After sleeps on the caller's thread, there being no
// other to run it on.
class WaitingReply final : public Reply {
 public:
  void Send(HttpResponse response) override { answer_.set_value(std::move(response)); }
  void After(std::chrono::microseconds delay, std::function<void()> fn) override {
    std::this_thread::sleep_for(delay);
    fn();
  }
  HttpResponse Wait() { return future_.get(); }

 private:
  std::promise<HttpResponse> answer_;
  std::future<HttpResponse> future_ = answer_.get_future();
};

}  // namespace

HttpResponse RequestDispatcher::Run(const DispatchPlan& plan) {
  if (plan.response) return *plan.response;
  if (plan.execution == Execution::kAsync) {
    auto reply = std::make_shared<WaitingReply>();
    plan.route->handle_async(plan.request, reply);
    return reply->Wait();
  }
  if (plan.execution != Execution::kStream) return plan.route->handle(plan.request);
  FirstChunkWriter writer;
  HttpResponse response = plan.route->stream(plan.request, writer);
  if (!writer.written()) return response;
  HttpResponse streamed;
  streamed.content_type = "text/event-stream";
  streamed.body = std::move(writer.first());
  return streamed;
}

std::optional<HttpResponse> RequestDispatcher::Handle(std::string_view bytes) const {
  // A connection closed before its first byte: Beast's read reports
  // end_of_stream, and the parser must not be told of an end it never began.
  if (bytes.empty()) return ReadFailure(http::error::end_of_stream);
  BeastRequestParser parser;
  Bound(parser);
  parser.eager(true);
  beast::error_code ec;
  net::const_buffer rest(bytes.data(), bytes.size());
  bool screened = false;
  while (!ec && !parser.is_done() && rest.size() > 0) {
    const size_t used = parser.put(rest, ec);
    rest += used;
    if (!ec && !screened && parser.is_header_done()) {
      // As a session does: a client waiting for 100 Continue is answered
      // from the head when the request will not be accepted.
      screened = true;
      if (!parser.is_done() && ExpectsContinue(parser.get())) {
        DispatchPlan early = PlanHeader(parser.get());
        if (early.response) {
          Finish(early.shaping, &*early.response);
          return early.response;
        }
      }
    }
    if (ec == http::error::need_more) {
      ec = {};
      break;  // everything left is an incomplete piece: the end of input decides
    }
    if (used == 0) break;
  }
  // The client closes its end after the bytes: an incomplete request is cut off.
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec) {
    std::optional<HttpResponse> failure = ReadFailure(ec);
    if (failure) Finish({}, &*failure);
    return failure;
  }
  DispatchPlan plan = Plan(parser.release());
  HttpResponse response = Run(plan);
  Finish(plan.shaping, &response);
  return response;
}

}  // namespace duet::server
