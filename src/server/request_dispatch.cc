#include "server/request_dispatch.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <future>
#include <thread>

#include "server/problem.h"

namespace duet::server {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// The headers the API reads; others are not copied out of the parser.
constexpr std::string_view kKeptHeaders[] = {"authorization", "idempotency-key", "expected-version",
                                             "last-event-id", "content-type",    "accept"};

HttpRequest ToHttpRequest(BeastRequest& message, bool* query_ok) {
  HttpRequest request;
  request.method = std::string(message.method_string());
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

}  // namespace

RequestDispatcher::RequestDispatcher(const Router* router, const TokenAuthority* authority,
                                     HttpLimits limits)
    : router_(router), authority_(authority), limits_(limits) {}

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
  DispatchPlan plan;
  bool query_ok = true;
  plan.request = ToHttpRequest(message, &query_ok);
  const HttpRequest& request = plan.request;
  RouteMatch match = router_->Find(request.method, request.path);
  if (match.route == nullptr) {
    plan.response =
        match.status == 405
            ? ProtocolProblem(405, "method_not_allowed", request.method + " is not allowed here")
            : ProblemResponse(Status::NotFound("route", "no route " + request.path));
    if (match.status == 405) plan.response->headers.emplace_back("Allow", match.allow);
    return plan;
  }
  plan.route = match.route;
  plan.route_label = match.route->pattern;
  if (!query_ok) {
    plan.response = ProblemResponse(Status::InvalidArgument("query", "bad percent-encoding"));
    return plan;
  }
  if (plan.route->scope && authority_ != nullptr && authority_->enabled()) {
    Status allowed = authority_->Authorize(request.Header("authorization"), *plan.route->scope);
    if (!allowed.ok()) {
      plan.response = ProblemResponse(allowed);
      return plan;
    }
  }
  plan.request.path_params = std::move(match.params);
  plan.execution = plan.route->execution;
  return plan;
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
  while (!ec && !parser.is_done() && rest.size() > 0) {
    const size_t used = parser.put(rest, ec);
    rest += used;
    if (ec == http::error::need_more) {
      ec = {};
      break;  // everything left is an incomplete piece: the end of input decides
    }
    if (used == 0) break;
  }
  // The client closes its end after the bytes: an incomplete request is cut off.
  if (!ec && !parser.is_done()) parser.put_eof(ec);
  if (ec) return ReadFailure(ec);
  return Run(Plan(parser.release()));
}

}  // namespace duet::server
