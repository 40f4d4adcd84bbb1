// Runs the `duet` CLI in process and captures what it printed, for the CLI tests.
#ifndef DUET_TESTS_CLI_CLI_RUN_H_
#define DUET_TESTS_CLI_CLI_RUN_H_

#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"

namespace duet::cli {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

inline CliRun Cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int code = RunCli(args, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace duet::cli

#endif  // DUET_TESTS_CLI_CLI_RUN_H_
