// LockFile: one holder per path, across processes and within one.
#include "util/lock_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace duet {
namespace {

std::string Contents(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class LockFileTest : public ::testing::Test {
 protected:
  testing::TempDir tmp_;
  std::filesystem::path path_ = tmp_ / "LOCK";
};

TEST_F(LockFileTest, AcquireCreatesTheFileWithOurPid) {
  auto lock = LockFile::Acquire(path_);
  ASSERT_TRUE(lock.ok()) << lock.status();
  EXPECT_EQ(Contents(path_), std::to_string(::getpid()) + "\n");
  EXPECT_EQ((*lock)->path(), path_);
}

TEST_F(LockFileTest, SecondAcquireInTheSameProcessIsBusy) {
  auto first = LockFile::Acquire(path_);
  ASSERT_TRUE(first.ok());
  auto second = LockFile::Acquire(path_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kBusy);
  EXPECT_NE(second.status().message().find(path_.string()), std::string::npos);
  EXPECT_NE(second.status().message().find(std::to_string(::getpid())), std::string::npos)
      << second.status();
}

TEST_F(LockFileTest, ReleasedLockCanBeTakenAgain) {
  {
    auto first = LockFile::Acquire(path_);
    ASSERT_TRUE(first.ok());
  }
  EXPECT_TRUE(LockFile::Acquire(path_).ok());
}

TEST_F(LockFileTest, AnotherProcessIsRefusedWhileWeHoldIt) {
  auto lock = LockFile::Acquire(path_);
  ASSERT_TRUE(lock.ok());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto other = LockFile::Acquire(path_);
    _exit(!other.ok() && other.status().code() == StatusCode::kBusy ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
}

TEST_F(LockFileTest, AnotherProcessGetsItAfterRelease) {
  {
    auto lock = LockFile::Acquire(path_);
    ASSERT_TRUE(lock.ok());
  }
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(LockFile::Acquire(path_).ok() ? 0 : 1);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
}

TEST_F(LockFileTest, UnopenablePathIsIOError) {
  auto lock = LockFile::Acquire(tmp_ / "missing-dir" / "LOCK");
  ASSERT_FALSE(lock.ok());
  EXPECT_TRUE(lock.status().IsIOError()) << lock.status();
}

}  // namespace
}  // namespace duet
