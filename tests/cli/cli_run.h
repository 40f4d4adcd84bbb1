// Runs the `duet` CLI (duet::RunCli over the example domains) in process and captures what it
// printed, for the CLI tests.
#ifndef DUET_TESTS_CLI_CLI_RUN_H_
#define DUET_TESTS_CLI_CLI_RUN_H_

#include <sstream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "duet/main.h"
#include "ledger/ledger.h"
#include "orders/orders.h"

namespace duet::cli {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

// The domains of the shipped `duet` binary: both examples.
inline const std::vector<Domain>& ExampleDomains() {
  static const std::vector<Domain> domains{examples::ledger::Domain(), examples::orders::Domain()};
  return domains;
}

inline CliRun Cli(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int code = RunCli(args, ExampleDomains(), out, err);
  return {code, out.str(), err.str()};
}

}  // namespace duet::cli

#endif  // DUET_TESTS_CLI_CLI_RUN_H_
