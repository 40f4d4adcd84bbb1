#include "child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace library::testing {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::string_view kBannerUrl = "on http://127.0.0.1:";

}  // namespace

duet::Result<std::unique_ptr<ChildProcess>> ChildProcess::Start(std::vector<std::string> argv) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return duet::Status::IOError(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  std::vector<char*> args;
  for (std::string& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    return duet::Status::IOError("spawn " + argv[0] + ": " + std::strerror(rc));
  }
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid, pipe_fds[0]));
}

ChildProcess::~ChildProcess() {
  (void)Stop(std::chrono::seconds(20));
  ::close(stdout_fd_);
}

duet::Result<uint16_t> ChildProcess::WaitForServingPort(std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    for (size_t end; (end = pending_.find('\n')) != std::string::npos;) {
      const std::string line = pending_.substr(0, end);
      pending_.erase(0, end + 1);
      if (const size_t at = line.find(kBannerUrl); at != std::string::npos) {
        const int port = std::atoi(line.c_str() + at + kBannerUrl.size());
        if (port > 0 && port < 65536) return static_cast<uint16_t>(port);
      }
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return duet::Status::Timeout("no serving banner on stdout");
    pollfd p{.fd = stdout_fd_, .events = POLLIN, .revents = 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buffer[4096];
    const ssize_t n = ::read(stdout_fd_, buffer, sizeof(buffer));
    if (n <= 0) return duet::Status::IOError("stdout closed before the serving banner");
    pending_.append(buffer, static_cast<size_t>(n));
  }
}

duet::Result<int> ChildProcess::Stop(std::chrono::milliseconds timeout) {
  if (reaped_) return duet::Status::FailedPrecondition("already stopped");
  ::kill(pid_, SIGTERM);
  const Clock::time_point deadline = Clock::now() + timeout;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (done < 0) return duet::Status::IOError(std::string("waitpid: ") + std::strerror(errno));
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      reaped_ = true;
      return duet::Status::Timeout("did not exit after SIGTERM; killed");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  reaped_ = true;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace library::testing
