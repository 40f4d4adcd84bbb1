// The soak's HTTP helpers: one keep-alive connection to one node (the
// project's HttpClient) with JSON-parsed replies. Unlike the integration
// tests' Api it reports instead of asserting: the soak is a program, not a
// GoogleTest.
//
// Thread-compatible: give each client thread its own NodeClient.
#ifndef DUET_TESTS_SOAK_SOAK_HTTP_H_
#define DUET_TESTS_SOAK_SOAK_HTTP_H_

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "duet/status.h"
#include "follow/http_client.h"

namespace duet::soak {

// One exchange. status 0: the transport failed (error says why).
struct HttpReply {
  unsigned status = 0;
  std::string body;
  boost::json::value json;  // null when the body is not JSON
  Status error;

  // Member `key` of the JSON object body; null when absent.
  const boost::json::value& operator[](std::string_view key) const;
  // "<status> <body>" (body cut to a few hundred bytes) for messages.
  std::string Describe() const;
};

class NodeClient {
 public:
  NodeClient(uint16_t port, std::chrono::milliseconds timeout);

  HttpReply Get(std::string_view target);
  HttpReply Post(std::string_view target, std::string_view body, std::string_view idempotency_key);

 private:
  HttpReply Send(std::string_view method, std::string_view target, std::string_view body,
                 const follow::HttpHeaders& headers);

  std::unique_ptr<follow::HttpClient> client_;
};

// A JSON non-negative integer; nullopt for anything else.
std::optional<uint64_t> UintOf(const boost::json::value& value);

}  // namespace duet::soak

#endif  // DUET_TESTS_SOAK_SOAK_HTTP_H_
