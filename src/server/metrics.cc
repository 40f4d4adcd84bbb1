#include "server/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace duet::server {
namespace {

// A programming error in metric definitions (see metrics.h): stop loudly.
[[noreturn]] void Die(std::string_view what, std::string_view name) {
  std::fprintf(stderr, "duet metrics: %.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(name.size()), name.data());
  std::abort();
}

bool IsNameChar(char c, bool first, bool colon_ok) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon_ok && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool IsValidName(std::string_view name, bool colon_ok) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i], i == 0, colon_ok)) return false;
  }
  return true;
}

// HELP text escapes only backslash and newline (text format 0.0.4).
std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Labels SortedLabels(const Labels& labels) {
  Labels sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

// `name="value",...` without braces; empty for no labels.
std::string RenderLabelPairs(const Labels& labels) {
  std::string out;
  for (const auto& [name, value] : labels) {
    if (!out.empty()) out += ',';
    out += name;
    out += "=\"";
    out += EscapeLabelValue(value);
    out += '"';
  }
  return out;
}

void AppendSample(std::string_view name, std::string_view suffix, const std::string& pairs,
                  std::string_view value, std::string* out) {
  out->append(name).append(suffix);
  if (!pairs.empty()) out->append("{").append(pairs).append("}");
  out->append(" ").append(value).append("\n");
}

std::string_view TypeName(int type) {
  static constexpr std::string_view kNames[] = {"counter", "gauge", "histogram"};
  return kNames[type];
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string FormatSampleValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip digits; fixed notation for exponents -4..20 (so
  // bucket bounds read "0.0001", "0.25", "1024"), scientific beyond, like
  // the Go client's strconv 'g' formatting.
  char buf[64];
  const auto sci = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  if (sci.ec != std::errc()) return "NaN";
  const char* e = std::find(buf, sci.ptr, 'e');
  int exponent = 0;
  std::from_chars(e + 1 + (e[1] == '+'), sci.ptr, exponent);
  if (exponent < -4 || exponent > 20) return std::string(buf, sci.ptr);
  const auto fixed = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed);
  return std::string(buf, fixed.ptr);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
      Die("histogram bounds must be finite and strictly increasing", std::to_string(bounds_[i]));
    }
  }
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  // First bound >= value: buckets are "less than or equal" (le).
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snap;
  snap.upper_bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    snap.cumulative.push_back(running);
  }
  snap.count = running;
  snap.sum = sum_.load(std::memory_order_relaxed);
  return snap;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (!(start > 0) || !(factor > 1) || count < 1) Die("bad exponential buckets", "");
  std::vector<double> bounds;
  double bound = start;
  for (int i = 0; i < count; ++i, bound *= factor) bounds.push_back(bound);
  return bounds;
}

std::vector<double> LatencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
          0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1.0};
}

std::vector<double> RequestBuckets() {
  std::vector<double> bounds = LatencyBuckets();
  bounds.insert(bounds.end(), {2.5, 5.0, 10.0, 30.0, 60.0});
  return bounds;
}

std::vector<double> ConnectionBuckets() {
  return {0.1, 1, 10, 60, 300, 900, 3600, 4 * 3600, 24 * 3600};
}

Registry::Family& Registry::FamilyFor(std::string_view name, std::string_view help, Type type,
                                      const std::vector<double>& bounds) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    if (!IsValidName(name, /*colon_ok=*/true)) Die("invalid metric name", name);
    it = families_.emplace(std::string(name), Family{type, std::string(help), bounds, {}}).first;
  }
  Family& family = it->second;
  if (family.type != type) Die("metric registered again with another type", name);
  if (family.help != help) Die("metric registered again with another help text", name);
  if (family.bounds != bounds) Die("histogram registered again with other buckets", name);
  return family;
}

Registry::Series& Registry::SeriesFor(Family& family, std::string_view name, const Labels& labels) {
  Labels sorted = SortedLabels(labels);
  for (size_t i = 0; i < sorted.size(); ++i) {
    const std::string& label = sorted[i].first;
    if (!IsValidName(label, /*colon_ok=*/false) || label.starts_with("__")) {
      Die("invalid label name", label);
    }
    if (i > 0 && sorted[i - 1].first == label) Die("label given twice", label);
    if (family.type == Type::kHistogram && label == "le") Die("histogram label 'le'", name);
  }
  return family.series[RenderLabelPairs(sorted)];
}

Counter& Registry::Counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& series = SeriesFor(FamilyFor(name, help, Type::kCounter, {}), name, labels);
  if (series.callback) Die("counter series is a callback series", name);
  if (!series.counter) series.counter = std::make_unique<server::Counter>();
  return *series.counter;
}

Gauge& Registry::Gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  Series& series = SeriesFor(FamilyFor(name, help, Type::kGauge, {}), name, labels);
  if (series.callback) Die("gauge series is a callback series", name);
  if (!series.gauge) series.gauge = std::make_unique<server::Gauge>();
  return *series.gauge;
}

Histogram& Registry::Histogram(std::string_view name, std::string_view help,
                               std::vector<double> upper_bounds, const Labels& labels) {
  std::lock_guard lock(mu_);
  Family& family = FamilyFor(name, help, Type::kHistogram, upper_bounds);
  Series& series = SeriesFor(family, name, labels);
  if (!series.histogram) {
    series.histogram = std::make_unique<server::Histogram>(std::move(upper_bounds));
  }
  return *series.histogram;
}

void Registry::AddCallback(std::string_view name, std::string_view help, Type type,
                           const Labels& labels, std::function<double()> read) {
  std::lock_guard lock(mu_);
  Series& series = SeriesFor(FamilyFor(name, help, type, {}), name, labels);
  if (series.counter || series.gauge) Die("callback series already has a value", name);
  series.callback = std::move(read);
}

void Registry::CallbackGauge(std::string_view name, std::string_view help, const Labels& labels,
                             std::function<double()> read) {
  AddCallback(name, help, Type::kGauge, labels, std::move(read));
}

void Registry::CallbackCounter(std::string_view name, std::string_view help, const Labels& labels,
                               std::function<double()> read) {
  AddCallback(name, help, Type::kCounter, labels, std::move(read));
}

bool Registry::RemoveCallback(std::string_view name, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto family = families_.find(name);
  if (family == families_.end()) return false;
  auto series = family->second.series.find(RenderLabelPairs(SortedLabels(labels)));
  if (series == family->second.series.end() || !series->second.callback) return false;
  family->second.series.erase(series);
  return true;
}

void Registry::RenderFamily(std::string_view name, const Family& family, std::string* out) {
  out->append("# HELP ").append(name).append(" ").append(EscapeHelp(family.help)).append("\n");
  out->append("# TYPE ").append(name).append(" ");
  out->append(TypeName(static_cast<int>(family.type))).append("\n");
  for (const auto& [pairs, series] : family.series) {
    if (series.callback) {
      AppendSample(name, "", pairs, FormatSampleValue(series.callback()), out);
    } else if (series.counter) {
      AppendSample(name, "", pairs, std::to_string(series.counter->value()), out);
    } else if (series.gauge) {
      AppendSample(name, "", pairs, std::to_string(series.gauge->value()), out);
    } else if (series.histogram) {
      const server::Histogram::Snapshot snap = series.histogram->snapshot();
      const std::string prefix = pairs.empty() ? "" : pairs + ",";
      for (size_t i = 0; i < snap.cumulative.size(); ++i) {
        const std::string le = i < snap.upper_bounds.size()
                                   ? FormatSampleValue(snap.upper_bounds[i])
                                   : std::string("+Inf");
        AppendSample(name, "_bucket", prefix + "le=\"" + le + "\"",
                     std::to_string(snap.cumulative[i]), out);
      }
      AppendSample(name, "_sum", pairs, FormatSampleValue(snap.sum), out);
      AppendSample(name, "_count", pairs, std::to_string(snap.count), out);
    }
  }
}

std::string Registry::RenderPrometheus() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, family] : families_) RenderFamily(name, family, &out);
  return out;
}

}  // namespace duet::server
