// The server's view of one HTTP exchange, free of Boost.Beast types so that
// route handlers compile quickly and can be tested without sockets.
#ifndef DUET_SERVER_HTTP_MESSAGE_H_
#define DUET_SERVER_HTTP_MESSAGE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duet::server {

// A parsed request. Header names are lower-case; only the headers the API
// reads are kept (see HttpServer).
struct HttpRequest {
  std::string method;     // "GET", "POST", ...
  unsigned version = 11;  // HTTP/1.1; 10 for HTTP/1.0
  std::string path;       // percent-decoded path, without the query string
  std::map<std::string, std::string, std::less<>> query;        // decoded query parameters
  std::map<std::string, std::string, std::less<>> path_params;  // filled by the router
  std::map<std::string, std::string, std::less<>> headers;
  std::string body;

  // The header's value, or "" when absent. `name` is lower-case.
  std::string_view Header(std::string_view name) const;
  std::string_view PathParam(std::string_view name) const;
};

struct HttpResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  // An answer to HEAD (or a 304): the headers alone go out. `body` is empty;
  // `head_length`, when set, is the Content-Length of the body a GET would
  // have got (a stream has none).
  bool head = false;
  std::optional<uint64_t> head_length;

  // The value of extra header `name` (case-insensitive), or "" when absent.
  std::string_view Header(std::string_view name) const;

  static HttpResponse Json(unsigned status, std::string body);
};

// The writing end of a streaming response (the event feed). Write blocks until
// the bytes are on the socket or the connection is gone, so a slow client
// slows only its own stream. Thread-compatible: one streaming thread uses it.
class StreamWriter {
 public:
  virtual ~StreamWriter() = default;
  // False once the client has gone, a write timed out or the server stops.
  virtual bool Write(std::string chunk) = 0;
  // True once the server is stopping: the stream should end.
  virtual bool stopping() const = 0;
};

// Splits "a=1&b=x%20y" into decoded pairs; '+' is a space. False on a bad
// percent escape.
bool ParseQueryString(std::string_view text, std::map<std::string, std::string, std::less<>>* out);

// Decodes %XX escapes. False on a bad escape or a decoded NUL.
bool PercentDecode(std::string_view text, std::string* out, bool plus_is_space);

}  // namespace duet::server

#endif  // DUET_SERVER_HTTP_MESSAGE_H_
