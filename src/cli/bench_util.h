// Shared pieces of the `duet bench` commands.
#ifndef DUET_CLI_BENCH_UTIL_H_
#define DUET_CLI_BENCH_UTIL_H_

#include <cstdint>
#include <functional>
#include <random>
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

struct LoadResult {
  LatencySummary latency;  // of the operations that succeeded
  uint64_t failures = 0;
  double seconds = 0;  // wall time of the whole run
};

// Runs `operation(writer, rng)` in a loop on `writers` threads for `seconds`,
// timing each call; an operation returns false when it failed. Each writer
// gets its own generator seeded with writer + 1, so runs are repeatable.
LoadResult RunTimedLoad(
    uint64_t writers, uint64_t seconds,
    const std::function<bool(uint64_t writer, std::mt19937_64& rng)>& operation);

// A JSON document of about `bytes` bytes: {"pad":"xxxx..."}.
std::string BenchPayload(uint64_t bytes);

}  // namespace duet::cli

#endif  // DUET_CLI_BENCH_UTIL_H_
