#include "server/problem.h"

#include <boost/json.hpp>

#include "util/json_text.h"
#include "util/utf8.h"

namespace duet::server {
namespace {

std::string_view TitleOf(unsigned http_status) {
  const std::string_view phrase = ReasonPhrase(http_status);
  return phrase.empty() || http_status < 400 ? "Internal Server Error" : phrase;
}

boost::json::object ProblemBody(unsigned http_status, std::string_view code,
                                std::string_view detail) {
  boost::json::object body;
  body["type"] = "https://duet.dev/problems/" + std::string(code);
  body["title"] = TitleOf(http_status);
  body["status"] = http_status;
  // Details and subjects quote request bytes (a path, a parameter): repaired,
  // so that the document stays valid JSON whatever a client sent.
  body["detail"] = ReplaceInvalidUtf8(detail);
  body["code"] = code;
  return body;
}

HttpResponse ProblemOf(unsigned http_status, const boost::json::object& body) {
  HttpResponse response;
  response.status = http_status;
  response.content_type = "application/problem+json";
  response.body = JsonText(body);
  return response;
}

}  // namespace

std::string_view ReasonPhrase(unsigned http_status) {
  switch (http_status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 415: return "Unsupported Media Type";
    case 421: return "Misdirected Request";
    case 422: return "Unprocessable Content";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    case 507: return "Insufficient Storage";
    case 500: return "Internal Server Error";
    default: return "";
  }
}

unsigned HttpStatusOf(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kUnauthorized: return 401;
    case StatusCode::kForbidden: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kWrongExpectedVersion:
    case StatusCode::kConflict:
    case StatusCode::kRebuildRunning: return 409;
    case StatusCode::kDomainRuleViolated:
    case StatusCode::kIdempotencyKeyReused: return 422;
    case StatusCode::kOverloaded:
    case StatusCode::kTimeout:
    case StatusCode::kUnavailable:
    case StatusCode::kBusy: return 503;
    case StatusCode::kStorageFull: return 507;
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kUpcastFailed: return 500;
  }
  return 500;
}

HttpResponse ProblemResponse(const Status& status) {
  const unsigned http_status = HttpStatusOf(status);
  boost::json::object body =
      ProblemBody(http_status, StatusCodeName(status.code()), status.message());
  if (!status.subject().empty()) body["subject"] = ReplaceInvalidUtf8(status.subject());
  if (status.code() == StatusCode::kWrongExpectedVersion) {
    if (status.actual_version()) {
      body["actual_version"] = *status.actual_version();
    } else {
      body["actual_version"] = nullptr;
    }
  }
  if (status.position()) body["position"] = *status.position();
  HttpResponse response = ProblemOf(http_status, body);
  if (http_status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  if (http_status == 503) response.headers.emplace_back("Retry-After", "1");
  return response;
}

HttpResponse ProtocolProblem(unsigned http_status, std::string_view code, std::string_view detail) {
  return ProblemOf(http_status, ProblemBody(http_status, code, detail));
}

}  // namespace duet::server
