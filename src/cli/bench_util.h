// Shared pieces of the `duet bench` commands.
#ifndef DUET_CLI_BENCH_UTIL_H_
#define DUET_CLI_BENCH_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

namespace duet::cli {

struct LatencySummary {
  uint64_t count = 0;
  double p50_us = 0;
  double p99_us = 0;
};

// Merges per-thread latency samples (microseconds) and takes percentiles.
LatencySummary Summarize(const std::vector<std::vector<double>>& per_thread);

// A JSON document of about `bytes` bytes: {"pad":"xxxx..."}.
std::string BenchPayload(uint64_t bytes);

}  // namespace duet::cli

#endif  // DUET_CLI_BENCH_UTIL_H_
