// A real server process for integration tests: starts a program (normally the
// `duet` binary with `serve ... --host 127.0.0.1 --port 0`) with posix_spawn
// (no shell), captures its stdout and stderr through one pipe into an
// in-memory log, and waits (bounded) for the line naming the bound address,
// `http://127.0.0.1:<port>` (or https://), so a test learns the port the
// kernel picked.
//
// The child runs in its own process group, so that Kill() and the destructor
// also reap whatever the program started (a stand-in shell's `sleep`), and
// the pipe's writers all die with it.
//
// Thread-compatible: one test thread drives an object; log() may be called
// from any thread (the reader thread appends under a mutex).
#ifndef DUET_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define DUET_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "duet/result.h"
#include "duet/status.h"

namespace duet::testing {

struct ServerProcessOptions {
  std::string binary;             // absolute path of the program
  std::vector<std::string> args;  // argv[1..], e.g. {"serve", "--data", d, "--port", "0"}
  // "NAME=value" entries added to (and overriding) this process's environment
  // for the child, e.g. an LD_PRELOAD interposer.
  std::vector<std::string> environment;
  // How long Start/Restart wait for the address line.
  std::chrono::milliseconds start_timeout{std::chrono::seconds(60)};
};

class ServerProcess {
 public:
  // Spawns the program and waits for its address line. Errors: kIOError
  // (spawn or pipe failed), kTimeout (no address line in time; the process
  // is killed), kFailedPrecondition (the process exited first). The error
  // message carries the log captured so far.
  static Result<std::unique_ptr<ServerProcess>> Start(ServerProcessOptions options);

  // Kills the process group (SIGKILL) if it still runs, and reaps it.
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // The port of the address line of the current run.
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port>".
  std::string url() const;
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  const ServerProcessOptions& options() const { return options_; }

  // SIGTERM, then waits up to `timeout` for the exit. Returns the exit code,
  // or 128 + the signal number when a signal ended it. kTimeout when it is
  // still running after `timeout` (it is left running: the destructor or
  // Kill() ends it); kFailedPrecondition when not running.
  Result<int> Terminate(std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // SIGKILL to the process group, and reap. OK when not running.
  Status Kill();

  // Starts the program again with the same arguments (killing the current
  // run first if it still runs). With `port`, the value after "--port" is
  // replaced by it (so a follower's URL stays valid); otherwise the
  // arguments are as given (with "--port 0", a new port). Errors as Start.
  Status Restart(std::optional<uint16_t> port = std::nullopt);

  // Everything the process printed so far, over every run.
  std::string log() const;

 private:
  explicit ServerProcess(ServerProcessOptions options);

  Status Spawn();
  Status WaitForAddress();
  // Waits for the child to exit for up to `timeout`; its wait status, or
  // nullopt when it is still running.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout);
  void ReadLoop(int fd);
  void StopReader();
  void KillGroup();

  ServerProcessOptions options_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;

  mutable std::mutex mu_;
  std::condition_variable output_cv_;
  std::string log_;           // guarded by mu_
  size_t run_log_start_ = 0;  // guarded by mu_: where the current run's output begins
  bool reader_done_ = true;   // guarded by mu_: the pipe reached EOF or the reader stopped
  bool stop_reader_ = false;  // guarded by mu_
  std::thread reader_;
};

// A test-friendly message: the status, then the process's log.
std::string DescribeFailure(const Status& status, const ServerProcess* process);

}  // namespace duet::testing

#endif  // DUET_TESTS_INTEGRATION_SERVER_PROCESS_H_
