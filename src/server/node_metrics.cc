#include "server/node_metrics.h"

#include <chrono>
#include <utility>

#include "follow/follower_store.h"
#include "util/version.h"

namespace duet::server {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::array<const char*, 3> kOutcomes = {"ok", "rejected", "error"};

constexpr ProjectionState kStates[] = {ProjectionState::kCatchingUp, ProjectionState::kLive,
                                       ProjectionState::kRebuilding, ProjectionState::kStopped,
                                       ProjectionState::kFailed};

// Answers the wrapped handler's Reply and observes the time from the
// handler's start to the answer in the series for its outcome.
class TimedReply final : public Reply {
 public:
  TimedReply(std::shared_ptr<Reply> inner, const RouteMetrics::TimedFamily* family,
             std::string label_value)
      : inner_(std::move(inner)),
        family_(family),
        label_value_(std::move(label_value)),
        start_(Clock::now()) {}

  void Send(HttpResponse response) override {
    if (Histogram* series = family_->Find(label_value_, response.status); series != nullptr) {
      series->ObserveSeconds(Clock::now() - start_);
    }
    inner_->Send(std::move(response));
  }
  void After(std::chrono::microseconds delay, std::function<void()> fn) override {
    inner_->After(delay, std::move(fn));
  }

 private:
  const std::shared_ptr<Reply> inner_;
  const RouteMetrics::TimedFamily* const family_;
  const std::string label_value_;
  const Clock::time_point start_;
};

// Counts one open stream for as long as it lives.
class StreamCount {
 public:
  explicit StreamCount(Gauge& gauge) : gauge_(gauge) { gauge_.Add(1); }
  ~StreamCount() { gauge_.Add(-1); }
  StreamCount(const StreamCount&) = delete;
  StreamCount& operator=(const StreamCount&) = delete;

 private:
  Gauge& gauge_;
};

// Wraps `route`'s asynchronous handler so that each answer is observed in
// `family` under the path parameter `param`; a value that is not one of the
// family's label values (an unknown command type) is not observed.
Route TimeByParam(Route route, std::string param, const RouteMetrics::TimedFamily* family) {
  route.handle_async = [inner = std::move(route.handle_async), param = std::move(param), family](
                           const HttpRequest& request, std::shared_ptr<Reply> reply) {
    const std::string_view value = request.PathParam(param);
    if (!family->Has(value)) return inner(request, std::move(reply));
    inner(request, std::make_shared<TimedReply>(std::move(reply), family, std::string(value)));
  };
  return route;
}

}  // namespace

void AddBuildInfo(Registry* registry) {
  registry->CallbackGauge("duet_build_info", "The Duet version this node runs; always 1.",
                          {{"version", std::string(DuetVersion())}}, [] { return 1.0; });
}

void AddLogHeadMetric(Registry* registry, EventStore* store) {
  registry->CallbackGauge(
      "duet_log_head_position",
      "Global position of the newest event in the store (on a follower: the command node's, as "
      "last seen).",
      {}, [store] { return static_cast<double>(store->HeadPosition().value); });
}

void AddProjectionMetrics(Registry* registry, ProjectionEngine* engine) {
  if (engine == nullptr) return;
  // Each series reads the projection's status at scrape time; -1 (NaN for
  // the state set) if the projection is gone.
  auto read = [engine](std::string name, auto field) {
    return [engine, name = std::move(name), field] {
      Result<ProjectionStatus> now = engine->StatusOf(name);
      return now.ok() ? field(*now) : -1.0;
    };
  };
  for (const ProjectionStatus& status : engine->Statuses()) {
    const Labels labels{{"projection", status.name}};
    registry->CallbackGauge(
        "duet_projection_lag_events", "events the projection has not applied yet", labels,
        read(status.name, [](const ProjectionStatus& s) { return double(s.lag_events); }));
    registry->CallbackGauge(
        "duet_projection_lag_seconds", "age of the oldest event not applied yet", labels,
        read(status.name, [](const ProjectionStatus& s) { return s.lag_seconds; }));
    registry->CallbackGauge(
        "duet_projection_checkpoint_position",
        "Global position the serving read model has applied up to.", labels,
        read(status.name, [](const ProjectionStatus& s) { return double(s.checkpoint.value); }));
    registry->CallbackCounter(
        "duet_projection_events_applied_total",
        "Events the serving read model committed since this process started it (0 again when a "
        "rebuilt one takes over).",
        labels,
        read(status.name, [](const ProjectionStatus& s) { return double(s.events_applied); }));
    registry->CallbackGauge(
        "duet_projection_parked_events", "Events the projection parked (could not apply).", labels,
        read(status.name, [](const ProjectionStatus& s) { return double(s.parked); }));
    for (ProjectionState state : kStates) {
      registry->CallbackGauge(
          "duet_projection_state", "The projection's state: 1 for the current one, else 0.",
          {{"projection", status.name}, {"state", std::string(ProjectionStateName(state))}},
          read(status.name,
               [state](const ProjectionStatus& s) { return s.state == state ? 1.0 : 0.0; }));
    }
  }
}

void AddFollowerMetrics(Registry* registry, follow::FollowerStore* follower) {
  if (follower == nullptr) return;
  registry->CallbackGauge("duet_follower_connected",
                          "1 while the feed from the command node is connected, else 0.", {},
                          [follower] { return follower->connected() ? 1.0 : 0.0; });
  registry->CallbackGauge(
      "duet_follower_lag_events",
      "Events the command node has (as last seen) that the feed has not delivered yet.", {},
      [follower] {
        const uint64_t head = follower->HeadPosition().value;
        const uint64_t fed = follower->stats().feed_position.value;
        return head > fed ? static_cast<double>(head - fed) : 0.0;
      });
  registry->CallbackCounter(
      "duet_follower_received_events_total", "Events the feed delivered from the command node.", {},
      [follower] { return static_cast<double>(follower->stats().events_received); });
  registry->CallbackCounter(
      "duet_follower_feed_errors_total", "Feed connections to the command node ended by an error.",
      {}, [follower] { return static_cast<double>(follower->stats().feed_errors); });
}

RouteMetrics::TimedFamily::TimedFamily(Registry* registry, const char* name, const char* help,
                                       const char* label)
    : registry_(registry), name_(name), help_(help), label_(label) {}

void RouteMetrics::TimedFamily::AddLabelValue(const std::string& value) {
  series_.try_emplace(value);
}

Histogram* RouteMetrics::TimedFamily::Find(std::string_view value, unsigned status) const {
  auto it = series_.find(value);
  if (it == series_.end()) return nullptr;
  const size_t outcome = status < 400 ? 0 : status < 500 ? 1 : 2;
  std::atomic<Histogram*>& slot = it->second[outcome];
  Histogram* series = slot.load(std::memory_order_acquire);
  if (series == nullptr) {
    series = &registry_->Histogram(name_, help_, RequestBuckets(),
                                   {{label_, it->first}, {"outcome", kOutcomes[outcome]}});
    slot.store(series, std::memory_order_release);
  }
  return series;
}

RouteMetrics::RouteMetrics(Registry* registry, const CommandBus* commands, const QueryBus* queries)
    : feed_subscribers_(registry->Gauge("duet_feed_subscribers", "Open event feed streams.")),
      commands_(registry, "duet_command_duration_seconds",
                "Time from a command's dispatch to its answer.", "type"),
      queries_(registry, "duet_query_duration_seconds",
               "Time to answer a query, its min_position wait included.", "name") {
  if (commands != nullptr) {
    for (const std::string& type : commands->CommandTypes()) commands_.AddLabelValue(type);
  }
  if (queries != nullptr) {
    for (const QueryDefinition& query : queries->definitions()) queries_.AddLabelValue(query.name);
  }
}

Route RouteMetrics::Instrument(Route route) {
  if (route.execution == Execution::kStream && route.stream) {
    route.stream = [inner = std::move(route.stream), gauge = &feed_subscribers_](
                       const HttpRequest& request, StreamWriter& writer) {
      StreamCount open(*gauge);
      return inner(request, writer);
    };
    return route;
  }
  if (route.execution != Execution::kAsync || !route.handle_async) return route;
  if (route.method == "POST" && route.pattern == "/commands/{type}") {
    return TimeByParam(std::move(route), "type", &commands_);
  }
  if (route.method == "GET" && route.pattern == "/queries/{name}") {
    return TimeByParam(std::move(route), "name", &queries_);
  }
  return route;
}

}  // namespace duet::server
