// The rollback of a real process's power-loss journal: power_loss_scribe runs
// scripted file operations under the preloaded interposer and kills itself;
// the rollback must leave exactly what its syncs made durable.
#include "tests/support/power_loss/power_loss_rollback.h"

#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/support/power_loss/power_loss_journal.h"
#include "tests/support/temp_dir.h"

extern char** environ;

namespace duet::testing::power_loss {
namespace {
namespace fs = std::filesystem;

std::string Slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void Spit(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

class PowerLossRollbackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!DUET_POWER_LOSS_PRELOAD_USABLE) {
      GTEST_SKIP() << "sanitizer build: an uninstrumented LD_PRELOAD library cannot be loaded "
                      "into an instrumented process (the Release phase runs this test)";
    }
    fs::create_directories(data_);
    fs::create_directories(journal_);
  }

  std::string At(const std::string& name) const { return (data_ / name).string(); }

  // Runs the scribe with `steps` under the interposer; it must die of SIGKILL.
  void Scribble(std::vector<std::string> steps) {
    std::vector<std::string> env_strings = {
        std::string("LD_PRELOAD=") + DUET_POWER_LOSS_PRELOAD_PATH,
        std::string(kDataDirEnv) + "=" + data_.string(),
        std::string(kJournalDirEnv) + "=" + journal_.string()};
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
    for (std::string& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string binary = DUET_POWER_LOSS_SCRIBE_PATH;
    std::vector<char*> argv{binary.data()};
    for (std::string& s : steps) argv.push_back(s.data());
    argv.push_back(nullptr);
    pid_t pid = -1;
    ASSERT_EQ(posix_spawn(&pid, binary.c_str(), nullptr, nullptr, argv.data(), envp.data()), 0);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the scribe failed a step (status " << status << ")";
  }

  RollbackSummary RollBack() {
    Result<RollbackSummary> summary = RollBackToDurableState(data_, journal_);
    EXPECT_TRUE(summary.ok()) << summary.status();
    if (!summary.ok()) return {};
    EXPECT_FALSE(fs::exists(journal_ / kJournalFileName)) << "the journal is consumed";
    return *summary;
  }

  TempDir dir_;
  fs::path data_ = dir_ / "data";
  fs::path journal_ = dir_ / "journal";
};

TEST_F(PowerLossRollbackTest, UnsyncedAppendIsCutToTheSyncedLength) {
  Scribble({"append", At("segment"), "hello", "dirsync", data_.string(), "sync", At("segment"),
            "append", At("segment"), " world"});
  const RollbackSummary summary = RollBack();
  EXPECT_EQ(Slurp(data_ / "segment"), "hello");
  EXPECT_EQ(summary.data_undone, 1u) << summary.Describe();
  EXPECT_EQ(summary.entries_undone, 0u) << summary.Describe();
}

TEST_F(PowerLossRollbackTest, SyncedAppendsStay) {
  Scribble({"append", At("segment"), "hello", "append", At("segment"), " world", "sync",
            At("segment"), "dirsync", data_.string()});
  RollBack();
  EXPECT_EQ(Slurp(data_ / "segment"), "hello world");
}

TEST_F(PowerLossRollbackTest, NewFileWithoutDirectorySyncIsRemoved) {
  Scribble({"append", At("new"), "synced data", "sync", At("new")});
  const RollbackSummary summary = RollBack();
  EXPECT_FALSE(fs::exists(data_ / "new"));
  EXPECT_EQ(summary.entries_undone, 1u) << summary.Describe();
}

TEST_F(PowerLossRollbackTest, NewFileWithDirectorySyncButNoDataSyncIsEmpty) {
  Scribble({"append", At("new"), "unsynced", "dirsync", data_.string()});
  RollBack();
  ASSERT_TRUE(fs::exists(data_ / "new"));
  EXPECT_EQ(fs::file_size(data_ / "new"), 0u);
}

TEST_F(PowerLossRollbackTest, UnsyncedOverwriteInPlaceGetsItsPreImageBack) {
  Spit(data_ / "db", "AAAAAAAA");  // durable: written before the journal began
  Scribble({"pwrite", At("db"), "2", "BB", "pwrite", At("db"), "6", "CCCC"});
  RollBack();
  EXPECT_EQ(Slurp(data_ / "db"), "AAAAAAAA");
}

TEST_F(PowerLossRollbackTest, SyncedOverwriteStaysAndLaterOnesGoBack) {
  Spit(data_ / "wal", "0123456789");
  Scribble({"pwrite", At("wal"), "0", "ab", "sync", At("wal"), "pwrite", At("wal"), "1", "XYZ",
            "pwrite", At("wal"), "8", "QQQQ"});
  RollBack();
  EXPECT_EQ(Slurp(data_ / "wal"), "ab23456789");
}

TEST_F(PowerLossRollbackTest, UnsyncedTruncateIsUndone) {
  Spit(data_ / "log", "abcdef");
  Scribble({"truncate", At("log"), "2", "append", At("log"), "zz"});
  RollBack();
  EXPECT_EQ(Slurp(data_ / "log"), "abcdef");
}

TEST_F(PowerLossRollbackTest, RenameWithoutDirectorySyncIsUndoneAndTheOldTargetComesBack) {
  Spit(data_ / "checkpoint", "old");
  Scribble({"append", At("checkpoint.tmp"), "new", "sync", At("checkpoint.tmp"), "rename",
            At("checkpoint.tmp"), At("checkpoint")});
  const RollbackSummary summary = RollBack();
  EXPECT_EQ(Slurp(data_ / "checkpoint"), "old");
  EXPECT_FALSE(fs::exists(data_ / "checkpoint.tmp")) << "its creation was not synced either";
  EXPECT_EQ(summary.entries_undone, 2u) << summary.Describe();
}

TEST_F(PowerLossRollbackTest, RenameFollowedByDirectorySyncStays) {
  Spit(data_ / "checkpoint", "old");
  Scribble({"append", At("checkpoint.tmp"), "new", "sync", At("checkpoint.tmp"), "rename",
            At("checkpoint.tmp"), At("checkpoint"), "dirsync", data_.string()});
  RollBack();
  EXPECT_EQ(Slurp(data_ / "checkpoint"), "new");
  EXPECT_FALSE(fs::exists(data_ / "checkpoint.tmp"));
}

TEST_F(PowerLossRollbackTest, DurableRenameKeepsUnsyncedDataOfTheRenamedFileRolledBack) {
  Scribble({"append", At("a"), "durable", "sync", At("a"), "append", At("a"), "+lost", "rename",
            At("a"), At("b"), "dirsync", data_.string()});
  RollBack();
  EXPECT_FALSE(fs::exists(data_ / "a"));
  EXPECT_EQ(Slurp(data_ / "b"), "durable");
}

TEST_F(PowerLossRollbackTest, UnlinkWithoutDirectorySyncIsRestored) {
  Spit(data_ / "snapshot", "state");
  Scribble({"remove", At("snapshot")});
  RollBack();
  EXPECT_EQ(Slurp(data_ / "snapshot"), "state");
}

TEST_F(PowerLossRollbackTest, UnlinkFollowedByDirectorySyncStays) {
  Spit(data_ / "snapshot", "state");
  Scribble({"remove", At("snapshot"), "dirsync", data_.string()});
  RollBack();
  EXPECT_FALSE(fs::exists(data_ / "snapshot"));
}

TEST_F(PowerLossRollbackTest, DirectoryWithoutParentSyncIsRemovedWithWhatItHolds) {
  Scribble({"mkdir", At("readstores"), "append", At("readstores/db"), "x", "sync",
            At("readstores/db"), "dirsync", At("readstores")});
  RollBack();
  EXPECT_FALSE(fs::exists(data_ / "readstores"));
}

TEST_F(PowerLossRollbackTest, DirectoryWithParentSyncStays) {
  Scribble({"mkdir", At("readstores"), "dirsync", data_.string(), "append", At("readstores/db"),
            "x", "sync", At("readstores/db"), "dirsync", At("readstores")});
  RollBack();
  EXPECT_EQ(Slurp(data_ / "readstores/db"), "x");
}

TEST_F(PowerLossRollbackTest, RemovedFolderWithoutParentSyncComesBackWithItsFiles) {
  fs::create_directories(data_ / "v1-g1");
  Spit(data_ / "v1-g1" / "store.db", "model");
  Spit(data_ / "v1-g1" / "LOCK", "");
  Scribble({"removeall", At("v1-g1")});
  RollBack();
  EXPECT_EQ(Slurp(data_ / "v1-g1" / "store.db"), "model");
  EXPECT_TRUE(fs::exists(data_ / "v1-g1" / "LOCK"));
}

TEST_F(PowerLossRollbackTest, RemovedFolderWithParentSyncStaysRemoved) {
  fs::create_directories(data_ / "v1-g1");
  Spit(data_ / "v1-g1" / "store.db", "model");
  Scribble({"removeall", At("v1-g1"), "dirsync", data_.string()});
  RollBack();
  EXPECT_FALSE(fs::exists(data_ / "v1-g1"));
}

TEST_F(PowerLossRollbackTest, FilesOutsideTheDataFolderAreNotJournalled) {
  const fs::path outside = dir_ / "outside";
  Scribble({"append", outside.string(), "kept"});
  const RollbackSummary summary = RollBack();
  EXPECT_EQ(summary.records, 0u) << summary.Describe();
  EXPECT_EQ(Slurp(outside), "kept");
}

// A sync whose record the kill tore had not returned to the process yet:
// nothing was acknowledged on its strength, so it does not count.
TEST_F(PowerLossRollbackTest, TornLastRecordIsDropped) {
  Spit(data_ / "segment", "base");
  Scribble({"append", At("segment"), "+1", "append", At("segment"), "+2", "sync", At("segment")});
  const fs::path journal = journal_ / kJournalFileName;
  fs::resize_file(journal, fs::file_size(journal) - 3);
  const RollbackSummary summary = RollBack();
  EXPECT_TRUE(summary.torn_tail);
  EXPECT_EQ(summary.records, 2u) << summary.Describe();
  EXPECT_EQ(Slurp(data_ / "segment"), "base");
}

// Journals written by hand: the rollback alone, which also runs in
// sanitizer builds (no preloading needed).
class PowerLossJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(data_);
    fs::create_directories(journal_);
  }
  void AppendRecord(RecordHeader header, const std::string& path, const std::string& data) {
    header.path_length = static_cast<uint32_t>(path.size());
    header.data_length = data.size();
    std::ofstream out(journal_ / kJournalFileName, std::ios::binary | std::ios::app);
    out.write(reinterpret_cast<const char*>(&header), sizeof(header));
    out << path << data;
  }
  // A record of the write of `written` at `offset` over the file's `old`
  // contents, and the write itself.
  void Overwrite(const std::string& name, const std::string& old, uint64_t offset,
                 const std::string& written) {
    const fs::path file = data_ / name;
    Spit(file, old);
    struct stat st;
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    RecordHeader header;
    header.type = RecordType::kWrite;
    header.inode = st.st_ino;
    header.offset = offset;
    header.old_size = old.size();
    AppendRecord(header, file.string(),
                 offset < old.size() ? old.substr(offset, written.size()) : "");
    std::string now = old;
    now.resize(std::max<size_t>(now.size(), offset + written.size()));
    now.replace(offset, written.size(), written);
    Spit(file, now);
  }

  TempDir dir_;
  fs::path data_ = dir_ / "data";
  fs::path journal_ = dir_ / "journal";
};

TEST_F(PowerLossJournalTest, OverwriteThatExtendedTheFileIsUndone) {
  Overwrite("wal", "abcdef", 3, "XYZW");
  ASSERT_EQ(Slurp(data_ / "wal"), "abcXYZW");
  Result<RollbackSummary> summary = RollBackToDurableState(data_, journal_);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->data_undone, 1u);
  EXPECT_EQ(Slurp(data_ / "wal"), "abcdef");
}

TEST_F(PowerLossJournalTest, WriteOfAFileNoLongerThereIsUnresolved) {
  Overwrite("gone", "abc", 3, "d");
  fs::remove(data_ / "gone");
  Result<RollbackSummary> summary = RollBackToDurableState(data_, journal_);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->unresolved, 1u);
}

TEST_F(PowerLossJournalTest, MissingJournalIsNotFound) {
  fs::remove(journal_ / kJournalFileName);
  Result<RollbackSummary> summary = RollBackToDurableState(data_, journal_);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), StatusCode::kNotFound) << summary.status();
}

TEST_F(PowerLossJournalTest, CorruptRecordBeforeTheTailIsCorruption) {
  Overwrite("a", "1234", 0, "x");
  Overwrite("b", "1234", 0, "y");
  {
    std::fstream file(journal_ / kJournalFileName, std::ios::in | std::ios::out | std::ios::binary);
    file.write("XXXX", 4);  // the first record's magic
  }
  Result<RollbackSummary> summary = RollBackToDurableState(data_, journal_);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), StatusCode::kCorruption) << summary.status();
  EXPECT_EQ(Slurp(data_ / "a"), "x234") << "nothing is rolled back from a corrupt journal";
}

TEST_F(PowerLossJournalTest, UnknownRecordTypeIsCorruption) {
  RecordHeader header;
  header.type = static_cast<RecordType>(77);
  AppendRecord(header, (data_ / "x").string(), "");
  Result<RollbackSummary> summary = RollBackToDurableState(data_, journal_);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), StatusCode::kCorruption) << summary.status();
}

}  // namespace
}  // namespace duet::testing::power_loss
