// FormatUtcTimestamp: ISO-8601 UTC text of a microsecond timestamp.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>

#include "duet/query_bus.h"

namespace duet {

std::string FormatUtcTimestamp(int64_t timestamp_us) {
  using namespace std::chrono;
  // Clamped to years 0000..9999 so the calendar arithmetic stays in range and
  // the text keeps its fixed shape; event timestamps are far inside it.
  constexpr int64_t kMinUs = -62167219200LL * 1000000;           // 0000-01-01T00:00:00Z
  constexpr int64_t kMaxUs = 253402300799LL * 1000000 + 999999;  // 9999-12-31T23:59:59.999999Z
  const int64_t us = std::clamp(timestamp_us, kMinUs, kMaxUs);
  const sys_time<microseconds> t{microseconds(us)};
  const sys_days day = floor<days>(t);
  const year_month_day ymd(day);
  const hh_mm_ss<microseconds> time(t - day);
  char text[40];
  int n = std::snprintf(text, sizeof(text), "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()), int(time.hours().count()),
                        int(time.minutes().count()), int(time.seconds().count()));
  if (time.subseconds().count() != 0) {
    n += std::snprintf(text + n, sizeof(text) - n, ".%06lld",
                       static_cast<long long>(time.subseconds().count()));
  }
  return std::string(text, n) + "Z";
}

}  // namespace duet
