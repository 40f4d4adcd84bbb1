// HttpMetrics: the HttpObserver that counts every response into a metrics
// Registry:
//   duet_http_requests_total{route,method,status}     counter
//   duet_http_request_duration_seconds{route,method}  histogram (LatencyBuckets)
// `route` is the route's pattern ("/queries/{name}"), never the raw path, so
// the number of series stays bounded whatever clients send.
//
// Thread-safe. The series of a (route, method, status) are looked up once and
// then found under a shared lock.
#ifndef DUET_SERVER_HTTP_METRICS_H_
#define DUET_SERVER_HTTP_METRICS_H_

#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "server/http_server.h"
#include "server/metrics.h"
#include "util/thread_annotations.h"

namespace duet::server {

class HttpMetrics final : public HttpObserver {
 public:
  // `registry` must outlive this.
  explicit HttpMetrics(Registry* registry) : registry_(registry) {}

  void OnResponse(std::string_view route, std::string_view method, unsigned status,
                  std::chrono::nanoseconds latency) override;

 private:
  struct Series {
    Counter* requests;
    Histogram* duration;
  };
  Series& SeriesFor(std::string_view route, std::string_view method, unsigned status);

  Registry* registry_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, Series> series_;  // GUARDED_BY(mu_), key "route method status"
};

}  // namespace duet::server

#endif  // DUET_SERVER_HTTP_METRICS_H_
