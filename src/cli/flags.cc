#include "cli/flags.h"

#include <sys/ioctl.h>
#include <unistd.h>

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

size_t HelpWidth() {
  winsize size{};
  if (isatty(STDOUT_FILENO) == 1 && ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 &&
      size.ws_col >= 40) {
    return size.ws_col;
  }
  return kDefaultHelpWidth;
}

std::string WrapText(std::string_view text, size_t width, size_t first_indent, size_t indent) {
  std::string out;
  size_t column = first_indent;
  bool line_has_word = false;
  auto new_line = [&] {
    out += "\n" + std::string(indent, ' ');
    column = indent;
    line_has_word = false;
  };
  size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == '\n') {  // a paragraph break in the source text
      new_line();
      ++pos;
      continue;
    }
    // The spaces before a word are kept (aligned columns stay aligned)
    // unless the word starts a new line.
    size_t spaces = 0;
    for (; pos < text.size() && text[pos] == ' '; ++pos) ++spaces;
    size_t end = pos;
    while (end < text.size() && text[end] != ' ' && text[end] != '\n') ++end;
    if (end == pos) continue;  // trailing spaces
    const std::string_view word = text.substr(pos, end - pos);
    const size_t gap = line_has_word ? spaces : 0;
    if (line_has_word && column + gap + word.size() > width) {
      new_line();
      out += word;
      column += word.size();
    } else {
      out += std::string(gap, ' ');
      out += word;
      column += gap + word.size();
    }
    line_has_word = true;
    pos = end;
  }
  return out;
}

std::string FlagsHelp(std::string_view usage, std::string_view summary,
                      const std::vector<FlagSpec>& specs, size_t width) {
  constexpr size_t kFlagColumn = 26;  // "  --name VALUE" padded, then the help
  std::string out = "Usage: " + WrapText(usage, width, 7, 4) + "\n\n";
  // The summary's own line breaks are only where its author wrapped it: refill.
  std::string flowed(summary);
  for (char& c : flowed) {
    if (c == '\n') c = ' ';
  }
  out += WrapText(flowed, width, 0, 0) + "\n";
  if (!specs.empty()) out += "\nFlags:\n";
  auto add_flag = [&](std::string left, std::string_view help) {
    if (left.size() + 2 > kFlagColumn) {
      out += left + "\n" + std::string(kFlagColumn, ' ');
    } else {
      left.resize(kFlagColumn, ' ');
      out += left;
    }
    out += WrapText(help, width, kFlagColumn, kFlagColumn) + "\n";
  };
  for (const FlagSpec& spec : specs) {
    add_flag("  --" + spec.name + (spec.takes_value ? " VALUE" : ""), spec.help);
  }
  add_flag("  --help", "show this help");
  return out;
}

}  // namespace duet::cli
