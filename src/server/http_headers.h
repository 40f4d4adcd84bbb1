// The header rules the request path applies (request_dispatch.cc): the Date
// value, content negotiation (gzip), conditional requests (ETag), the CORS
// origin syntax and the loopback Host test. Free of Boost.Beast types.
#ifndef DUET_SERVER_HTTP_HEADERS_H_
#define DUET_SERVER_HTTP_HEADERS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "duet/status.h"

namespace duet::server {

// Now as an RFC 9110 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), formatted
// at most once per second per thread.
std::string HttpDateNow();
// `seconds` since the epoch as an IMF-fixdate.
std::string HttpDate(int64_t seconds_since_epoch);

// True when an Accept-Encoding value accepts gzip: "gzip" or "x-gzip" with a
// q above 0, or "*" with a q above 0 when gzip is not listed itself. An
// absent header ("") accepts only identity (RFC 9110 12.5.3 allows any, but
// an unasked-for encoding breaks naive clients).
bool AcceptsGzip(std::string_view accept_encoding);

// `data` in gzip framing (RFC 1952) at the default level.
// Errors: kIOError if zlib fails (out of memory).
Status GzipCompress(std::string_view data, std::string* out);

// True when an If-None-Match value matches `etag` under the weak comparison
// (RFC 9110 13.1.2): "*", or one of the listed tags with W/ ignored.
bool IfNoneMatchMatches(std::string_view if_none_match, std::string_view etag);

// 64-bit FNV-1a of `data`, as 16 lower-case hex digits (for ETags).
std::string DigestHex(std::string_view data);

// A CORS allow-list entry: scheme "http" or "https", a host, an optional
// port, nothing else ("https://app.example:8443"). InvalidArgument naming
// what is wrong.
Status ValidateOrigin(std::string_view origin);

// The host part of a Host header value ("[::1]:80" -> "::1", "a.b:1" -> "a.b").
std::string_view HostName(std::string_view host_header);

// True when a Host name can only reach this machine: "localhost",
// "*.localhost" (RFC 6761), an IPv4 literal in 127.0.0.0/8 or "::1".
bool IsLoopbackHostName(std::string_view name);

}  // namespace duet::server

#endif  // DUET_SERVER_HTTP_HEADERS_H_
