// One `duet` subcommand: its flags, help text and body.
#ifndef DUET_CLI_COMMAND_H_
#define DUET_CLI_COMMAND_H_

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "cli/flags.h"
#include "duet/app.h"
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
  // More help after the flags (e.g. the domains' command contracts).
  std::string details{};
};

using Domains = std::vector<Domain>;

// Every command of the CLI over `domains`, in help order. The commands refer
// to `domains`, which must outlive them.
std::vector<Command> AllCommands(const Domains& domains);

// Registrations of each command group (store_commands.cc, bench_commands.cc,
// ...); those that run the domains keep a reference to `domains`.
void AddStoreCommands(std::vector<Command>* commands);
void AddBenchCommands(std::vector<Command>* commands);
void AddDomainCommands(const Domains& domains, std::vector<Command>* commands);
void AddReadCommands(const Domains& domains, std::vector<Command>* commands);
void AddReplayBenchCommands(const Domains& domains, std::vector<Command>* commands);
void AddServeCommands(const Domains& domains, std::vector<Command>* commands);

// The --durability flag shared by every command that opens a store.
extern const FlagSpec kDurabilityFlag;
// --store postgresql://user@host:port/db: the PostgreSQL store instead of
// the embedded one in --data.
extern const FlagSpec kStoreFlag;
// StoreOptions with --durability applied (sync when absent).
Result<StoreOptions> StoreOptionsFromFlags(const Flags& flags);

// Prints `status` as "error: ..." and returns the exit code for it.
int ReportError(const Status& status, std::ostream& err);

// Opens an App over `domains` on --data with --durability (role all), its
// events in --store when given (PostgreSQL). Without the read side: the
// store and the command bus only.
Result<std::unique_ptr<App>> OpenApp(const Flags& flags, const Domains& domains, bool read_side);

// `run` with the domains bound, for a Command.
template <typename Run>
auto WithDomains(const Domains& domains, Run run) {
  return [&domains, run](const Flags& flags, std::ostream& out, std::ostream& err) {
    return run(flags, domains, out, err);
  };
}

}  // namespace duet::cli

#endif  // DUET_CLI_COMMAND_H_
