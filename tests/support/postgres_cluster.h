// A throwaway PostgreSQL 15 server for one test process: initdb in a fresh
// folder, a free port on 127.0.0.1, trust authentication for user "duet";
// as root, the server runs as the unprivileged `postgres` user (PostgreSQL
// refuses root).
//
// Always stopped: the destructor stops it, and a watchdog process started
// with it stops it and removes its folder when the test process ends in any
// way (a crash or a sanitizer abort included), because the watchdog's stdin
// is a pipe only this process holds.
//
// PostgreSQL's binaries come from Debian's postgresql-15 (make deps installs
// it); DUET_PG_BIN overrides their folder. Not thread-safe.
#ifndef DUET_TESTS_SUPPORT_POSTGRES_CLUSTER_H_
#define DUET_TESTS_SUPPORT_POSTGRES_CLUSTER_H_

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "duet/result.h"

namespace duet::testing {

class PostgresCluster {
 public:
  // Creates and starts the server. Errors name what failed (binaries
  // missing, initdb or start failing, with the server log's tail).
  static Result<std::unique_ptr<PostgresCluster>> Start();
  ~PostgresCluster();
  PostgresCluster(const PostgresCluster&) = delete;
  PostgresCluster& operator=(const PostgresCluster&) = delete;

  // postgresql://duet@127.0.0.1:<port>/<database>
  std::string url(std::string_view database = "postgres") const;
  int port() const { return port_; }

  // A new empty database (one per test keeps tests apart).
  Status CreateDatabase(std::string_view name);
  // Runs `sql` with psql on `database`; `out`, if set, gets its unaligned
  // output.
  Status Psql(std::string_view sql, std::string* out = nullptr,
              std::string_view database = "postgres");

  // Stops the server: "fast" (clients disconnected, a clean shutdown) or
  // "immediate" (like a crash; recovery runs on the next start).
  Status Stop(std::string_view mode = "fast");
  // Starts it again on the same port and data.
  Status StartAgain();

 private:
  PostgresCluster() = default;
  Status RunAsServerUser(const std::string& command, std::string* out = nullptr) const;

  std::filesystem::path dir_;
  std::filesystem::path bin_;
  int port_ = 0;
  bool running_ = false;
  int watchdog_pipe_ = -1;  // the write end; closing it lets the watchdog clean up
  pid_t watchdog_ = -1;
};

}  // namespace duet::testing

#endif  // DUET_TESTS_SUPPORT_POSTGRES_CLUSTER_H_
