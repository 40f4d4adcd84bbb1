#include "projection/rate_meter.h"

#include <algorithm>

namespace duet::projection {

namespace {

// A window shorter than this would turn one early batch into a huge rate.
constexpr std::chrono::milliseconds kMinSpan{250};

}  // namespace

RateMeter::RateMeter() : start_(Clock::now()) {}

void RateMeter::Add(uint64_t events) {
  const Clock::time_point now = Clock::now();
  std::lock_guard lock(mu_);
  Trim(now);
  samples_.emplace_back(now, events);
  in_window_ += events;
}

double RateMeter::PerSecond() {
  const Clock::time_point now = Clock::now();
  std::lock_guard lock(mu_);
  Trim(now);
  if (in_window_ == 0) return 0;
  const Clock::duration span =
      std::max<Clock::duration>(std::min<Clock::duration>(now - start_, kWindow), kMinSpan);
  return static_cast<double>(in_window_) / std::chrono::duration<double>(span).count();
}

void RateMeter::Reset() {
  std::lock_guard lock(mu_);
  start_ = Clock::now();
  samples_.clear();
  in_window_ = 0;
}

void RateMeter::Trim(Clock::time_point now) {
  while (!samples_.empty() && now - samples_.front().first > kWindow) {
    in_window_ -= samples_.front().second;
    samples_.pop_front();
  }
}

}  // namespace duet::projection
