#include "duet/options.h"

#include <charconv>
#include <string>

namespace duet {

Result<Durability> Durability::Parse(std::string_view text) {
  if (text == "sync") return Durability{Mode::kSync, {}};
  if (text == "none") return Durability{Mode::kNone, {}};
  constexpr std::string_view kPrefix = "interval:";
  if (text.starts_with(kPrefix)) {
    const std::string_view digits = text.substr(kPrefix.size());
    int64_t ms = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), ms);
    if (!digits.empty() && ec == std::errc() && end == digits.data() + digits.size() && ms > 0) {
      return Durability{Mode::kInterval, std::chrono::milliseconds(ms)};
    }
  }
  return Status::InvalidArgument("durability", "must be sync, interval:<ms> with ms > 0, or none");
}

std::string Durability::ToString() const {
  switch (mode) {
    case Mode::kSync: return "sync";
    case Mode::kNone: return "none";
    case Mode::kInterval: return "interval:" + std::to_string(interval.count());
  }
  return "?";
}

}  // namespace duet
