// Events per second over a sliding window of the last few seconds.
#ifndef DUET_PROJECTION_RATE_METER_H_
#define DUET_PROJECTION_RATE_METER_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <mutex>
#include <utility>

#include "util/thread_annotations.h"

namespace duet::projection {

// Thread-safe.
class RateMeter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kWindow{5};

  RateMeter();
  // Counts `events` done now.
  void Add(uint64_t events);
  // Events per second over the window (or since construction/Reset, when
  // that is shorter). 0 when nothing was counted in the window.
  double PerSecond();
  void Reset();

 private:
  void Trim(Clock::time_point now) REQUIRES(mu_);

  std::mutex mu_;
  Clock::time_point start_ GUARDED_BY(mu_);
  std::deque<std::pair<Clock::time_point, uint64_t>> samples_ GUARDED_BY(mu_);
  uint64_t in_window_ GUARDED_BY(mu_) = 0;
};

}  // namespace duet::projection

#endif  // DUET_PROJECTION_RATE_METER_H_
