#include "tests/soak/soak_http.h"

namespace duet::soak {
namespace json = boost::json;

namespace {

constexpr size_t kDescribeBodyBytes = 400;

const json::value& NullValue() {
  static const json::value null_value;
  return null_value;
}

}  // namespace

const json::value& HttpReply::operator[](std::string_view key) const {
  const json::object* object = json.if_object();
  if (object == nullptr) return NullValue();
  auto it = object->find(key);
  return it == object->end() ? NullValue() : it->value();
}

std::string HttpReply::Describe() const {
  if (status == 0) return "transport error: " + error.ToString();
  std::string text = std::to_string(status) + " " + body.substr(0, kDescribeBodyBytes);
  if (body.size() > kDescribeBodyBytes) text += "...";
  return text;
}

NodeClient::NodeClient(uint16_t port, std::chrono::milliseconds timeout)
    : client_(follow::HttpClient::Create(follow::HttpUrl{"127.0.0.1", port, ""}, timeout)) {}

HttpReply NodeClient::Send(std::string_view method, std::string_view target, std::string_view body,
                           const follow::HttpHeaders& headers) {
  HttpReply reply;
  Result<follow::HttpClientResponse> response = client_->Request(method, target, body, headers);
  if (!response.ok()) {
    reply.error = response.status();
    return reply;
  }
  reply.status = response->status;
  reply.body = std::move(response->body);
  boost::system::error_code ec;
  json::value parsed = json::parse(reply.body, ec);
  if (!ec) reply.json = std::move(parsed);
  return reply;
}

HttpReply NodeClient::Get(std::string_view target) { return Send("GET", target, {}, {}); }

HttpReply NodeClient::Post(std::string_view target, std::string_view body,
                           std::string_view idempotency_key) {
  follow::HttpHeaders headers{{"Content-Type", "application/json"}};
  if (!idempotency_key.empty()) headers.emplace_back("Idempotency-Key", idempotency_key);
  return Send("POST", target, body, headers);
}

std::optional<uint64_t> UintOf(const json::value& value) {
  if (const int64_t* i = value.if_int64(); i != nullptr && *i >= 0)
    return static_cast<uint64_t>(*i);
  if (const uint64_t* u = value.if_uint64(); u != nullptr) return *u;
  return std::nullopt;
}

}  // namespace duet::soak
