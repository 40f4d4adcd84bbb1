#include "tests/integration/server_test_support.h"

#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#ifndef DUET_BINARY_PATH
#error "DUET_BINARY_PATH must name the duet binary (set by tests/integration/CMakeLists.txt)"
#endif

namespace duet::testing {
namespace json = boost::json;

namespace {

constexpr std::chrono::seconds kRequestTimeout{60};

std::unique_ptr<follow::HttpClient> NewClient(uint16_t port) {
  follow::HttpUrl url{"127.0.0.1", port, ""};
  return follow::HttpClient::Create(url, kRequestTimeout);
}

json::value ParseOrNull(std::string_view body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  return ec ? json::value() : value;
}

const json::value& NullValue() {
  static const json::value null_value;
  return null_value;
}

}  // namespace

std::unique_ptr<ServerProcess> StartDuet(const std::filesystem::path& data,
                                         std::vector<std::string> extra) {
  ServerProcessOptions options;
  options.binary = DUET_BINARY_PATH;
  options.args = {"serve", "--data", data.string(), "--host", "127.0.0.1", "--port", "0"};
  for (std::string& arg : extra) options.args.push_back(std::move(arg));
  auto process = ServerProcess::Start(std::move(options));
  if (!process.ok()) {
    ADD_FAILURE() << "duet serve did not start: " << process.status();
    return nullptr;
  }
  return std::move(process).value();
}

void WriteFile(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  ASSERT_TRUE(out.good()) << "cannot write " << path;
}

std::string_view Reply::Header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return {};
}

const json::value& Reply::operator[](std::string_view key) const {
  const json::object* object = json.if_object();
  if (object == nullptr) return NullValue();
  auto it = object->find(key);
  return it == object->end() ? NullValue() : it->value();
}

std::string Reply::Describe() const {
  if (status == 0) return "transport error: " + error.ToString();
  return std::to_string(status) + " " + body;
}

Api::Api(uint16_t port, std::string token) : token_(std::move(token)), client_(NewClient(port)) {}

void Api::Reconnect(uint16_t port) { client_ = NewClient(port); }

Reply Api::Send(std::string_view method, std::string_view target, std::string_view body,
                follow::HttpHeaders headers) {
  if (!token_.empty()) headers.emplace_back("Authorization", "Bearer " + token_);
  if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
  Reply reply;
  Result<follow::HttpClientResponse> response = client_->Request(method, target, body, headers);
  if (!response.ok()) {
    reply.error = response.status();
    return reply;
  }
  reply.status = response->status;
  reply.body = std::move(response->body);
  reply.headers = std::move(response->headers);
  reply.json = ParseOrNull(reply.body);
  return reply;
}

Reply Api::Get(std::string_view target, const follow::HttpHeaders& headers) {
  return Send("GET", target, {}, headers);
}

Reply Api::Post(std::string_view target, std::string_view body,
                const follow::HttpHeaders& headers) {
  return Send("POST", target, body, headers);
}

Reply Api::Command(std::string_view type, const json::object& body,
                   const follow::HttpHeaders& headers) {
  return Post("/commands/" + std::string(type), json::serialize(body), headers);
}

Reply Api::Query(std::string_view name, std::string_view params, uint64_t min_position,
                 std::chrono::seconds patience) {
  std::string target = "/queries/" + std::string(name) + "?" + std::string(params);
  if (min_position > 0) {
    target += "&min_position=" + std::to_string(min_position) + "&timeout_ms=5000";
  }
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    Reply reply = Get(target);
    const bool not_yet = reply.status == 503 && reply["code"] == "timeout";
    if (!not_yet || std::chrono::steady_clock::now() >= deadline) return reply;
  }
}

uint64_t Api::Head() {
  Reply reply = Get("/events?from=1&limit=1");
  EXPECT_EQ(reply.status, 200u) << reply.Describe();
  return UintOf(reply["head"]);
}

void ExpectProblem(const Reply& reply, unsigned status, std::string_view code,
                   std::string_view subject) {
  EXPECT_EQ(reply.status, status) << reply.Describe();
  EXPECT_NE(reply.Header("content-type").find("application/problem+json"), std::string_view::npos)
      << reply.Describe();
  EXPECT_EQ(reply["status"], json::value(status)) << reply.Describe();
  EXPECT_EQ(reply["code"], json::value(code)) << reply.Describe();
  const json::string* type = reply["type"].if_string();
  EXPECT_TRUE(type != nullptr && type->ends_with(code)) << reply.Describe();
  if (!subject.empty()) {
    EXPECT_EQ(reply["subject"], json::value(subject)) << reply.Describe();
  }
}

uint64_t UintOf(const json::value& value) {
  if (const int64_t* i = value.if_int64(); i != nullptr && *i >= 0)
    return static_cast<uint64_t>(*i);
  if (const uint64_t* u = value.if_uint64(); u != nullptr) return *u;
  ADD_FAILURE() << "not a non-negative integer: " << json::serialize(value);
  return 0;
}

bool Eventually(const std::function<bool()>& condition, std::chrono::seconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::vector<json::object> ReadStream(Api& api, std::string_view stream) {
  std::vector<json::object> events;
  for (;;) {
    Reply reply =
        api.Get("/streams/" + std::string(stream) + "?from=" + std::to_string(events.size()) +
                "&limit=1000&direction=forward");
    if (reply.status == 404) return events;
    EXPECT_EQ(reply.status, 200u) << reply.Describe();
    const json::array* page = reply["events"].if_array();
    if (reply.status != 200 || page == nullptr || page->empty()) return events;
    for (const json::value& event : *page) events.push_back(event.as_object());
  }
}

}  // namespace duet::testing
