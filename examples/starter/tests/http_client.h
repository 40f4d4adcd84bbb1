// A tiny blocking HTTP/1.1 client for the tests: one request per connection
// (Connection: close), loopback addresses only, bounded by a timeout.
// Thread-compatible; no exceptions.
#ifndef DUET_STARTER_TESTS_HTTP_CLIENT_H_
#define DUET_STARTER_TESTS_HTTP_CLIENT_H_

#include <duet/result.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace library::testing {

struct HttpAnswer {
  int status = 0;
  std::string body;  // de-chunked
};

// Sends `method` `target` (path and query) to 127.0.0.1:`port` with `body`
// (as application/json when not empty) and reads the whole answer.
// Errors: IOError when the connection fails, Timeout past `timeout`,
// Corruption for an answer that is not HTTP.
duet::Result<HttpAnswer> HttpRequest(uint16_t port, std::string_view method,
                                     std::string_view target, std::string_view body = {},
                                     std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace library::testing

#endif  // DUET_STARTER_TESTS_HTTP_CLIENT_H_
