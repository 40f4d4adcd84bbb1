// A small Prometheus metrics registry and its text exposition (format 0.0.4,
// https://prometheus.io/docs/instrumenting/exposition_formats/). Debian 12 has
// no prometheus-cpp; see docs/decisions.md.
//
// A metric family has a name, a help line and a type; each of its series is
// one label set. Callers look a series up once (Registry::Counter etc. take a
// mutex) and keep the returned reference: updating it is a lock-free atomic.
//
//   Counter& requests = registry.Counter("duet_http_requests_total", "HTTP requests",
//                                        {{"route", "/commands/{type}"}, {"status", "200"}});
//   requests.Increment();
//
// Metric and label names are constants in the code: an invalid name, a
// family registered again with another type, help or buckets, or a label
// named "le" on a histogram is a programming error and aborts the process
// with a message (like a failed assert, also in release builds).
#ifndef DUET_SERVER_METRICS_H_
#define DUET_SERVER_METRICS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/thread_annotations.h"

namespace duet::server {

// Label name -> value, in any order (series are keyed by the sorted set).
using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count. Thread-safe, lock-free.
class Counter {
 public:
  void Increment(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down. Thread-safe, lock-free.
class Gauge {
 public:
  void Set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  void Add(int64_t delta) { value_.fetch_add(delta, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations counted into buckets with fixed upper bounds (inclusive),
// plus their sum. Thread-safe, lock-free. A snapshot taken while others
// observe may miss an in-flight observation's sum or count, never tear a
// bucket; its +Inf bucket always equals its count.
class Histogram {
 public:
  // REQUIRES: `upper_bounds` finite and strictly increasing (else aborts).
  explicit Histogram(std::vector<double> upper_bounds);

  // NaN is ignored (it would poison the sum forever).
  void Observe(double value);
  void ObserveSeconds(std::chrono::nanoseconds duration) {
    Observe(std::chrono::duration<double>(duration).count());
  }

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative;  // per bound, then +Inf (= count)
    uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  const std::vector<double> bounds_;
  // Non-cumulative: counts_[i] counts values in (bounds_[i-1], bounds_[i]];
  // counts_[bounds_.size()] counts values above the last bound.
  const std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// `count` bounds start, start*factor, start*factor^2, ...
// REQUIRES: start > 0, factor > 1, count >= 1.
std::vector<double> ExponentialBuckets(double start, double factor, int count);
// Latency bounds in seconds, 50us to 1s: 50us, 100us, 250us, 500us, 1ms, ...
std::vector<double> LatencyBuckets();
// LatencyBuckets continued to 60 s (2.5, 5, 10, 30, 60): requests, commands
// and queries, which may wait up to max_query_wait (30 s by default).
std::vector<double> RequestBuckets();
// Long-lived connections (the event feed), 100 ms to one day.
std::vector<double> ConnectionBuckets();

// The registry: families by name, series by label set. Thread-safe. Series
// are never removed (except callback series), so references it returns stay
// valid for the registry's lifetime.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Returns the series, creating it (and its family) on first use.
  server::Counter& Counter(std::string_view name, std::string_view help, const Labels& labels = {});
  server::Gauge& Gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  // `upper_bounds` as for Histogram; every series of a family has the same.
  server::Histogram& Histogram(std::string_view name, std::string_view help,
                               std::vector<double> upper_bounds, const Labels& labels = {});

  // A gauge series whose value `read` returns at render time, e.g. a
  // projection's lag. Registering the same name and labels again replaces
  // the callback. `read` runs under the registry's lock, so after
  // RemoveCallback returns it is never called again; it must not call into
  // this registry.
  void CallbackGauge(std::string_view name, std::string_view help, const Labels& labels,
                     std::function<double()> read);
  // The same for a counter whose total lives elsewhere (e.g. the process's
  // CPU time, a follower's received events): `read` must never decrease,
  // except to start again from 0 (a counter reset, which Prometheus's rate()
  // understands, e.g. a projection's count when a rebuilt read model takes over).
  void CallbackCounter(std::string_view name, std::string_view help, const Labels& labels,
                       std::function<double()> read);
  // Removes a callback series; false if there was none.
  bool RemoveCallback(std::string_view name, const Labels& labels);

  // Every family in name order, series in label order, as text format 0.0.4
  // (Content-Type: text/plain; version=0.0.4; charset=utf-8).
  std::string RenderPrometheus() const;

 private:
  enum class Type : uint8_t { kCounter, kGauge, kHistogram };
  struct Series {
    std::unique_ptr<server::Counter> counter;
    std::unique_ptr<server::Gauge> gauge;
    std::unique_ptr<server::Histogram> histogram;
    std::function<double()> callback;
  };
  struct Family {
    Type type;
    std::string help;
    std::vector<double> bounds;            // histograms only
    std::map<std::string, Series> series;  // by rendered label set
  };

  // The family `name`, created if missing. Aborts on a type/help/bounds
  // mismatch with an existing one.
  Family& FamilyFor(std::string_view name, std::string_view help, Type type,
                    const std::vector<double>& bounds) REQUIRES(mu_);
  Series& SeriesFor(Family& family, std::string_view name, const Labels& labels) REQUIRES(mu_);
  void AddCallback(std::string_view name, std::string_view help, Type type, const Labels& labels,
                   std::function<double()> read);
  static void RenderFamily(std::string_view name, const Family& family, std::string* out);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_ GUARDED_BY(mu_);
};

// Escapes a label value (backslash, double quote, newline) for the text format.
std::string EscapeLabelValue(std::string_view value);
// Formats a sample value: shortest round-trip decimal, "+Inf", "-Inf", "NaN".
std::string FormatSampleValue(double value);

}  // namespace duet::server

#endif  // DUET_SERVER_METRICS_H_
