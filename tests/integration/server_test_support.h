// Shared pieces of the server acceptance tests: starting `duet serve` (the
// binary CMake names in DUET_BINARY_PATH) and talking to it over HTTP with
// the project's HttpClient, with JSON and problem+json helpers.
//
// Thread-compatible: give each client thread its own Api.
#ifndef DUET_TESTS_INTEGRATION_SERVER_TEST_SUPPORT_H_
#define DUET_TESTS_INTEGRATION_SERVER_TEST_SUPPORT_H_

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "follow/http_client.h"
#include "tests/integration/server_process.h"

namespace duet::testing {

// Starts `duet serve --data <data> --host 127.0.0.1 --port 0 <extra...>`.
// Fails the calling test (and returns null) when it does not come up.
std::unique_ptr<ServerProcess> StartDuet(const std::filesystem::path& data,
                                         std::vector<std::string> extra = {});

// Writes `text` to `path` (config files).
void WriteFile(const std::filesystem::path& path, std::string_view text);

// One HTTP exchange. status 0: the transport failed (error holds why).
struct Reply {
  unsigned status = 0;
  std::string body;
  follow::HttpHeaders headers;
  boost::json::value json;  // the parsed body; null when it is not JSON
  Status error;

  std::string_view Header(std::string_view lowercase_name) const;
  // Member `key` of the JSON object body; null when absent.
  const boost::json::value& operator[](std::string_view key) const;
  // "<status> <body>" for assertion messages.
  std::string Describe() const;
};

class Api {
 public:
  explicit Api(uint16_t port, std::string token = {});

  // A new connection to `port` (after a restart).
  void Reconnect(uint16_t port);

  Reply Get(std::string_view target, const follow::HttpHeaders& headers = {});
  Reply Post(std::string_view target, std::string_view body,
             const follow::HttpHeaders& headers = {});
  Reply Send(std::string_view method, std::string_view target, std::string_view body,
             follow::HttpHeaders headers);

  // POST /commands/{type} with the object as body.
  Reply Command(std::string_view type, const boost::json::object& body,
                const follow::HttpHeaders& headers = {});
  // GET /queries/{name}?{params}&min_position=..&timeout_ms=.. ; retries a
  // 503 "not yet" until `patience` is over (generous: the machine is noisy).
  Reply Query(std::string_view name, std::string_view params, uint64_t min_position = 0,
              std::chrono::seconds patience = std::chrono::seconds(120));
  // The log's head from GET /events (fails the test if it cannot be read).
  uint64_t Head();

  follow::HttpClient& client() { return *client_; }

 private:
  std::string token_;
  std::unique_ptr<follow::HttpClient> client_;
};

// Asserts a problem+json reply: HTTP status, `status` member, `code`, and
// `subject` when `subject` is not empty.
void ExpectProblem(const Reply& reply, unsigned status, std::string_view code,
                   std::string_view subject = {});

// Reads a JSON integer member (fails the test and returns 0 otherwise).
uint64_t UintOf(const boost::json::value& value);

// Calls `condition` until it is true or `patience` ends; returns its last
// answer. For convergence waits, never for timing assertions.
bool Eventually(const std::function<bool()>& condition,
                std::chrono::seconds patience = std::chrono::seconds(120));

// All events of a stream (GET /streams/{s}, paged); empty on 404.
std::vector<boost::json::object> ReadStream(Api& api, std::string_view stream);

}  // namespace duet::testing

#endif  // DUET_TESTS_INTEGRATION_SERVER_TEST_SUPPORT_H_
