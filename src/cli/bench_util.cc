#include "cli/bench_util.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

namespace duet::cli {

LatencySummary Summarize(const std::vector<std::vector<double>>& per_thread) {
  std::vector<double> all;
  for (const auto& samples : per_thread) all.insert(all.end(), samples.begin(), samples.end());
  LatencySummary summary;
  summary.count = all.size();
  if (all.empty()) return summary;
  auto at = [&](double q) {
    const size_t i =
        std::min(all.size() - 1, static_cast<size_t>(q * static_cast<double>(all.size())));
    std::nth_element(all.begin(), all.begin() + static_cast<long>(i), all.end());
    return all[i];
  };
  summary.p50_us = at(0.50);
  summary.p99_us = at(0.99);
  return summary;
}

LoadResult RunTimedLoad(uint64_t writers, uint64_t seconds,
                        const std::function<bool(uint64_t, std::mt19937_64&)>& operation) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> failures{0};
  std::vector<std::vector<double>> latencies(writers);
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(w + 1);
      while (!stop.load(std::memory_order_relaxed)) {
        const auto t0 = std::chrono::steady_clock::now();
        const bool ok = operation(w, rng);
        const auto t1 = std::chrono::steady_clock::now();
        if (!ok) {
          failures.fetch_add(1);
          continue;
        }
        latencies[w].push_back(std::chrono::duration<double, std::micro>(t1 - t0).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  LoadResult result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.latency = Summarize(latencies);
  result.failures = failures.load();
  return result;
}

std::string BenchPayload(uint64_t bytes) {
  constexpr uint64_t kOverhead = 10;  // {"pad":""}
  return "{\"pad\":\"" + std::string(bytes > kOverhead ? bytes - kOverhead : 0, 'x') + "\"}";
}

}  // namespace duet::cli
