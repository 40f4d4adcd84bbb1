// The power-cut double forgets exactly what was never made durable.
#include "tests/support/power_cut_file_system.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "util/file_util.h"

namespace duet::testing {
namespace {

class PowerCutFileSystemTest : public ::testing::Test {
 protected:
  // A cut, and the power back on, as a restarted process sees it.
  void CutAndRestart(CutOptions options = {}) {
    fs_.Cut(options);
    fs_.PowerOn();
  }

  void Write(const std::string& name, const std::string& bytes, bool sync) {
    auto file = fs_.Open(root_ / name, OpenMode::kCreateTrunc);
    ASSERT_TRUE(file.ok()) << file.status().ToString();
    ASSERT_TRUE((*file)->WriteAt(0, bytes).ok());
    if (sync) {
      ASSERT_TRUE((*file)->Sync().ok());
    }
  }

  // The file's bytes, or "<absent>".
  std::string Read(const std::string& name) {
    auto bytes = ReadWholeFile(fs_, root_ / name);
    if (bytes.status().IsNotFound()) return "<absent>";
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    return bytes.ok() ? *bytes : "<error>";
  }

  std::filesystem::path root_ = "/power-cut-root";
  PowerCutFileSystem fs_{root_, 7};
};

TEST_F(PowerCutFileSystemTest, UnsyncedWriteIsGoneAfterCut) {
  Write("a", "durable", true);
  ASSERT_TRUE(fs_.SyncDir(root_).ok());
  auto file = fs_.Open(root_ / "a", OpenMode::kReadWrite);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->WriteAt(7, " and more").ok());
  EXPECT_EQ(Read("a"), "durable and more");
  CutAndRestart();
  EXPECT_EQ(Read("a"), "durable");
}

TEST_F(PowerCutFileSystemTest, SyncedWriteStays) {
  Write("a", "one", true);
  ASSERT_TRUE(fs_.SyncDir(root_).ok());
  CutAndRestart();
  EXPECT_EQ(Read("a"), "one");
}

TEST_F(PowerCutFileSystemTest, NewFileWithoutSyncDirIsAbsentEvenIfItsDataWasSynced) {
  Write("a", "synced data", true);
  CutAndRestart();
  EXPECT_EQ(Read("a"), "<absent>");
  EXPECT_TRUE(fs_.ListDir(root_)->empty());
}

TEST_F(PowerCutFileSystemTest, NewFileWithSyncDirButNoDataSyncIsEmpty) {
  Write("a", "unsynced", false);
  ASSERT_TRUE(fs_.SyncDir(root_).ok());
  CutAndRestart();
  EXPECT_EQ(Read("a"), "");
}

TEST_F(PowerCutFileSystemTest, RenameWithoutSyncDirIsUndoneAndTheOldTargetIsBack) {
  Write("target", "old", true);
  ASSERT_TRUE(fs_.SyncDir(root_).ok());
  Write("target.tmp", "new", true);
  ASSERT_TRUE(fs_.Rename(root_ / "target.tmp", root_ / "target").ok());
  EXPECT_EQ(Read("target"), "new");
  CutAndRestart();
  EXPECT_EQ(Read("target"), "old");
  EXPECT_EQ(Read("target.tmp"), "<absent>");  // its own entry was never synced either
}

TEST_F(PowerCutFileSystemTest, RenameWithSyncDirIsKept) {
  Write("target", "old", true);
  ASSERT_TRUE(fs_.SyncDir(root_).ok());
  Write("target.tmp", "new", true);
  ASSERT_TRUE(fs_.Rename(root_ / "target.tmp", root_ / "target").ok());
  ASSERT_TRUE(fs_.SyncDir(root_).ok());
  CutAndRestart();
  EXPECT_EQ(Read("target"), "new");
  EXPECT_EQ(Read("target.tmp"), "<absent>");
}

TEST_F(PowerCutFileSystemTest, RemoveWithoutSyncDirIsUndone) {
  Write("a", "kept", true);
  ASSERT_TRUE(fs_.SyncDir(root_).ok());
  ASSERT_TRUE(fs_.Remove(root_ / "a").ok());
  EXPECT_EQ(Read("a"), "<absent>");
  CutAndRestart();
  EXPECT_EQ(Read("a"), "kept");
  ASSERT_TRUE(fs_.Remove(root_ / "a").ok());
  ASSERT_TRUE(fs_.SyncDir(root_).ok());
  CutAndRestart();
  EXPECT_EQ(Read("a"), "<absent>");
}

TEST_F(PowerCutFileSystemTest, NewDirectoryNeedsItsParentSynced) {
  ASSERT_TRUE(fs_.CreateDir(root_ / "sub").ok());
  Write("sub/a", "x", true);
  ASSERT_TRUE(fs_.SyncDir(root_ / "sub").ok());
  CutAndRestart();
  EXPECT_EQ(Read("sub/a"), "<absent>");
  EXPECT_FALSE(fs_.ListDir(root_ / "sub").ok());

  ASSERT_TRUE(fs_.CreateDir(root_ / "sub").ok());
  ASSERT_TRUE(fs_.SyncDir(root_).ok());
  Write("sub/a", "x", true);
  ASSERT_TRUE(fs_.SyncDir(root_ / "sub").ok());
  CutAndRestart();
  EXPECT_EQ(Read("sub/a"), "x");
}

TEST_F(PowerCutFileSystemTest, TruncateIsDurableOnlyAfterSync) {
  Write("a", "0123456789", true);
  ASSERT_TRUE(fs_.SyncDir(root_).ok());
  {
    auto file = fs_.Open(root_ / "a", OpenMode::kReadWrite);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Truncate(4).ok());
    EXPECT_EQ(*(*file)->Size(), 4u);
  }
  CutAndRestart();
  EXPECT_EQ(Read("a"), "0123456789");
  {
    auto file = fs_.Open(root_ / "a", OpenMode::kReadWrite);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->Truncate(4).ok());
    ASSERT_TRUE((*file)->Truncate(6).ok());  // grows with zeros
    ASSERT_TRUE((*file)->Sync().ok());
  }
  CutAndRestart();
  EXPECT_EQ(Read("a"), std::string("0123\0\0", 6));
}

TEST_F(PowerCutFileSystemTest, TornTailKeepsAPrefixOfTheUnsyncedBytes) {
  const std::string synced = "synced|";
  const std::string unsynced = "abcdefghijklmnopqrstuvwxyz";
  std::set<size_t> lengths;
  for (int round = 0; round < 40; ++round) {
    Write("a", synced, true);
    ASSERT_TRUE(fs_.SyncDir(root_).ok());
    auto file = fs_.Open(root_ / "a", OpenMode::kReadWrite);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE((*file)->WriteAt(synced.size(), unsynced).ok());
    file->reset();
    CutAndRestart({.torn_tails = true});
    const std::string after = Read("a");
    ASSERT_GE(after.size(), synced.size());
    ASSERT_LE(after.size(), synced.size() + unsynced.size());
    EXPECT_EQ(after, (synced + unsynced).substr(0, after.size()));
    lengths.insert(after.size());
  }
  EXPECT_GT(lengths.size(), 3u);  // the prefix length varies with the seed's draws
}

TEST_F(PowerCutFileSystemTest, NothingWorksWhileThePowerIsOffAndOldFilesStayDead) {
  Write("a", "x", true);
  ASSERT_TRUE(fs_.SyncDir(root_).ok());
  auto old = fs_.Open(root_ / "a", OpenMode::kReadWrite);
  ASSERT_TRUE(old.ok());
  fs_.Cut();
  EXPECT_TRUE(fs_.powered_off());
  EXPECT_EQ(fs_.Open(root_ / "b", OpenMode::kCreateNew).status().code(), StatusCode::kIOError);
  EXPECT_EQ(fs_.SyncDir(root_).code(), StatusCode::kIOError);
  EXPECT_EQ((*old)->WriteAt(1, "late").code(), StatusCode::kIOError);
  fs_.PowerOn();
  EXPECT_EQ((*old)->WriteAt(1, "late").code(), StatusCode::kIOError);
  EXPECT_EQ((*old)->Sync().code(), StatusCode::kIOError);
  EXPECT_EQ(Read("a"), "x");
  EXPECT_EQ(Read("b"), "<absent>");
}

TEST_F(PowerCutFileSystemTest, PlannedCutHitsTheNthMutationAndFailsIt) {
  fs_.CutBeforeMutation(3);
  auto file = fs_.Open(root_ / "a", OpenMode::kCreateNew);  // mutation 1
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->WriteAt(0, "x").ok());               // 2
  EXPECT_EQ((*file)->Sync().code(), StatusCode::kIOError);  // 3: cut first
  EXPECT_EQ(fs_.cuts(), 1u);
  fs_.PowerOn();
  EXPECT_EQ(Read("a"), "<absent>");
}

TEST_F(PowerCutFileSystemTest, PathsOutsideTheRootAreRefused) {
  EXPECT_EQ(fs_.Open("/elsewhere/a", OpenMode::kCreateNew).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(fs_.Open(root_ / "../a", OpenMode::kCreateNew).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(PowerCutFileSystemTest, AtomicWriteLeavesOldOrNewWhereverTheCutFalls) {
  Write("f", "old", true);
  ASSERT_TRUE(fs_.SyncDir(root_).ok());
  for (uint64_t n = 1; n <= 20; ++n) {
    const uint64_t cuts_before = fs_.cuts();
    fs_.CutBeforeMutation(n);
    const Status written = WriteFileAtomically(fs_, root_ / "f", "new");
    fs_.CutBeforeMutation(0);
    if (fs_.cuts() == cuts_before) {  // the write ran to its end: every step was cut once
      ASSERT_TRUE(written.ok()) << written.ToString();
      EXPECT_GE(n, 5u);  // open, write, sync, rename, directory sync
      CutAndRestart();
      EXPECT_EQ(Read("f"), "new");
      return;
    }
    EXPECT_FALSE(written.ok());
    fs_.PowerOn();
    const std::string after = Read("f");
    EXPECT_TRUE(after == "old" || after == "new") << "cut before mutation " << n << ": " << after;
    if (after == "new") {  // back to the old file for the next step
      ASSERT_TRUE(WriteFileAtomically(fs_, root_ / "f", "old").ok());
    }
  }
  FAIL() << "the atomic write never finished";
}

}  // namespace
}  // namespace duet::testing
