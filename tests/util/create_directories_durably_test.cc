// CreateDirectoriesDurably: every folder it creates has its entry synced
// (the parent fsynced), so a power cut cannot take it; failures are named.
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>

#include "tests/support/syscall/syscall_faults.h"
#include "tests/support/temp_dir.h"
#include "util/file_util.h"

namespace duet {
namespace {
namespace fs = std::filesystem;
using testing::ScopedSyscallFault;
using testing::Syscall;
using testing::SyscallFaults;

TEST(CreateDirectoriesDurablyTest, SyncsTheParentOfEachFolderItCreates) {
  testing::TempDir dir;
  ScopedSyscallFault count(Syscall::kSync, 0, 0, dir.path().string());
  ASSERT_TRUE(CreateDirectoriesDurably(dir / "readstores/ledger/v1-g1").ok());
  EXPECT_TRUE(fs::is_directory(dir / "readstores/ledger/v1-g1"));
  EXPECT_EQ(SyscallFaults::Count(), 3u) << "one fsync per new folder's parent";
}

TEST(CreateDirectoriesDurablyTest, LeavesAnExistingFolderAlone) {
  testing::TempDir dir;
  fs::create_directories(dir / "readstores");
  ScopedSyscallFault count(Syscall::kSync, 0, 0, dir.path().string());
  ASSERT_TRUE(CreateDirectoriesDurably(dir / "readstores").ok());
  EXPECT_EQ(SyscallFaults::Count(), 0u);
}

TEST(CreateDirectoriesDurablyTest, FailedParentSyncIsAnIOError) {
  testing::TempDir dir;
  ScopedSyscallFault fail(Syscall::kSync, 1, EIO, dir.path().string());
  const Status status = CreateDirectoriesDurably(dir / "readstores");
  EXPECT_TRUE(status.IsIOError()) << status;
  EXPECT_TRUE(SyscallFaults::Fired());
}

TEST(CreateDirectoriesDurablyTest, FileInTheWayIsAnError) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir / "readstores", "x").ok());
  EXPECT_FALSE(CreateDirectoriesDurably(dir / "readstores").ok());
}

TEST(CreateDirectoriesDurablyTest, PathThroughAFileIsAnError) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomically(dir / "file", "x").ok());
  const Status status = CreateDirectoriesDurably(dir / "file" / "sub");
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.ToString().find("file"), std::string::npos) << status;
}

}  // namespace
}  // namespace duet
