// The integration harness itself, against /bin/sh standing in for `duet
// serve`: port parsing, terminate, kill, restart, and the bounded wait.
#include "tests/integration/server_process.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {

using std::chrono::milliseconds;

ServerProcessOptions Shell(std::string script, std::vector<std::string> extra = {}) {
  ServerProcessOptions options;
  options.binary = "/bin/sh";
  options.args = {"-c", std::move(script), "sh"};
  for (std::string& arg : extra) options.args.push_back(std::move(arg));
  options.start_timeout = std::chrono::seconds(20);
  return options;
}

// True when no process (not even a zombie) has this pid any more.
bool Gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

TEST(ServerProcessTest, ParsesThePortOfTheAddressLine) {
  auto process = ServerProcess::Start(
      Shell("echo 'duet serve: role all'; echo 'listening on http://127.0.0.1:1234 (ctrl-c)';"
            " exec sleep 30"));
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ((*process)->port(), 1234);
  EXPECT_EQ((*process)->url(), "http://127.0.0.1:1234");
  EXPECT_TRUE((*process)->running());
  EXPECT_NE((*process)->log().find("role all"), std::string::npos);
}

TEST(ServerProcessTest, PassesItsEnvironmentAndTheExtraEntries) {
  ASSERT_EQ(::setenv("DUET_HARNESS_INHERITED", "kept", 1), 0);
  ASSERT_EQ(::setenv("DUET_HARNESS_REPLACED", "old", 1), 0);
  ServerProcessOptions options = Shell(
      "echo \"$DUET_HARNESS_INHERITED $DUET_HARNESS_REPLACED $DUET_HARNESS_ADDED\";"
      " echo http://127.0.0.1:1234; exec sleep 30");
  options.environment = {"DUET_HARNESS_REPLACED=new", "DUET_HARNESS_ADDED=added"};
  auto process = ServerProcess::Start(std::move(options));
  ::unsetenv("DUET_HARNESS_INHERITED");
  ::unsetenv("DUET_HARNESS_REPLACED");
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_NE((*process)->log().find("kept new added"), std::string::npos) << (*process)->log();
}

TEST(ServerProcessTest, WaitsForAPortSplitAcrossWrites) {
  auto process = ServerProcess::Start(
      Shell("printf 'http://127.0.0.1:12'; sleep 0.3; echo '345/'; exec sleep 30"));
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ((*process)->port(), 12345);
}

TEST(ServerProcessTest, SkipsAnAddressWithoutAValidPort) {
  auto process = ServerProcess::Start(
      Shell("echo 'http://127.0.0.1:0 then http://127.0.0.1:99999 then http://127.0.0.1:8081';"
            " exec sleep 30"));
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ((*process)->port(), 8081);
}

TEST(ServerProcessTest, TerminateReturnsTheExitCode) {
  auto process = ServerProcess::Start(Shell(
      "trap 'echo bye; exit 3' TERM; echo http://127.0.0.1:1234; while :; do sleep 0.1; done"));
  ASSERT_TRUE(process.ok()) << process.status();
  const pid_t pid = (*process)->pid();
  Result<int> code = (*process)->Terminate();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 3);
  EXPECT_FALSE((*process)->running());
  EXPECT_TRUE(Gone(pid));
  EXPECT_NE((*process)->log().find("bye"), std::string::npos);  // output drained before return
  EXPECT_FALSE((*process)->Terminate().ok());                   // not running any more
}

TEST(ServerProcessTest, TerminateReportsTheSignalOfAnUntrappedProcess) {
  auto process = ServerProcess::Start(Shell("echo http://127.0.0.1:1234; sleep 30"));
  ASSERT_TRUE(process.ok()) << process.status();
  Result<int> code = (*process)->Terminate();
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 128 + SIGTERM);
}

TEST(ServerProcessTest, TerminateTimesOutWhenTheProcessIgnoresSigterm) {
  auto process = ServerProcess::Start(
      Shell("trap '' TERM; echo http://127.0.0.1:1234; while :; do sleep 0.1; done"));
  ASSERT_TRUE(process.ok()) << process.status();
  Result<int> code = (*process)->Terminate(milliseconds(300));
  ASSERT_FALSE(code.ok());
  EXPECT_TRUE(code.status().IsTimeout()) << code.status();
  EXPECT_TRUE((*process)->running());
  const pid_t pid = (*process)->pid();
  EXPECT_TRUE((*process)->Kill().ok());
  EXPECT_FALSE((*process)->running());
  EXPECT_TRUE(Gone(pid));
}

TEST(ServerProcessTest, KillEndsTheProcessAndWhatItStarted) {
  auto process = ServerProcess::Start(Shell("echo http://127.0.0.1:1234; sleep 30 & wait"));
  ASSERT_TRUE(process.ok()) << process.status();
  const pid_t pid = (*process)->pid();
  EXPECT_TRUE((*process)->Kill().ok());
  EXPECT_TRUE(Gone(pid));
  EXPECT_FALSE((*process)->running());
  EXPECT_TRUE((*process)->Kill().ok());  // twice is fine
}

TEST(ServerProcessTest, DestructorKills) {
  pid_t pid = 0;
  {
    auto process = ServerProcess::Start(Shell("echo http://127.0.0.1:1234; exec sleep 30"));
    ASSERT_TRUE(process.ok()) << process.status();
    pid = (*process)->pid();
  }
  EXPECT_TRUE(Gone(pid));
}

TEST(ServerProcessTest, TimesOutWhenNoAddressLineComes) {
  ServerProcessOptions options = Shell("echo starting; exec sleep 30");
  options.start_timeout = milliseconds(500);
  auto process = ServerProcess::Start(options);
  ASSERT_FALSE(process.ok());
  EXPECT_TRUE(process.status().IsTimeout()) << process.status();
  EXPECT_NE(process.status().message().find("starting"), std::string::npos);  // the log
}

TEST(ServerProcessTest, FailsWhenTheProcessExitsFirst) {
  auto process = ServerProcess::Start(Shell("echo 'error: data folder locked' >&2; exit 1"));
  ASSERT_FALSE(process.ok());
  EXPECT_EQ(process.status().code(), StatusCode::kFailedPrecondition) << process.status();
  EXPECT_NE(process.status().message().find("data folder locked"), std::string::npos);
}

TEST(ServerProcessTest, FailsForAMissingBinary) {
  ServerProcessOptions options;
  options.binary = "/nonexistent/duet";
  auto process = ServerProcess::Start(options);
  ASSERT_FALSE(process.ok());
  EXPECT_TRUE(process.status().IsIOError()) << process.status();
}

TEST(ServerProcessTest, RestartKeepsTheArgumentsAndReplacesAFixedPort) {
  auto process = ServerProcess::Start(
      Shell("echo \"run $1 $2 at http://127.0.0.1:$2\"; exec sleep 30", {"--port", "1111"}));
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ((*process)->port(), 1111);
  const pid_t first = (*process)->pid();
  ASSERT_TRUE((*process)->Restart(2222).ok());
  EXPECT_EQ((*process)->port(), 2222);
  EXPECT_NE((*process)->pid(), first);
  EXPECT_TRUE(Gone(first));
  const std::string log = (*process)->log();
  EXPECT_NE(log.find("run --port 1111"), std::string::npos);
  EXPECT_NE(log.find("run --port 2222"), std::string::npos);
}

TEST(ServerProcessTest, RestartParsesOnlyTheNewRunsOutput) {
  TempDir dir;
  const std::string counter = (dir / "n").string();
  // Each run prints the port stored in the file, then stores the next one.
  auto process = ServerProcess::Start(
      Shell("n=$(cat \"$1\" 2>/dev/null || echo 4000); echo $((n + 1)) > \"$1\";"
            " echo http://127.0.0.1:$n; exec sleep 30",
            {counter}));
  ASSERT_TRUE(process.ok()) << process.status();
  EXPECT_EQ((*process)->port(), 4000);
  ASSERT_TRUE((*process)->Restart().ok());
  EXPECT_EQ((*process)->port(), 4001);
  ASSERT_TRUE((*process)->Terminate().ok());
  ASSERT_TRUE((*process)->Restart().ok());  // after a clean stop too
  EXPECT_EQ((*process)->port(), 4002);
}

}  // namespace
}  // namespace duet::testing
