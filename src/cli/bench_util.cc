#include "cli/bench_util.h"

#include <algorithm>

namespace duet::cli {

LatencySummary Summarize(const std::vector<std::vector<double>>& per_thread) {
  std::vector<double> all;
  for (const auto& samples : per_thread) all.insert(all.end(), samples.begin(), samples.end());
  LatencySummary summary;
  summary.count = all.size();
  if (all.empty()) return summary;
  auto at = [&](double q) {
    const size_t i = std::min(all.size() - 1, static_cast<size_t>(q * static_cast<double>(all.size())));
    std::nth_element(all.begin(), all.begin() + static_cast<long>(i), all.end());
    return all[i];
  };
  summary.p50_us = at(0.50);
  summary.p99_us = at(0.99);
  return summary;
}

std::string BenchPayload(uint64_t bytes) {
  constexpr uint64_t kOverhead = 10;  // {"pad":""}
  return "{\"pad\":\"" + std::string(bytes > kOverhead ? bytes - kOverhead : 0, 'x') + "\"}";
}

}  // namespace duet::cli
