// Kills a writer process with SIGKILL at random moments and checks, after
// each reopen, that every acknowledged event is there, positions are
// contiguous and the log verifies.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "duet/embedded_store.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace duet {
namespace {

struct Ack {
  std::string stream;
  uint64_t version;
  std::string data;
};

// Runs the writer for `run_for`, SIGKILLs it, and returns every line it
// printed (each an acknowledged event).
std::vector<Ack> RunAndKill(const std::filesystem::path& dir, const std::string& tag,
                            std::chrono::milliseconds run_for) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return {};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  std::string binary = DUET_CRASH_WRITER;
  std::string dir_arg = dir.string();
  char* argv[] = {binary.data(), dir_arg.data(), const_cast<char*>(tag.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  EXPECT_EQ(spawned, 0);
  std::string output;
  char buffer[65536];
  ::fcntl(pipe_fds[0], F_SETFL, O_NONBLOCK);
  // The random kill moment counts from the first acknowledgement, so every
  // round kills a writer that is busy appending (however slow the machine),
  // not one still opening the store. The bound only stops a hung child.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::optional<std::chrono::steady_clock::time_point> deadline;
  while (deadline ? std::chrono::steady_clock::now() < *deadline
                  : std::chrono::steady_clock::now() < give_up) {
    if (!deadline && output.find('\n') != std::string::npos) {
      deadline = std::chrono::steady_clock::now() + run_for;
    }
    pollfd pfd{pipe_fds[0], POLLIN, 0};
    ::poll(&pfd, 1, 5);
    const ssize_t n = ::read(pipe_fds[0], buffer, sizeof(buffer));
    if (n > 0) output.append(buffer, static_cast<size_t>(n));
    if (n == 0) break;  // the child exited on its own: a failure, seen below
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status)) << "writer exited by itself with " << WEXITSTATUS(status);
  ::fcntl(pipe_fds[0], F_SETFL, 0);
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof(buffer))) > 0;) {
    output.append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  std::vector<Ack> acks;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    Ack ack;
    fields >> ack.stream >> ack.version >> ack.data;
    acks.push_back(std::move(ack));
  }
  return acks;
}

TEST(CrashRecoveryTest, EveryAcknowledgedEventSurvivesSigkill) {
  testing::TempDir dir;
  std::mt19937 rng(20261123);
  std::uniform_int_distribution<int> run_ms(0, 150);
  uint64_t total_acks = 0;
  for (int round = 0; round < 50; ++round) {
    const auto acks =
        RunAndKill(dir.path(), "r" + std::to_string(round), std::chrono::milliseconds(run_ms(rng)));
    EXPECT_FALSE(acks.empty()) << "round " << round << ": the writer acknowledged nothing";
    total_acks += acks.size();
    StoreOptions options;
    options.durability.mode = Durability::Mode::kNone;  // checking, not writing
    auto store = EmbeddedStore::Open(dir.path(), options);
    ASSERT_TRUE(store.ok()) << "round " << round << ": " << store.status();
    for (const Ack& ack : acks) {
      auto events =
          (*store)->ReadStream(ack.stream, StreamVersion(ack.version), 1, ReadDirection::kForward);
      ASSERT_TRUE(events.ok()) << events.status();
      ASSERT_EQ(events->size(), 1u)
          << "round " << round << " lost " << ack.stream << "@" << ack.version;
      ASSERT_EQ(events->front().data, ack.data) << "round " << round;
    }
    const GlobalPosition head = (*store)->HeadPosition();
    GlobalPosition expected(1);
    for (GlobalPosition from(1); from <= head;) {
      auto batch = (*store)->ReadAll(from, 4096);
      ASSERT_TRUE(batch.ok()) << batch.status();
      ASSERT_FALSE(batch->empty());
      for (const RecordedEvent& e : *batch) {
        ASSERT_EQ(e.position, expected) << "round " << round;
        expected = expected.Next();
      }
      from = expected;
    }
    store->reset();
    auto verified = VerifyDataFolder(dir.path());
    ASSERT_TRUE(verified.ok()) << "round " << round << ": " << verified.status();
    EXPECT_EQ(verified->head, head);
  }
  // Every round was killed after at least one acknowledgement.
  EXPECT_GE(total_acks, 50u);
}

}  // namespace
}  // namespace duet
