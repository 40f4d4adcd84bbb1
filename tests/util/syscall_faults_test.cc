// The fault-injection shim itself (tests/support/syscall): every interposed
// call fails when armed, with the armed errno, only for matching paths, only
// at the nth call, and passes through otherwise. Run in every build (Release,
// ASan, TSan), where the sanitizers' own interceptors sit behind the shim.
#include "tests/support/syscall/syscall_faults.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {

class SyscallFaultsTest : public ::testing::Test {
 protected:
  void TearDown() override { SyscallFaults::Disarm(); }
  int OpenFile(const char* name) {
    return ::open((tmp_ / name).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  }
  TempDir tmp_;
};

TEST_F(SyscallFaultsTest, OpenFailsAtTheNthMatchingCallOnly) {
  SyscallFaults::Arm(Syscall::kOpen, 2, EIO, "victim");
  const int other = OpenFile("bystander");  // does not match: not counted
  ASSERT_GE(other, 0);
  const int first = OpenFile("victim-1");
  ASSERT_GE(first, 0);
  errno = 0;
  EXPECT_EQ(::openat(AT_FDCWD, (tmp_ / "victim-2").c_str(), O_RDWR | O_CREAT, 0644), -1);
  EXPECT_EQ(errno, EIO);
  EXPECT_TRUE(SyscallFaults::Fired());
  const int third = ::open64((tmp_ / "victim-3").c_str(), O_RDWR | O_CREAT, 0644);
  EXPECT_GE(third, 0);
  EXPECT_EQ(SyscallFaults::Count(), 3u);
  for (int fd : {other, first, third}) ::close(fd);
}

TEST_F(SyscallFaultsTest, WritesFailForTheFileTheFdWasOpenedAs) {
  const int fd = OpenFile("seg");
  ASSERT_GE(fd, 0);
  SyscallFaults::Arm(Syscall::kWrite, 1, ENOSPC, "seg");
  errno = 0;
  EXPECT_EQ(::pwrite(fd, "abc", 3, 0), -1);
  EXPECT_EQ(errno, ENOSPC);
  SyscallFaults::Arm(Syscall::kWrite, 1, ENOSPC, "seg");
  EXPECT_EQ(::write(fd, "abc", 3), -1);
  SyscallFaults::Arm(Syscall::kWrite, 1, EIO, "seg");
  EXPECT_EQ(::pwrite64(fd, "abc", 3, 0), -1);
  EXPECT_EQ(errno, EIO);
  SyscallFaults::Arm(Syscall::kWrite, 1, EIO, "elsewhere");
  EXPECT_EQ(::pwrite(fd, "abc", 3, 0), 3);  // another path: passes through
  ::close(fd);
}

TEST_F(SyscallFaultsTest, SyncsFallocateAndRenameFail) {
  const int fd = OpenFile("f");
  ASSERT_GE(fd, 0);
  SyscallFaults::Arm(Syscall::kSync, 1, EIO);
  EXPECT_EQ(::fdatasync(fd), -1);
  SyscallFaults::Arm(Syscall::kSync, 1, EIO);
  EXPECT_EQ(::fsync(fd), -1);
  SyscallFaults::Arm(Syscall::kFallocate, 1, ENOSPC);
  errno = 0;
  EXPECT_EQ(::fallocate(fd, 0, 0, 4096), -1);
  EXPECT_EQ(errno, ENOSPC);
  SyscallFaults::Arm(Syscall::kFallocate, 1, ENOSPC);
  EXPECT_EQ(::posix_fallocate(fd, 0, 4096), ENOSPC);
  SyscallFaults::Arm(Syscall::kRename, 1, EIO, "to-name");
  EXPECT_EQ(std::rename((tmp_ / "f").c_str(), (tmp_ / "to-name").c_str()), -1);
  EXPECT_EQ(errno, EIO);
  SyscallFaults::Disarm();
  EXPECT_EQ(::fallocate(fd, 0, 0, 4096), 0);
  EXPECT_EQ(::fdatasync(fd), 0);
  EXPECT_EQ(std::rename((tmp_ / "f").c_str(), (tmp_ / "to-name").c_str()), 0);
  ::close(fd);
}

}  // namespace
}  // namespace duet::testing
