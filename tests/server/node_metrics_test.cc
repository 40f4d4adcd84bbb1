// The node's own metrics without a server: /proc parsing, the HTTP observer's
// split of streams from requests, and the per-type command and query series.
#include "server/node_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "server/http_metrics.h"
#include "server/process_metrics.h"

namespace duet::server {
namespace {

// A /proc/<pid>/stat line whose comm holds a space and a parenthesis.
constexpr char kStat[] =
    "4242 (duet (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 9 0 "
    "123400 2147483648 5000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcessMetricsTest, ParsesStatFieldsInBaseUnits) {
  const auto stat = ParseProcessStat(kStat, 100, 4096);
  ASSERT_TRUE(stat.has_value());
  EXPECT_DOUBLE_EQ(stat->cpu_seconds, 4.0);  // (250 + 150) ticks / 100
  EXPECT_DOUBLE_EQ(stat->start_seconds_after_boot, 1234.0);
  EXPECT_DOUBLE_EQ(stat->virtual_bytes, 2147483648.0);
  EXPECT_DOUBLE_EQ(stat->resident_bytes, 5000.0 * 4096);
}

TEST(ProcessMetricsTest, MalformedStatIsRefused) {
  EXPECT_FALSE(ParseProcessStat("", 100, 4096).has_value());
  EXPECT_FALSE(ParseProcessStat("1 (x) S 1 2 3", 100, 4096).has_value());  // too few fields
  std::string bad = kStat;
  bad.replace(bad.find(" 250 "), 5, " 2x0 ");
  EXPECT_FALSE(ParseProcessStat(bad, 100, 4096).has_value());
  EXPECT_FALSE(ParseProcessStat(kStat, 0, 4096).has_value());
}

TEST(ProcessMetricsTest, ThisProcessHasPlausibleValues) {
  Registry registry;
  AddProcessMetrics(&registry);
  const std::string text = registry.RenderPrometheus();
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                           "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                           "process_start_time_seconds"}) {
    const std::string sample = std::string("\n") + name + " ";
    const size_t at = text.find(sample);
    ASSERT_NE(at, std::string::npos) << name << "\n" << text;
    const double value = std::stod(text.substr(at + sample.size()));
    // A test process may not have used one clock tick of CPU yet.
    if (std::string_view(name) == "process_cpu_seconds_total") {
      EXPECT_GE(value, 0) << name;
    } else {
      EXPECT_GT(value, 0) << name;
    }
  }
  EXPECT_NE(text.find("# TYPE process_cpu_seconds_total counter\n"), std::string::npos);
}

TEST(HttpMetricsTest, StreamsGoToTheConnectionHistogramOnly) {
  Registry registry;
  HttpMetrics metrics(&registry, {"/events/live"});
  metrics.OnResponse("/events/live", "GET", 200, std::chrono::seconds(90));
  metrics.OnResponse("/health", "GET", 200, std::chrono::seconds(45));
  const std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("duet_feed_connection_duration_seconds_count{route=\"/events/live\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("duet_http_request_duration_seconds_count{method=\"GET\",route=\"/events/"
                      "live\"}"),
            std::string::npos);
  // A 45 s request lands under le="60", not in +Inf only.
  EXPECT_NE(text.find("duet_http_request_duration_seconds_bucket{method=\"GET\",route=\"/"
                      "health\",le=\"60\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("duet_http_requests_total{method=\"GET\",route=\"/events/live\","
                      "status=\"200\"} 1\n"),
            std::string::npos);
}

// Answers a handler's reply synchronously and keeps what it got.
class RecordingReply final : public Reply {
 public:
  void Send(HttpResponse response) override { status = response.status; }
  void After(std::chrono::microseconds, std::function<void()> fn) override { fn(); }
  unsigned status = 0;
};

TEST(RouteMetricsTest, TimesCommandsByRegisteredTypeAndOutcomeOnly) {
  Registry registry;
  CommandBus bus(nullptr);
  struct Ping {};
  ASSERT_TRUE(bus.Register<Ping>(
                     {.name = "Ping", .decode = [](JsonReader&) -> Result<Ping> { return Ping{}; }},
                     [](const Ping&, UnitOfWork&) { return Status::OK(); })
                  .ok());
  RouteMetrics metrics(&registry, &bus, nullptr);
  unsigned answer = 200;
  Route route = metrics.Instrument(
      {.method = "POST",
       .pattern = "/commands/{type}",
       .execution = Execution::kAsync,
       .handle_async = [&answer](const HttpRequest&, std::shared_ptr<Reply> reply) {
         HttpResponse response;
         response.status = answer;
         reply->Send(std::move(response));
       }});
  auto dispatch = [&](std::string type, unsigned status) {
    answer = status;
    HttpRequest request;
    request.path_params["type"] = std::move(type);
    auto reply = std::make_shared<RecordingReply>();
    route.handle_async(request, reply);
    EXPECT_EQ(reply->status, status);  // the answer passes through unchanged
  };
  dispatch("Ping", 200);
  dispatch("Ping", 422);
  dispatch("NoSuchType", 404);  // user input: no series
  const std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("duet_command_duration_seconds_count{outcome=\"ok\",type=\"Ping\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("duet_command_duration_seconds_count{outcome=\"rejected\",type=\"Ping\"} 1\n"),
      std::string::npos);
  EXPECT_EQ(text.find("outcome=\"error\""), std::string::npos) << "series only once observed";
  EXPECT_EQ(text.find("NoSuchType"), std::string::npos);
}

TEST(RouteMetricsTest, CountsOpenStreams) {
  Registry registry;
  RouteMetrics metrics(&registry, nullptr, nullptr);
  std::string during;
  Route route = metrics.Instrument({.method = "GET",
                                    .pattern = "/events/live",
                                    .execution = Execution::kStream,
                                    .stream = [&](const HttpRequest&, StreamWriter&) {
                                      during = registry.RenderPrometheus();
                                      return HttpResponse{};
                                    }});
  class NullWriter final : public StreamWriter {
   public:
    bool Write(std::string) override { return true; }
    bool stopping() const override { return false; }
  } writer;
  route.stream(HttpRequest{}, writer);
  EXPECT_NE(during.find("duet_feed_subscribers 1\n"), std::string::npos) << during;
  EXPECT_NE(registry.RenderPrometheus().find("duet_feed_subscribers 0\n"), std::string::npos);
}

}  // namespace
}  // namespace duet::server
