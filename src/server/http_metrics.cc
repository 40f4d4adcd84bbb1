#include "server/http_metrics.h"

#include <mutex>

namespace duet::server {

void HttpMetrics::OnResponse(std::string_view route, std::string_view method, unsigned status,
                             std::chrono::nanoseconds latency) {
  Series& series = SeriesFor(route, method, status);
  series.requests->Increment();
  series.duration->ObserveSeconds(latency);
}

HttpMetrics::Series& HttpMetrics::SeriesFor(std::string_view route, std::string_view method,
                                            unsigned status) {
  std::string key;
  key.reserve(route.size() + method.size() + 5);
  key.append(route).append(" ").append(method).append(" ").append(std::to_string(status));
  {
    std::shared_lock lock(mu_);
    auto it = series_.find(key);
    if (it != series_.end()) return it->second;
  }
  Series series{&registry_->Counter("duet_http_requests_total", "HTTP requests answered",
                                    {{"route", std::string(route)},
                                     {"method", std::string(method)},
                                     {"status", std::to_string(status)}}),
                stream_routes_.contains(route)
                    ? &registry_->Histogram("duet_feed_connection_duration_seconds",
                                            "how long a streaming (event feed) connection lasted",
                                            ConnectionBuckets(), {{"route", std::string(route)}})
                    : &registry_->Histogram(
                          "duet_http_request_duration_seconds",
                          "time from a request's arrival to its response", RequestBuckets(),
                          {{"route", std::string(route)}, {"method", std::string(method)}})};
  std::unique_lock lock(mu_);
  return series_.try_emplace(std::move(key), series).first->second;
}

}  // namespace duet::server
