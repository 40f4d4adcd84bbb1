// Flags: `--name value` and `--switch` arguments of one CLI command, checked
// against the command's declared flags so a typo is an error, not ignored.
#ifndef DUET_CLI_FLAGS_H_
#define DUET_CLI_FLAGS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "duet/result.h"

namespace duet::cli {

struct FlagSpec {
  std::string name;  // without the leading "--"
  std::string help;
  bool takes_value = true;
};

class Flags {
 public:
  // InvalidArgument naming the flag for unknown flags or missing values, or
  // naming the argument for more than `max_positional` non-flag arguments.
  static Result<Flags> Parse(const std::vector<std::string>& args,
                             const std::vector<FlagSpec>& specs, size_t max_positional = 0);

  bool Has(std::string_view name) const { return values_.count(std::string(name)) > 0; }
  std::optional<std::string> Get(std::string_view name) const;
  // InvalidArgument naming the flag when it is absent.
  Result<std::string> Required(std::string_view name) const;
  // The flag as an unsigned integer, `fallback` when absent; InvalidArgument
  // when it is not a number.
  Result<uint64_t> Uint(std::string_view name, uint64_t fallback) const;
  // The non-flag arguments, in order (e.g. a projection name, `key=value`).
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positional_;
};

// Help text is wrapped to this many columns when the output is not a
// terminal (and at most to a terminal's width, see HelpWidth).
inline constexpr size_t kDefaultHelpWidth = 80;

// The width help text is wrapped to: the terminal's columns when standard
// output is one (at least 40), else kDefaultHelpWidth.
size_t HelpWidth();

// `text` re-flowed into lines of at most `width` columns, breaking only
// between words (a single word longer than a line stands alone, never cut).
// The first line starts after `first_indent` columns already used (the
// caller printed them), later lines are indented by `indent` spaces. Line
// breaks in `text` separate paragraphs that are filled independently.
std::string WrapText(std::string_view text, size_t width, size_t first_indent, size_t indent);

// "Usage: duet <command> ..." followed by one entry per flag, wrapped to
// `width` columns.
std::string FlagsHelp(std::string_view usage, std::string_view summary,
                      const std::vector<FlagSpec>& specs, size_t width = kDefaultHelpWidth);

}  // namespace duet::cli

#endif  // DUET_CLI_FLAGS_H_
