// fuzz_http: arbitrary bytes as one HTTP request (request line, headers, body,
// query string) through the server's RequestDispatcher, the code path of
// every connection, on a role-all node with both example domains on an
// embedded store (tests/fuzz/example_app_fixture.h), bearer tokens on, one
// CORS origin allowed (https://app.example) and bound to loopback, so that
// the browser-safety rules (Host, Origin, Content-Type) are all reachable.
//
// Invariants: no crash; bytes that hold a request get a response; every
// response body that claims to be JSON parses (strictly: UTF-8 included);
// every error is a problem document with the fields docs/http-api.md
// documents; a request never gets a 5xx except a query's "not yet" (503
// timeout) or a failure of the store itself; every response has a Date;
// HEAD and 304 answers have no body; gzip bodies are gzip; a request refused
// by a browser-safety rule (403 origin_not_allowed, 415, 421) appended
// nothing.
#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/api_routes.h"
#include "server/auth.h"
#include "server/console_routes.h"
#include "server/request_dispatch.h"
#include "server/router.h"
#include "tests/fuzz/example_app_fixture.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace json = boost::json;
using duet::server::HttpResponse;

// The tokens the seed corpus uses (tests/fuzz/make_http_seeds.py).
constexpr std::string_view kAdminToken = "fuzz-admin-token-0123456789";
constexpr std::string_view kQueryToken = "fuzz-query-token-0123456789";

// The node: routes bound to the fixture's current app. Rebuilt whenever the
// fixture reopens its app.
struct Node {
  duet::server::TokenAuthority authority;
  duet::server::Router router;
  std::unique_ptr<duet::server::RequestDispatcher> dispatcher;

  explicit Node(duet::App& app) {
    using duet::server::Scope;
    duet::Result<duet::server::TokenAuthority> made = duet::server::TokenAuthority::Create(
        {{"admin", std::string(kAdminToken), {Scope::kCommand, Scope::kQuery, Scope::kAdmin}},
         {"reader", std::string(kQueryToken), {Scope::kQuery}}});
    DUET_FUZZ_CHECK(made.ok(), made.status().ToString().c_str());
    authority = std::move(*made);
    duet::server::ApiBackends backends;
    backends.role = "all";
    backends.store = app.store();
    backends.commands = app.commands();
    backends.projections = app.projections();
    backends.queries = app.queries();
    backends.health = [&app] { return app.Health(); };
    backends.metrics = [] { return std::string("# no metrics in the fuzz target\n"); };
    // A query that waits for min_position would stall the fuzzer: "not yet" at once.
    backends.default_query_wait = std::chrono::milliseconds(0);
    backends.max_query_wait = std::chrono::milliseconds(0);
    duet::server::AddApiRoutes(backends, &router);
    duet::server::AddConsoleRoutes(&router);
    duet::server::HttpLimits limits;
    limits.max_body_bytes = 64 << 10;  // small, so that 413 is reachable by mutation
    limits.max_header_bytes = 4 << 10;
    duet::server::RequestPolicy policy;
    policy.cors_origins = {"https://app.example"};
    policy.bound_to_loopback = true;
    dispatcher =
        std::make_unique<duet::server::RequestDispatcher>(&router, &authority, limits, policy);
  }
};

bool IsJsonType(std::string_view content_type) {
  return content_type == "application/json" || content_type == "application/problem+json";
}

// docs/http-api.md, "Errors": type, title, status, detail, code; subject optional.
void CheckProblem(const HttpResponse& response, const json::value& parsed) {
  const json::object* object = parsed.if_object();
  DUET_FUZZ_CHECK(object != nullptr, "a problem document is not an object");
  for (const char* field : {"type", "title", "detail", "code"}) {
    const json::value* value = object->if_contains(field);
    DUET_FUZZ_CHECK(value != nullptr && value->is_string(), field);
  }
  const json::value* status = object->if_contains("status");
  DUET_FUZZ_CHECK(
      status != nullptr && status->is_number() && status->to_number<uint64_t>() == response.status,
      "a problem's status differs from the response's");
  const std::string code(object->at("code").get_string());
  DUET_FUZZ_CHECK(object->at("type").get_string() == "https://duet.dev/problems/" + code,
                  "a problem's type does not name its code");
  if (const json::value* subject = object->if_contains("subject")) {
    DUET_FUZZ_CHECK(subject->is_string(), "a problem's subject is not a string");
  }
}

void CheckResponse(const HttpResponse& response, duet::App& app) {
  DUET_FUZZ_CHECK(response.status >= 200 && response.status <= 599, "status out of range");
  DUET_FUZZ_CHECK(!response.Header("date").empty(), "a response without Date");
  if (response.head || response.status == 304) {
    DUET_FUZZ_CHECK(response.body.empty(), "a HEAD or 304 answer with a body");
    return;
  }
  if (response.Header("content-encoding") == "gzip") {
    DUET_FUZZ_CHECK(response.body.size() >= 18 && static_cast<uint8_t>(response.body[0]) == 0x1f &&
                        static_cast<uint8_t>(response.body[1]) == 0x8b,
                    "a gzip body without the gzip magic");
    return;  // the JSON checks below apply to the uncompressed form, checked elsewhere
  }
  json::value parsed;
  if (IsJsonType(response.content_type)) {
    boost::system::error_code ec;
    parsed = json::parse(response.body, ec);
    DUET_FUZZ_CHECK(
        !ec, ("a JSON body does not parse: " + ec.message() + ": " + response.body.substr(0, 300))
                 .c_str());
  }
  if (response.content_type == "application/problem+json") CheckProblem(response, parsed);
  if (response.status < 500) return;
  // /health and /ready answer 503 with {"status": <code>} when the node is
  // not well or not ready yet: a state, not a fault of the request.
  const json::object* object = parsed.if_object();
  DUET_FUZZ_CHECK(object != nullptr, ("a 5xx without a JSON object: " + response.body).c_str());
  const json::value* code =
      object->if_contains(response.content_type == "application/problem+json" ? "code" : "status");
  DUET_FUZZ_CHECK(code != nullptr && code->is_string(), "a 5xx names no code");
  const bool not_yet = code->get_string() == "timeout";
  const bool store_failed = !app.Health().ok();
  DUET_FUZZ_CHECK(not_yet || store_failed,
                  ("a 5xx while the store is healthy: " + response.body).c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Destroyed at exit in reverse order: the node, then the app and its folder.
  static duet::fuzz::ExampleAppFixture fixture(/*read_side=*/true);
  static auto node = std::make_unique<Node>(fixture.app());
  if (fixture.NextInput()) node = std::make_unique<Node>(fixture.app());
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const duet::GlobalPosition head_before = fixture.app().store()->HeadPosition();
  std::optional<HttpResponse> response = node->dispatcher->Handle(bytes);
  if (!response) {
    // Only a connection that sent no request at all goes unanswered.
    DUET_FUZZ_CHECK(bytes.find_first_not_of("\r\n") == std::string_view::npos,
                    "bytes holding a request got no response");
    return 0;
  }
  CheckResponse(*response, fixture.app());
  const bool refused_as_unsafe = response->status == 415 || response->status == 421 ||
                                 response->body.find("\"origin_not_allowed\"") != std::string::npos;
  if (refused_as_unsafe) {
    DUET_FUZZ_CHECK(fixture.app().store()->HeadPosition() == head_before,
                    "a request refused by a browser-safety rule appended events");
  }
  return 0;
}
