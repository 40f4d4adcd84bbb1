// A child process for the tests: the starter's own binary run as a server,
// its stdout read line by line (for the banner), stopped with SIGTERM and
// reaped on destruction, so a failing test never leaves a server behind.
// Not thread-safe.
#ifndef DUET_STARTER_TESTS_CHILD_PROCESS_H_
#define DUET_STARTER_TESTS_CHILD_PROCESS_H_

#include <duet/result.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace library::testing {

class ChildProcess {
 public:
  // Starts `argv` (argv[0] is the program's path) with stdout on a pipe;
  // stderr stays the test's. IOError when it cannot be started.
  static duet::Result<std::unique_ptr<ChildProcess>> Start(std::vector<std::string> argv);

  // SIGTERM, then waits for the exit (SIGKILL after a bounded wait).
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The port of the first stdout line holding "on http://127.0.0.1:PORT"
  // (`serve`'s banner). Timeout when none came within `timeout`; IOError
  // when stdout closed first (the process failed to start serving).
  duet::Result<uint16_t> WaitForServingPort(std::chrono::milliseconds timeout);

  // SIGTERM and wait, up to `timeout`; the exit code (128 + signal when
  // killed by one). Timeout (after a SIGKILL) when it did not exit in time.
  duet::Result<int> Stop(std::chrono::milliseconds timeout);

 private:
  ChildProcess(pid_t pid, int stdout_fd) : pid_(pid), stdout_fd_(stdout_fd) {}

  pid_t pid_;
  int stdout_fd_;
  bool reaped_ = false;
  std::string pending_;  // stdout read but not yet split into lines
};

}  // namespace library::testing

#endif  // DUET_STARTER_TESTS_CHILD_PROCESS_H_
