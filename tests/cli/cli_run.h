// Runs the `duet` CLI (duet::RunCli over the example domains) in process and captures what it printed, for the CLI tests.
#ifndef DUET_TESTS_CLI_CLI_RUN_H_
#define DUET_TESTS_CLI_CLI_RUN_H_

#include <sstream>
#include <string>
#include <vector>

#include "duet/main.h"
#include "ledger/ledger.h"
#include "orders/orders.h"

namespace duet::cli {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

// The shipped `duet` binary's CLI: both example domains.
inline CliRun Cli(std::vector<std::string> args) {
  static const std::vector<Domain> domains{examples::ledger::Domain(),
                                           examples::orders::Domain()};
  std::ostringstream out, err;
  const int code = RunCli(args, domains, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace duet::cli

#endif  // DUET_TESTS_CLI_CLI_RUN_H_
