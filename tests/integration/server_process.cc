#include "tests/integration/server_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

extern char** environ;

namespace duet::testing {
namespace {

// The banner's address, http:// or https:// (a server with TLS).
constexpr std::string_view kAddressPrefix = "://127.0.0.1:";
// The log keeps at most this much; older output is dropped in halves, so a
// chatty server under load cannot grow a test's memory without bound.
constexpr size_t kMaxLogBytes = 8 << 20;
// How long a stopped process's last output may take to drain from the pipe.
constexpr std::chrono::seconds kDrainTimeout{2};

std::string ErrnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// The port of the first complete address in `text`, if any. "Complete":
// the digits are followed by another character, so a port split across two
// reads is not taken for a shorter one.
std::optional<uint16_t> FindPort(std::string_view text) {
  size_t at = text.find(kAddressPrefix);
  while (at != std::string_view::npos) {
    size_t i = at + kAddressPrefix.size();
    uint32_t port = 0;
    size_t digits = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && digits < 6) {
      port = port * 10 + static_cast<uint32_t>(text[i] - '0');
      ++i;
      ++digits;
    }
    if (i == text.size()) return std::nullopt;  // wait for the rest of the line
    if (digits > 0 && digits <= 5 && port > 0 && port <= 65535) {
      return static_cast<uint16_t>(port);
    }
    at = text.find(kAddressPrefix, at + 1);
  }
  return std::nullopt;
}

// `status` (a kTimeout or kFailedPrecondition from WaitForAddress) with the
// process's output appended, keeping the code so tests can tell them apart.
Status WithLog(const Status& status, const ServerProcess& process) {
  const std::string text = DescribeFailure(status, &process);
  return status.IsTimeout() ? Status::Timeout(text) : Status::FailedPrecondition(text);
}

int ExitCodeOf(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

// This process's environment with `extra` ("NAME=value") added; an entry of
// `extra` replaces one of the same name. Points into `extra` and environ.
std::vector<char*> ChildEnvironment(std::vector<std::string>& extra) {
  std::vector<char*> envp;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view current(*entry);
    const size_t equals = current.find('=');
    const std::string_view name =
        current.substr(0, equals == std::string_view::npos ? 0 : equals + 1);
    bool replaced = false;
    for (const std::string& e : extra)
      replaced = replaced || (!name.empty() && e.starts_with(name));
    if (!replaced) envp.push_back(*entry);
  }
  for (std::string& e : extra) envp.push_back(e.data());
  envp.push_back(nullptr);
  return envp;
}

// posix_spawn attributes: a new process group, no blocked signals, and the
// default action for the signals a test runner may have changed.
Status InitAttributes(posix_spawnattr_t* attr) {
  if (posix_spawnattr_init(attr) != 0) return Status::IOError("posix_spawnattr_init failed");
  sigset_t empty;
  sigemptyset(&empty);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGTERM, SIGINT, SIGPIPE, SIGHUP, SIGCHLD}) sigaddset(&defaults, sig);
  if (posix_spawnattr_setflags(
          attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) != 0 ||
      posix_spawnattr_setpgroup(attr, 0) != 0 || posix_spawnattr_setsigmask(attr, &empty) != 0 ||
      posix_spawnattr_setsigdefault(attr, &defaults) != 0) {
    posix_spawnattr_destroy(attr);
    return Status::IOError("posix_spawnattr_set* failed");
  }
  return Status::OK();
}

}  // namespace

ServerProcess::ServerProcess(ServerProcessOptions options) : options_(std::move(options)) {}

ServerProcess::~ServerProcess() { (void)Kill(); }

Result<std::unique_ptr<ServerProcess>> ServerProcess::Start(ServerProcessOptions options) {
  std::unique_ptr<ServerProcess> process(new ServerProcess(std::move(options)));
  Status spawned = process->Spawn();
  if (!spawned.ok()) return spawned;
  Status ready = process->WaitForAddress();
  if (!ready.ok()) {
    (void)process->Kill();
    return WithLog(ready, *process);
  }
  return process;
}

std::string ServerProcess::url() const {
  return "http" + std::string(kAddressPrefix) + std::to_string(port_);
}

Status ServerProcess::Spawn() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::IOError(ErrnoText("pipe2"));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);  // dup2 clears O_CLOEXEC
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  posix_spawnattr_t attr;
  Status attr_status = InitAttributes(&attr);
  if (!attr_status.ok()) {
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[0]);
    ::close(fds[1]);
    return attr_status;
  }
  std::vector<char*> argv;
  argv.push_back(options_.binary.data());
  for (std::string& arg : options_.args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<char*> envp = ChildEnvironment(options_.environment);
  pid_t pid = -1;
  const int rc =
      posix_spawn(&pid, options_.binary.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return Status::IOError("posix_spawn " + options_.binary + ": " + std::strerror(rc));
  }
  pid_ = pid;
  port_ = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    run_log_start_ = log_.size();
    reader_done_ = false;
    stop_reader_ = false;
  }
  reader_ = std::thread([this, fd = fds[0]] { ReadLoop(fd); });
  return Status::OK();
}

void ServerProcess::ReadLoop(int fd) {
  char buffer[16384];
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_reader_) break;
    }
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) continue;
    const ssize_t n = ready < 0 ? -1 : ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: every writer is gone
    std::lock_guard<std::mutex> lock(mu_);
    log_.append(buffer, static_cast<size_t>(n));
    if (log_.size() > kMaxLogBytes) {
      const size_t drop = log_.size() / 2;
      log_.erase(0, drop);
      run_log_start_ = run_log_start_ > drop ? run_log_start_ - drop : 0;
    }
    output_cv_.notify_all();
  }
  ::close(fd);
  std::lock_guard<std::mutex> lock(mu_);
  reader_done_ = true;
  output_cv_.notify_all();
}

Status ServerProcess::WaitForAddress() {
  const auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    std::optional<uint16_t> port = FindPort(std::string_view(log_).substr(run_log_start_));
    if (port) {
      port_ = *port;
      return Status::OK();
    }
    int wait_status = 0;
    if (reader_done_ || ::waitpid(pid_, &wait_status, WNOHANG) == pid_) {
      if (!reader_done_) pid_ = -pid_;  // reaped: Kill() must not wait for it again
      return Status::FailedPrecondition("the process ended its output or exited before printing " +
                                        std::string(kAddressPrefix) + "<port>");
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::Timeout("no line with " + std::string(kAddressPrefix) + "<port> within " +
                             std::to_string(options_.start_timeout.count()) + " ms");
    }
    output_cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
}

std::optional<int> ServerProcess::WaitForExit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int wait_status = 0;
    const pid_t r = ::waitpid(pid_, &wait_status, WNOHANG);
    if (r == pid_) return wait_status;
    if (r < 0 && errno != EINTR) return -1;  // not our child any more: treat as gone
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void ServerProcess::KillGroup() {
  const pid_t group = pid_ > 0 ? pid_ : -pid_;
  if (group > 0) ::kill(-group, SIGKILL);
}

void ServerProcess::StopReader() {
  if (!reader_.joinable()) return;
  {
    std::unique_lock<std::mutex> lock(mu_);
    output_cv_.wait_for(lock, kDrainTimeout, [this] { return reader_done_; });
    stop_reader_ = true;
  }
  reader_.join();
}

Result<int> ServerProcess::Terminate(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return Status::FailedPrecondition("the process is not running");
  if (::kill(pid_, SIGTERM) != 0) return Status::IOError(ErrnoText("kill(SIGTERM)"));
  std::optional<int> wait_status = WaitForExit(timeout);
  if (!wait_status) {
    return Status::Timeout("still running " + std::to_string(timeout.count()) +
                           " ms after SIGTERM");
  }
  KillGroup();  // whatever it started and left behind
  pid_ = -1;
  StopReader();
  return ExitCodeOf(*wait_status);
}

Status ServerProcess::Kill() {
  if (pid_ == -1) {
    StopReader();
    return Status::OK();
  }
  KillGroup();
  if (pid_ > 0) (void)WaitForExit(std::chrono::seconds(30));
  pid_ = -1;
  StopReader();
  return Status::OK();
}

Status ServerProcess::Restart(std::optional<uint16_t> port) {
  DUET_RETURN_IF_ERROR(Kill());
  if (port) {
    auto it = std::find(options_.args.begin(), options_.args.end(), "--port");
    if (it != options_.args.end() && it + 1 != options_.args.end()) {
      *(it + 1) = std::to_string(*port);
    } else {
      options_.args.push_back("--port");
      options_.args.push_back(std::to_string(*port));
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    log_ += "\n--- restart ---\n";
  }
  DUET_RETURN_IF_ERROR(Spawn());
  Status ready = WaitForAddress();
  if (!ready.ok()) {
    (void)Kill();
    return WithLog(ready, *this);
  }
  return Status::OK();
}

std::string ServerProcess::log() const {
  std::lock_guard<std::mutex> lock(mu_);
  return log_;
}

std::string DescribeFailure(const Status& status, const ServerProcess* process) {
  std::string text = status.ToString();
  if (process != nullptr) text += "\n--- process output ---\n" + process->log();
  return text;
}

}  // namespace duet::testing
