// HttpMetrics: the HttpObserver that counts every response into a metrics
// Registry:
//   duet_http_requests_total{route,method,status}     counter
//   duet_http_request_duration_seconds{route,method}  histogram (RequestBuckets, to 60 s)
//   duet_feed_connection_duration_seconds{route}      histogram (ConnectionBuckets)
// `route` is the route's pattern ("/queries/{name}"), never the raw path, so
// the number of series stays bounded whatever clients send. A streaming route
// (the event feed) lasts as long as its client stays: its duration goes to
// the connection histogram, never into the request latencies.
//
// Thread-safe. The series of a (route, method, status) are looked up once and
// then found under a shared lock.
#ifndef DUET_SERVER_HTTP_METRICS_H_
#define DUET_SERVER_HTTP_METRICS_H_

#include <set>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "server/http_server.h"
#include "server/metrics.h"
#include "util/thread_annotations.h"

namespace duet::server {

class HttpMetrics final : public HttpObserver {
 public:
  // `registry` must outlive this. `stream_routes`: the patterns of the
  // streaming routes (Execution::kStream).
  explicit HttpMetrics(Registry* registry, std::set<std::string, std::less<>> stream_routes = {})
      : registry_(registry), stream_routes_(std::move(stream_routes)) {}

  void OnResponse(std::string_view route, std::string_view method, unsigned status,
                  std::chrono::nanoseconds latency) override;

 private:
  struct Series {
    Counter* requests;
    Histogram* duration;
  };
  Series& SeriesFor(std::string_view route, std::string_view method, unsigned status);

  Registry* registry_;
  const std::set<std::string, std::less<>> stream_routes_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, Series> series_;  // GUARDED_BY(mu_), key "route method status"
};

}  // namespace duet::server

#endif  // DUET_SERVER_HTTP_METRICS_H_
