#include "server/api_routes.h"

#include <charconv>

namespace duet::server {

void AddApiRoutes(const ApiBackends& backends, Router* router) {
  AddCommandRoutes(backends, router);
  AddReadRoutes(backends, router);
  AddEventFeedRoute(backends, router);
  AddAdminRoutes(backends, router);
}

Result<uint64_t> UintParam(const HttpRequest& request, std::string_view name, uint64_t fallback,
                           uint64_t min, uint64_t max) {
  auto it = request.query.find(name);
  if (it == request.query.end()) return fallback;
  return ParseUint(it->second, name, min, max);
}

Result<uint64_t> ParseUint(std::string_view text, std::string_view name, uint64_t min,
                           uint64_t max) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Status::InvalidArgument(
        name, "must be a non-negative integer, got '" + std::string(text) + "'");
  }
  if (value < min || value > max) {
    return Status::InvalidArgument(
        name, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return value;
}

HttpResponse JsonOk(std::string body, unsigned status) {
  return HttpResponse::Json(status, std::move(body));
}

}  // namespace duet::server
