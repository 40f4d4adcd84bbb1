#include "server/metrics.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <thread>
#include <vector>

namespace duet::server {
namespace {

TEST(MetricsTest, RendersASmallRegistryExactly) {
  Registry registry;
  registry
      .Counter("duet_http_requests_total", "HTTP requests.",
               {{"route", "/commands/{type}"}, {"method", "POST"}, {"status", "200"}})
      .Increment(3);
  registry
      .Counter("duet_http_requests_total", "HTTP requests.",
               {{"status", "404"}, {"route", "/queries/{name}"}, {"method", "GET"}})
      .Increment();
  registry.Gauge("duet_open_connections", "Open connections.").Set(-2);
  Histogram& h = registry.Histogram("duet_append_seconds", "Append latency.", {0.0625, 0.5, 1});
  h.Observe(0.0625);  // le is inclusive
  h.Observe(0.25);
  h.Observe(7);
  registry.CallbackGauge("duet_projection_lag_events", "Events behind the head.",
                         {{"projection", "accounts"}}, [] { return 42.5; });

  EXPECT_EQ(
      registry.RenderPrometheus(),
      "# HELP duet_append_seconds Append latency.\n"
      "# TYPE duet_append_seconds histogram\n"
      "duet_append_seconds_bucket{le=\"0.0625\"} 1\n"
      "duet_append_seconds_bucket{le=\"0.5\"} 2\n"
      "duet_append_seconds_bucket{le=\"1\"} 2\n"
      "duet_append_seconds_bucket{le=\"+Inf\"} 3\n"
      "duet_append_seconds_sum 7.3125\n"
      "duet_append_seconds_count 3\n"
      "# HELP duet_http_requests_total HTTP requests.\n"
      "# TYPE duet_http_requests_total counter\n"
      "duet_http_requests_total{method=\"GET\",route=\"/queries/{name}\",status=\"404\"} 1\n"
      "duet_http_requests_total{method=\"POST\",route=\"/commands/{type}\",status=\"200\"} 3\n"
      "# HELP duet_open_connections Open connections.\n"
      "# TYPE duet_open_connections gauge\n"
      "duet_open_connections -2\n"
      "# HELP duet_projection_lag_events Events behind the head.\n"
      "# TYPE duet_projection_lag_events gauge\n"
      "duet_projection_lag_events{projection=\"accounts\"} 42.5\n");
}

TEST(MetricsTest, HistogramLabelsComeBeforeLe) {
  Registry registry;
  registry.Histogram("h", "x", {1}, {{"route", "/a"}}).Observe(2);
  const std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("h_bucket{route=\"/a\",le=\"1\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bucket{route=\"/a\",le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_sum{route=\"/a\"} 2\n"), std::string::npos) << text;
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(EscapeLabelValue("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  Registry registry;
  registry.Counter("c_total", "line one\nback\\slash \"quoted\"", {{"path", "/x\"y\\z\n"}})
      .Increment();
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP c_total line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE c_total counter\n"
            "c_total{path=\"/x\\\"y\\\\z\\n\"} 1\n");
}

TEST(MetricsTest, SameNameAndLabelsReturnTheSameSeries) {
  Registry registry;
  Counter& a = registry.Counter("c_total", "h", {{"a", "1"}, {"b", "2"}});
  Counter& b = registry.Counter("c_total", "h", {{"b", "2"}, {"a", "1"}});
  Counter& other = registry.Counter("c_total", "h", {{"a", "1"}, {"b", "3"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &other);
}

TEST(MetricsTest, FormatsSpecialValues) {
  EXPECT_EQ(FormatSampleValue(1.0), "1");
  EXPECT_EQ(FormatSampleValue(0.25), "0.25");
  EXPECT_EQ(FormatSampleValue(0.0001), "0.0001");
  EXPECT_EQ(FormatSampleValue(0.00005), "5e-05");
  EXPECT_EQ(FormatSampleValue(1024), "1024");
  EXPECT_EQ(FormatSampleValue(-2.5), "-2.5");
  EXPECT_EQ(FormatSampleValue(1e21), "1e+21");
  EXPECT_EQ(FormatSampleValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatSampleValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatSampleValue(std::nan("")), "NaN");
}

TEST(MetricsTest, HistogramIgnoresNaN) {
  Histogram h({1});
  h.Observe(std::nan(""));
  h.Observe(0.5);
  const auto snap = h.snapshot();
  EXPECT_EQ(snap.count, 1u);
  EXPECT_EQ(snap.sum, 0.5);
  EXPECT_EQ(snap.cumulative, (std::vector<uint64_t>{1, 1}));
}

TEST(MetricsTest, RemovedCallbackIsNotRendered) {
  Registry registry;
  int calls = 0;
  registry.CallbackGauge("g", "h", {{"p", "x"}}, [&] { return ++calls; });
  EXPECT_NE(registry.RenderPrometheus().find("g{p=\"x\"} 1\n"), std::string::npos);
  EXPECT_TRUE(registry.RemoveCallback("g", {{"p", "x"}}));
  EXPECT_FALSE(registry.RemoveCallback("g", {{"p", "x"}}));
  EXPECT_EQ(registry.RenderPrometheus(), "# HELP g h\n# TYPE g gauge\n");
  EXPECT_EQ(calls, 1);
}

TEST(MetricsTest, BucketHelpers) {
  EXPECT_EQ(ExponentialBuckets(1, 2, 11),
            (std::vector<double>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024}));
  const auto latency = LatencyBuckets();
  EXPECT_EQ(latency.front(), 0.00005);
  EXPECT_EQ(latency.back(), 1.0);
}

// Requests and queries may wait up to 30 s (min_position): their buckets
// reach 60 s; feed connections last far longer.
TEST(MetricsTest, RequestAndConnectionBucketsReachLongWaits) {
  const auto request = RequestBuckets();
  EXPECT_EQ(request.front(), 0.00005);
  EXPECT_EQ(request.back(), 60.0);
  EXPECT_TRUE(std::is_sorted(request.begin(), request.end()));
  EXPECT_NE(std::find(request.begin(), request.end(), 30.0), request.end());
  EXPECT_EQ(ConnectionBuckets().back(), 24 * 3600.0);
}

TEST(MetricsTest, CallbackCounterRendersAsACounter) {
  Registry registry;
  double cpu = 1.5;
  registry.CallbackCounter("process_cpu_seconds_total", "CPU.", {}, [&] { return cpu; });
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP process_cpu_seconds_total CPU.\n# TYPE process_cpu_seconds_total counter\n"
            "process_cpu_seconds_total 1.5\n");
  cpu = 2.25;
  EXPECT_NE(registry.RenderPrometheus().find("process_cpu_seconds_total 2.25\n"),
            std::string::npos);
  EXPECT_TRUE(registry.RemoveCallback("process_cpu_seconds_total", {}));
}

TEST(MetricsDeathTest, DefinitionErrorsAbort) {
  Registry registry;
  registry.Counter("c_total", "h");
  EXPECT_DEATH(registry.Gauge("c_total", "h"), "another type");
  EXPECT_DEATH(registry.Counter("bad name", "h"), "invalid metric name");
  EXPECT_DEATH(registry.Counter("c_total", "h", {{"1x", "v"}}), "invalid label name");
  EXPECT_DEATH(registry.Histogram("h", "h", {1}, {{"le", "v"}}), "'le'");
  EXPECT_DEATH(Histogram({2, 1}), "strictly increasing");
  EXPECT_DEATH(registry.CallbackCounter("c_total", "h", {}, [] { return 1.0; }),
               "already has a value");
}

TEST(MetricsTest, ConcurrentIncrementsSumExactly) {
  Registry registry;
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      // Looked up concurrently too: every thread must get the same series.
      Counter& counter = registry.Counter("c_total", "h", {{"k", "v"}});
      Gauge& gauge = registry.Gauge("g", "h");
      Histogram& histogram = registry.Histogram("h", "h", {1, 2});
      for (int i = 0; i < kPerThread; ++i) {
        counter.Increment();
        gauge.Add(i % 2 == 0 ? 2 : -1);
        histogram.Observe(i % 3);  // 0, 1, 2: le=1 gets two of every three
      }
    });
  }
  std::thread renderer([&] {
    for (int i = 0; i < 50; ++i) (void)registry.RenderPrometheus();
  });
  for (auto& thread : threads) thread.join();
  renderer.join();
  EXPECT_EQ(registry.Counter("c_total", "h", {{"k", "v"}}).value(),
            uint64_t{kThreads} * kPerThread);
  EXPECT_EQ(registry.Gauge("g", "h").value(), int64_t{kThreads} * kPerThread / 2);
  const auto snap = registry.Histogram("h", "h", {1, 2}).snapshot();
  EXPECT_EQ(snap.count, uint64_t{kThreads} * kPerThread);
  uint64_t ones = 0, twos = 0;
  for (int i = 0; i < kPerThread; ++i) {
    ones += i % 3 == 1;
    twos += i % 3 == 2;
  }
  EXPECT_EQ(snap.cumulative[0], uint64_t{kThreads} * (kPerThread - twos));
  EXPECT_EQ(snap.sum, static_cast<double>(kThreads * (ones + 2 * twos)));
}

}  // namespace
}  // namespace duet::server
