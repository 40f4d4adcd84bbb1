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

// "Usage: duet <command> ..." followed by one line per flag.
std::string FlagsHelp(std::string_view usage, std::string_view summary,
                      const std::vector<FlagSpec>& specs);

}  // namespace duet::cli

#endif  // DUET_CLI_FLAGS_H_
