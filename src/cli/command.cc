#include "cli/command.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <ostream>

#include "duet/main.h"
#include "util/version.h"

namespace duet::cli {
namespace {

// A summary's first sentence, its author's line breaks joined: the
// one-line description of the top-level help.
std::string FirstSentence(std::string_view summary) {
  std::string text(summary);
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  const size_t stop = text.find(". ");
  return stop == std::string::npos ? text : text.substr(0, stop + 1);
}

std::string TopLevelHelp(const std::vector<Command>& commands, std::string_view program,
                         size_t width) {
  std::string out = "Usage: " + std::string(program) +
                    " <command> [flags]\n\n"
                    "Duet: an event-sourced CQRS engine. Commands:\n";
  // The descriptions start two columns after the longest command name.
  size_t column = 0;
  for (const Command& c : commands) column = std::max(column, c.name.size() + 4);
  for (const Command& c : commands) {
    std::string left = "  " + c.name;
    left.resize(column, ' ');
    out += left + WrapText(FirstSentence(c.summary), width, column, column) + "\n";
  }
  out += "\nRun `" + std::string(program) + " <command> --help` for a command's flags.\n";
  return out;
}

// A line of details that is printed as it is: a JSON example, which must stay
// one piece to be copied (a break inside one of its strings would change it).
bool IsVerbatim(std::string_view trimmed_line) { return trimmed_line.starts_with("example: "); }

// More help after the flags, each line wrapped under its own indentation
// (but the verbatim ones).
std::string WrapDetails(std::string_view details, size_t width) {
  std::string out;
  size_t start = 0;
  while (start < details.size()) {
    size_t end = details.find('\n', start);
    if (end == std::string_view::npos) end = details.size();
    const std::string_view line = details.substr(start, end - start);
    const size_t indent = std::min(line.find_first_not_of(' '), line.size());
    const std::string_view trimmed = line.substr(indent);
    out +=
        std::string(indent, ' ') +
        (IsVerbatim(trimmed) ? std::string(trimmed) : WrapText(trimmed, width, indent, indent + 2));
    if (end < details.size()) out += '\n';
    start = end + 1;
  }
  return out;
}

// A command's help, its usage naming `program` instead of "duet".
std::string CommandHelp(const Command& command, std::string_view program, size_t width) {
  std::string usage = command.usage;
  if (usage.rfind("duet ", 0) == 0) usage = std::string(program) + usage.substr(4);
  return FlagsHelp(usage, command.summary, command.flags, width) +
         WrapDetails(command.details, width);
}

// Duet's version, whatever the program embedding it is called.
std::string VersionText() { return "duet " + std::string(DuetVersion()) + "\n"; }

}  // namespace

std::vector<Command> AllCommands(const Domains& domains) {
  std::vector<Command> commands;
  AddStoreCommands(&commands);
  AddDomainCommands(domains, &commands);
  AddServeCommands(domains, &commands);
  AddReadCommands(domains, &commands);
  AddBenchCommands(&commands);
  AddReplayBenchCommands(domains, &commands);
  commands.push_back({"version",
                      "duet version",
                      "Print the version of Duet (also: --version).",
                      {},
                      [](const Flags&, std::ostream& out, std::ostream&) {
                        out << VersionText();
                        return 0;
                      }});
  return commands;
}

const FlagSpec kDurabilityFlag{"durability", "sync (default), interval:<ms> or none"};
const FlagSpec kStoreFlag{
    "store", "postgresql://user@host:port/db: events in PostgreSQL, not the data folder"};

Result<StoreOptions> StoreOptionsFromFlags(const Flags& flags) {
  StoreOptions options;
  if (auto durability = flags.Get("durability")) {
    DUET_ASSIGN_OR_RETURN(options.durability, Durability::Parse(*durability));
  }
  return options;
}

int ReportError(const Status& status, std::ostream& err) {
  err << "error: " << status.ToString() << "\n";
  return status.IsInvalidArgument() ? 2 : 1;
}

Result<std::unique_ptr<App>> OpenApp(const Flags& flags, const Domains& domains, bool read_side) {
  AppOptions options;
  DUET_ASSIGN_OR_RETURN(std::string dir, flags.Required("data"));
  options.data = dir;
  DUET_ASSIGN_OR_RETURN(options.store, StoreOptionsFromFlags(flags));
  options.read_side = read_side;
  options.store_url = flags.Get("store").value_or("");
  return App::Open(domains, std::move(options));
}

}  // namespace duet::cli

namespace duet {

int RunCli(const std::vector<std::string>& given, const std::vector<Domain>& domains,
           std::ostream& out, std::ostream& err, std::string_view program) {
  using namespace cli;
  const std::vector<Command> commands = AllCommands(domains);
  const size_t width = HelpWidth();
  std::vector<std::string> args = given;
  if (!args.empty() && args[0] == "--version") {
    out << VersionText();
    return 0;
  }
  if (args.size() > 1 && args[0] == "help") {  // `help NAME` is `NAME --help`
    args.erase(args.begin());
    args.push_back("--help");
  }
  if (args.empty() || args[0] == "--help" || args[0] == "help" || args[0] == "-h") {
    (args.empty() ? err : out) << TopLevelHelp(commands, program, width);
    return args.empty() ? 2 : 0;
  }
  // Longest match first, so "bench append" wins over a bare "bench".
  const Command* chosen = nullptr;
  size_t consumed = 0;
  for (const Command& c : commands) {
    std::vector<std::string> words;
    for (size_t start = 0; start <= c.name.size();) {
      size_t end = c.name.find(' ', start);
      if (end == std::string::npos) end = c.name.size();
      words.push_back(c.name.substr(start, end - start));
      start = end + 1;
    }
    if (words.size() > args.size() || words.size() <= consumed) continue;
    if (std::equal(words.begin(), words.end(), args.begin())) {
      chosen = &c;
      consumed = words.size();
    }
  }
  if (chosen == nullptr) {
    err << "error: unknown command '" << args[0] << "'\n\n"
        << TopLevelHelp(commands, program, width);
    return 2;
  }
  const std::vector<std::string> rest(args.begin() + static_cast<long>(consumed), args.end());
  for (const std::string& arg : rest) {
    if (arg == "--help" || arg == "-h") {
      out << CommandHelp(*chosen, program, width);
      return 0;
    }
  }
  auto flags = Flags::Parse(rest, chosen->flags, chosen->max_positional);
  if (!flags.ok()) {
    ReportError(flags.status(), err);
    err << "\n" << CommandHelp(*chosen, program, width);
    return 2;
  }
  return chosen->run(*flags, out, err);
}

int Main(int argc, char** argv, std::vector<Domain> domains) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const std::string program =
      argc > 0 ? std::filesystem::path(argv[0]).filename().string() : std::string("duet");
  return RunCli(args, domains, std::cout, std::cerr, program);
}

}  // namespace duet
