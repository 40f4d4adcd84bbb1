// Kills a process running the projection engine (while it catches up and
// while it appends) with SIGKILL at random moments, then checks that the
// read store holds exactly the effects of the events up to its checkpoint:
// nothing applied twice, nothing skipped, equal to a rebuild at that point.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "duet/projection_engine.h"
#include "tests/projection/test_projections.h"
#include "tests/support/temp_dir.h"
#include "util/file_util.h"

extern char** environ;

namespace duet {
namespace {

namespace fs = std::filesystem;
using testing::Entries;

constexpr int kStreams = 50;

// Starts the runner, waits for its "ready", lets it run for `run_for`, then
// SIGKILLs it. Returns whether it got ready.
bool RunAndKill(const fs::path& dir, int seed, std::chrono::milliseconds run_for) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return false;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  std::string binary = DUET_PROJECTION_CRASH_RUNNER;
  std::string dir_arg = dir.string();
  std::string seed_arg = std::to_string(seed);
  char* argv[] = {binary.data(), dir_arg.data(), seed_arg.data(), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (spawned != 0) return false;
  // Bounded only against a hung child.
  pollfd pfd{pipe_fds[0], POLLIN, 0};
  char buffer[16] = {};
  const bool ready = ::poll(&pfd, 1, 60'000) == 1 && ::read(pipe_fds[0], buffer, 6) == 6;
  if (ready) std::this_thread::sleep_for(run_for);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(pipe_fds[0]);
  EXPECT_TRUE(WIFSIGNALED(status)) << "runner exited by itself with " << WEXITSTATUS(status);
  return ready;
}

void AppendHistory(const fs::path& dir, int events, std::mt19937& rng) {
  auto store = EmbeddedStore::Open(dir / "data", testing::FastStoreOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  for (int done = 0; done < events;) {
    const int n = 1 + static_cast<int>(rng() % 100);
    testing::AppendEvents(**store, "c" + std::to_string(rng() % kStreams), n);
    done += n;
  }
}

// The serving store as the killed process left it, read before any runner
// touches it: its checkpoint and entries.
std::pair<GlobalPosition, std::map<std::string, std::string>> ReadLeftState(const fs::path& dir) {
  auto current = ReadWholeFile(dir / "readstores" / "counts" / "CURRENT");
  if (!current.ok()) return {kNoPosition, {}};  // killed before the first CURRENT
  std::string name = *current;
  name.pop_back();
  auto store = OpenDocumentStore(dir / "readstores" / "counts" / name);
  EXPECT_TRUE(store.ok()) << store.status();
  if (!store.ok()) return {kNoPosition, {}};
  return {(*store)->checkpoint(), Entries(**store)};
}

void CheckAfterCrash(const fs::path& dir, int round) {
  SCOPED_TRACE("round " + std::to_string(round));
  const auto [left_at, left_entries] = ReadLeftState(dir);
  auto store = EmbeddedStore::Open(dir / "data", testing::FastStoreOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  const GlobalPosition head = (*store)->HeadPosition();
  ASSERT_LE(left_at, head);
  auto engine = ProjectionEngine::Open(store->get(), dir / "readstores", {.batch_size = 512});
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE(
      (*engine)->Add(std::make_unique<testing::CountingProjection>(testing::Info("counts"))).ok());
  // What the killed process committed is exactly a build up to its checkpoint.
  auto at_kill = (*engine)->BuildAt("counts", {left_at, {}}, {});
  ASSERT_TRUE(at_kill.ok()) << at_kill.status();
  EXPECT_EQ(Entries(**at_kill), left_entries) << "checkpoint " << left_at.value;
  // Caught up, it equals a rebuild at the head, and every count is its
  // stream's length: no event applied twice or skipped.
  auto reached = (*engine)->WaitFor("counts", head, std::chrono::minutes(2));
  ASSERT_TRUE(reached.ok());
  ASSERT_EQ(*reached, head);
  auto serving = (*engine)->ServingStore("counts").value();
  auto rebuilt = (*engine)->BuildAt("counts", {head, {}}, {});
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(Entries(*serving), Entries(**rebuilt));
  for (int s = 0; s < kStreams; ++s) {
    const std::string stream = "c" + std::to_string(s);
    auto last = (*store)->StreamHead(stream);
    auto doc = static_cast<DocumentStore&>(*serving).Get(stream);
    ASSERT_TRUE(doc.ok());
    if (!last) {
      EXPECT_FALSE(doc->doc) << stream;
      continue;
    }
    ASSERT_TRUE(doc->doc) << stream;
    EXPECT_EQ(doc->doc->at("count").as_int64(), static_cast<int64_t>(last->value + 1)) << stream;
  }
}

TEST(ProjectionCrashTest, CheckpointAndDataSurviveSigkillTogether) {
  testing::TempDir dir;
  std::mt19937 rng(20261123);
  AppendHistory(dir.path(), 20'000, rng);
  std::uniform_int_distribution<int> run_ms(0, 400);
  for (int round = 0; round < 8; ++round) {
    // Odd rounds add history first, so the runner is killed while catching up.
    if (round % 2 == 1) AppendHistory(dir.path(), 5'000, rng);
    ASSERT_TRUE(RunAndKill(dir.path(), round, std::chrono::milliseconds(run_ms(rng))))
        << "round " << round << ": the runner never got ready";
    CheckAfterCrash(dir.path(), round);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace duet
