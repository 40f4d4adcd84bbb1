#include "tests/support/postgres_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

extern char** environ;

namespace duet::testing {
namespace {

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string Quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

// Runs `command` with /bin/sh; its stdout (and stderr) into `out`.
Status RunShell(const std::string& command, std::string* out) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return Status::IOError("popen failed: " + command);
  std::string text;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) text.append(buffer.data(), n);
  const int rc = pclose(pipe);
  if (out != nullptr) *out = text;
  if (rc != 0)
    return Status::IOError("`" + command + "` failed (" + std::to_string(rc) + "): " + text);
  return Status::OK();
}

std::string Tail(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::stringstream all;
  all << in.rdbuf();
  const std::string text = all.str();
  return text.size() > 2000 ? text.substr(text.size() - 2000) : text;
}

}  // namespace

Result<std::unique_ptr<PostgresCluster>> PostgresCluster::Start() {
  std::unique_ptr<PostgresCluster> cluster(new PostgresCluster());
  const char* bin = std::getenv("DUET_PG_BIN");
  cluster->bin_ = bin != nullptr && *bin != '\0' ? bin : "/usr/lib/postgresql/15/bin";
  if (!std::filesystem::exists(cluster->bin_ / "initdb")) {
    return Status::NotFound("initdb", "PostgreSQL 15 is not installed in " +
                                          cluster->bin_.string() + " (make deps installs it)");
  }
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/duet-pg-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) return Status::IOError("mkdtemp failed");
  cluster->dir_ = pattern;
  if (geteuid() == 0) {
    const passwd* pg = getpwnam("postgres");
    if (pg == nullptr)
      return Status::NotFound("postgres", "no user 'postgres' (reinstall postgresql-15)");
    if (chown(pattern.c_str(), pg->pw_uid, pg->pw_gid) != 0) return Status::IOError("chown failed");
  }

  // The watchdog: waits for EOF on stdin (this process gone, or the
  // destructor done), then stops the server and removes the folder.
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return Status::IOError("pipe failed");
  const std::string cleanup =
      "cat >/dev/null; " +
      (geteuid() == 0 ? std::string("runuser -u postgres -- ") : std::string()) +
      Quote((cluster->bin_ / "pg_ctl").string()) + " -D " + Quote(pattern + "/data") +
      " -m immediate -w stop >/dev/null 2>&1; rm -rf " + Quote(pattern);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[0], 0);
  const char* argv[] = {"/bin/sh", "-c", cleanup.c_str(), nullptr};
  const int spawned = posix_spawn(&cluster->watchdog_, "/bin/sh", &actions, nullptr,
                                  const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[0]);
  if (spawned != 0) {
    close(fds[1]);
    return Status::IOError("could not start the watchdog");
  }
  cluster->watchdog_pipe_ = fds[1];

  DUET_RETURN_IF_ERROR(cluster->RunAsServerUser(
      Quote((cluster->bin_ / "initdb").string()) + " -D " + Quote(pattern + "/data") +
      " -A trust -U duet --no-sync -E UTF8 --no-locale >/dev/null"));
  cluster->port_ = FreePort();
  DUET_RETURN_IF_ERROR(cluster->StartAgain());
  return cluster;
}

PostgresCluster::~PostgresCluster() {
  if (running_) (void)Stop("immediate");
  if (watchdog_pipe_ >= 0) close(watchdog_pipe_);
  if (watchdog_ > 0) {
    int status;
    waitpid(watchdog_, &status, 0);
  }
}

std::string PostgresCluster::url(std::string_view database) const {
  return "postgresql://duet@127.0.0.1:" + std::to_string(port_) + "/" + std::string(database);
}

Status PostgresCluster::RunAsServerUser(const std::string& command, std::string* out) const {
  const std::string line =
      geteuid() == 0 ? "runuser -u postgres -- /bin/sh -c " + Quote(command) : command;
  return RunShell(line, out);
}

Status PostgresCluster::StartAgain() {
  const std::string data = (dir_ / "data").string();
  // fsync and synchronous_commit on (the defaults, said out loud): a commit
  // is acknowledged once durable, as Duet promises.
  Status started =
      RunAsServerUser(Quote((bin_ / "pg_ctl").string()) + " -D " + Quote(data) + " -l " +
                      Quote((dir_ / "server.log").string()) + " -w -t 60 -o " +
                      Quote("-c listen_addresses=127.0.0.1 -p " + std::to_string(port_) +
                            " -c unix_socket_directories=" + dir_.string() +
                            " -c fsync=on -c synchronous_commit=on -c max_connections=200") +
                      " start >/dev/null");
  if (!started.ok()) {
    return Status::IOError(started.message() + "\nserver log:\n" + Tail(dir_ / "server.log"));
  }
  running_ = true;
  return Status::OK();
}

Status PostgresCluster::Stop(std::string_view mode) {
  running_ = false;
  return RunAsServerUser(Quote((bin_ / "pg_ctl").string()) + " -D " +
                         Quote((dir_ / "data").string()) + " -m " + std::string(mode) +
                         " -w stop >/dev/null");
}

Status PostgresCluster::CreateDatabase(std::string_view name) {
  return Psql("CREATE DATABASE \"" + std::string(name) + "\"");
}

Status PostgresCluster::Psql(std::string_view sql, std::string* out, std::string_view database) {
  return RunShell("psql -X -q -A -t -v ON_ERROR_STOP=1 " + Quote(url(database)) + " -c " +
                      Quote(std::string(sql)),
                  out);
}

}  // namespace duet::testing
