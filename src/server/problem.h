// Errors over HTTP: one application/problem+json shape (RFC 9457) for every
// failure, and one table from duet::StatusCode to HTTP status (docs/errors.md).
#ifndef DUET_SERVER_PROBLEM_H_
#define DUET_SERVER_PROBLEM_H_

#include <string_view>

#include "duet/status.h"
#include "server/http_message.h"

namespace duet::server {

// The HTTP status of a failed Status (400, 401, 403, 404, 409, 422, 500, 503, 507).
unsigned HttpStatusOf(const Status& status);

// {"type","title","status","detail","code","subject"?,"actual_version"?,
// "position"?} with the HTTP status of `status`; 401 adds WWW-Authenticate,
// "not yet" adds Retry-After.
HttpResponse ProblemResponse(const Status& status);

// The RFC 9110 reason phrase of an HTTP status ("Content Too Large" for
// 413, "Unprocessable Content" for 422), also the title of its problem
// documents; "" for a status the server does not send.
std::string_view ReasonPhrase(unsigned http_status);

// A failure of the protocol itself (413 body too large, 431, 405, 408, ...),
// with `code` naming it (e.g. "body_too_large").
HttpResponse ProtocolProblem(unsigned http_status, std::string_view code, std::string_view detail);

}  // namespace duet::server

#endif  // DUET_SERVER_PROBLEM_H_
