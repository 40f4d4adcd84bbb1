#include "cli/flags.h"

#include <charconv>

namespace duet::cli {

Result<Flags> Flags::Parse(const std::vector<std::string>& args, const std::vector<FlagSpec>& specs,
                           size_t max_positional) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("--") || arg.size() == 2) {
      if (flags.positional_.size() < max_positional && arg != "--") {
        flags.positional_.push_back(arg);
        continue;
      }
      return Status::InvalidArgument(arg, "unexpected argument (flags are --name value)");
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& s : specs) {
      if (s.name == name) spec = &s;
    }
    if (spec == nullptr) return Status::InvalidArgument("--" + name, "unknown flag");
    if (!spec->takes_value) {
      if (inline_value) return Status::InvalidArgument("--" + name, "takes no value");
      flags.values_[name] = "";
      continue;
    }
    if (inline_value) {
      flags.values_[name] = *inline_value;
    } else if (i + 1 < args.size()) {
      flags.values_[name] = args[++i];
    } else {
      return Status::InvalidArgument("--" + name, "needs a value");
    }
  }
  return flags;
}

std::optional<std::string> Flags::Get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

Result<std::string> Flags::Required(std::string_view name) const {
  auto value = Get(name);
  if (!value) return Status::InvalidArgument("--" + std::string(name), "is required");
  return *value;
}

Result<uint64_t> Flags::Uint(std::string_view name, uint64_t fallback) const {
  auto value = Get(name);
  if (!value) return fallback;
  uint64_t out = 0;
  const auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), out);
  if (value->empty() || ec != std::errc() || end != value->data() + value->size()) {
    return Status::InvalidArgument("--" + std::string(name), "must be a non-negative integer");
  }
  return out;
}

std::string FlagsHelp(std::string_view usage, std::string_view summary,
                      const std::vector<FlagSpec>& specs) {
  std::string out = "Usage: " + std::string(usage) + "\n\n" + std::string(summary) + "\n";
  if (!specs.empty()) out += "\nFlags:\n";
  for (const FlagSpec& spec : specs) {
    std::string left = "  --" + spec.name + (spec.takes_value ? " VALUE" : "");
    if (left.size() < 24) left.resize(24, ' ');
    out += left + "  " + spec.help + "\n";
  }
  out += "  --help                  show this help\n";
  return out;
}

}  // namespace duet::cli
