// One `duet` subcommand: its flags, help text and body.
#ifndef DUET_CLI_COMMAND_H_
#define DUET_CLI_COMMAND_H_

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "duet/options.h"

namespace duet::cli {

struct Command {
  std::string name;     // e.g. "append", or "bench append"
  std::string usage;    // the synopsis after "Usage: "
  std::string summary;  // what it does, a few lines
  std::vector<FlagSpec> flags;
  // Returns the process exit code: 0 success, 1 failure, 2 bad usage.
  std::function<int(const Flags&, std::ostream& out, std::ostream& err)> run;
  // Arguments that are not flags (named in `usage`), at most this many.
  size_t max_positional = 0;
};

// Every command of the CLI, in help order.
std::vector<Command> AllCommands();

// Entry point used by main() and by the CLI tests: args exclude argv[0].
int RunCli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Registrations of each command group (store_commands.cc, bench_commands.cc, ...).
void AddStoreCommands(std::vector<Command>* commands);
void AddBenchCommands(std::vector<Command>* commands);
void AddDomainCommands(std::vector<Command>* commands);
void AddReadCommands(std::vector<Command>* commands);
void AddReplayBenchCommands(std::vector<Command>* commands);
void AddServeCommands(std::vector<Command>* commands);

// The --durability flag shared by every command that opens a store.
extern const FlagSpec kDurabilityFlag;
// StoreOptions with --durability applied (sync when absent).
Result<StoreOptions> StoreOptionsFromFlags(const Flags& flags);

// Prints `status` as "error: ..." and returns the exit code for it.
int ReportError(const Status& status, std::ostream& err);

}  // namespace duet::cli

#endif  // DUET_CLI_COMMAND_H_
