// The process_* metrics every Prometheus client library exports (the Go and
// Python clients' process collector), read from /proc at scrape time:
//
//   process_cpu_seconds_total          counter  user + system CPU time
//   process_resident_memory_bytes      gauge    resident set size
//   process_virtual_memory_bytes       gauge    virtual memory size
//   process_open_fds                   gauge    open file descriptors
//   process_max_fds                    gauge    the RLIMIT_NOFILE soft limit
//   process_start_time_seconds         gauge    start time, seconds since the Unix epoch
//
// Linux only (/proc/self/stat, /proc/self/fd, /proc/stat). A value that
// cannot be read renders as NaN rather than a made-up number.
#ifndef DUET_SERVER_PROCESS_METRICS_H_
#define DUET_SERVER_PROCESS_METRICS_H_

#include <optional>

#include "server/metrics.h"

namespace duet::server {

// What /proc/self/stat says about this process, in base units.
struct ProcessStat {
  double cpu_seconds = 0;  // utime + stime
  double virtual_bytes = 0;
  double resident_bytes = 0;
  double start_seconds_after_boot = 0;
};

// Parses the text of /proc/<pid>/stat; nullopt when it is malformed.
std::optional<ProcessStat> ParseProcessStat(std::string_view text, long ticks_per_second,
                                            long page_bytes);

// Registers the process_* families above as callback series in `registry`.
void AddProcessMetrics(Registry* registry);

}  // namespace duet::server

#endif  // DUET_SERVER_PROCESS_METRICS_H_
