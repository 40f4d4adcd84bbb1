#include "server/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

namespace duet::server {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string ReadWhole(const char* path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::optional<ProcessStat> ReadSelfStat() {
  return ParseProcessStat(ReadWhole("/proc/self/stat"), sysconf(_SC_CLK_TCK),
                          sysconf(_SC_PAGESIZE));
}

// The kernel's boot time (seconds since the epoch), "btime" in /proc/stat.
std::optional<double> BootTime() {
  std::istringstream in(ReadWhole("/proc/stat"));
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return std::nullopt;
}

double OpenFds() {
  std::error_code ec;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++count;
  }
  // The iterator's own descriptor is one of them, as in the Go client.
  return ec ? kNaN : count;
}

double MaxFds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return kNaN;
  return limit.rlim_cur == RLIM_INFINITY ? std::numeric_limits<double>::infinity()
                                         : static_cast<double>(limit.rlim_cur);
}

}  // namespace

std::optional<ProcessStat> ParseProcessStat(std::string_view text, long ticks_per_second,
                                            long page_bytes) {
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // the fields are counted from the last ')'. Field 3 (state) comes first.
  const size_t close = text.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0 || page_bytes <= 0) {
    return std::nullopt;
  }
  std::vector<std::string_view> fields;
  size_t pos = close + 1;
  while (pos < text.size()) {
    while (pos < text.size() && (text[pos] == ' ' || text[pos] == '\n')) ++pos;
    size_t end = pos;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
    if (end > pos) fields.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  // Field n (1-based, proc(5)) is fields[n - 3].
  auto field = [&](size_t n) -> std::optional<double> {
    if (n < 3 || n - 3 >= fields.size()) return std::nullopt;
    int64_t value = 0;
    const std::string_view f = fields[n - 3];
    const auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
    if (ec != std::errc() || end != f.data() + f.size()) return std::nullopt;
    return static_cast<double>(value);
  };
  const auto utime = field(14), stime = field(15), start = field(22), vsize = field(23),
             rss = field(24);
  if (!utime || !stime || !start || !vsize || !rss) return std::nullopt;
  const double ticks = static_cast<double>(ticks_per_second);
  return ProcessStat{(*utime + *stime) / ticks, *vsize, *rss * static_cast<double>(page_bytes),
                     *start / ticks};
}

void AddProcessMetrics(Registry* registry) {
  registry->CallbackCounter("process_cpu_seconds_total",
                            "Total user and system CPU time spent in seconds.", {}, [] {
                              const auto stat = ReadSelfStat();
                              return stat ? stat->cpu_seconds : kNaN;
                            });
  registry->CallbackGauge("process_resident_memory_bytes", "Resident memory size in bytes.", {},
                          [] {
                            const auto stat = ReadSelfStat();
                            return stat ? stat->resident_bytes : kNaN;
                          });
  registry->CallbackGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.", {}, [] {
    const auto stat = ReadSelfStat();
    return stat ? stat->virtual_bytes : kNaN;
  });
  registry->CallbackGauge("process_open_fds", "Number of open file descriptors.", {}, OpenFds);
  registry->CallbackGauge("process_max_fds", "Maximum number of open file descriptors.", {},
                          MaxFds);
  // Fixed for the process's life: computed once.
  const auto stat = ReadSelfStat();
  const auto boot = BootTime();
  const double start = stat && boot ? *boot + stat->start_seconds_after_boot : kNaN;
  registry->CallbackGauge("process_start_time_seconds",
                          "Start time of the process since unix epoch in seconds.", {},
                          [start] { return start; });
}

}  // namespace duet::server
