// The whole `duet` command line for a program's own domains.
//
//   int main(int argc, char** argv) {
//     return duet::Main(argc, argv, {my::Domain()});
//   }
//
// gives a program `serve` (every role, --follow), `command`, `query`,
// `projections ...`, `read`, `verify`, `stats`, `demo` and `bench ...` over
// the domains it passes, exactly as the shipped `duet` binary has them for
// the example domains (which is built the same way). `help` lists every
// command; `help NAME` (or `NAME --help`) shows one, and `help command` /
// `help query` list the domains' command contracts and queries. Help texts
// name the program as it was called (argv[0]).
#ifndef DUET_MAIN_H_
#define DUET_MAIN_H_

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include "duet/app.h"

namespace duet {

// Runs the command line `argv` (argv[0] is the program) over `domains` on
// std::cout / std::cerr. Returns the process exit code: 0 success, 1
// failure, 2 bad usage.
int Main(int argc, char** argv, std::vector<Domain> domains);

// The same with the arguments after the program name and explicit streams
// (what tests drive). `program` is the name help texts show.
int RunCli(const std::vector<std::string>& args, const std::vector<Domain>& domains,
           std::ostream& out, std::ostream& err, std::string_view program = "duet");

}  // namespace duet

#endif  // DUET_MAIN_H_
