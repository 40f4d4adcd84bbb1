// The library's own server and tools: the whole `duet` command line (serve
// in every role, command, query, projections, read, verify, stats, demo,
// bench) over the library domain.
//
//   library serve --role command --port 8080 --data data-cmd
//   library serve --role query --follow http://127.0.0.1:8080 --port 8081 --data data-q
//   library demo --data /tmp/library-demo
//
// A program with several domains passes them all: {library::Domain(), ...}.
#include <duet/main.h>

#include "library.h"

int main(int argc, char** argv) { return duet::Main(argc, argv, {library::Domain()}); }
