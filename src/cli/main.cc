// The `duet` executable: nothing but the hand-off to the CLI library.
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return duet::cli::RunCli(args, std::cout, std::cerr);
}
