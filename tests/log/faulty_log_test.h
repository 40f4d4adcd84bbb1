// A test fixture for the log under injected faults: Open() runs the log on a
// FaultyFileSystem the test arms, Reopened() reads back what the real file
// system holds afterwards.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "log/file.h"
#include "log/log.h"
#include "tests/log/log_test_util.h"
#include "tests/support/faulty_file_system.h"
#include "tests/support/temp_dir.h"

namespace duet::log::testing {

class FaultyLogTest : public ::testing::Test {
 protected:
  std::unique_ptr<Log> Open(Durability::Mode mode = Durability::Mode::kSync,
                            uint64_t segment_size = 256 << 20) {
    LogOptions options = Options(mode, segment_size);
    options.file_system = &fs_;
    return OpenOrDie(dir_, options);
  }
  // Reopens on the real file system and returns what it holds.
  std::vector<Record> Reopened(RecoveryReport* report = nullptr) {
    auto log = OpenOrDie(dir_, Options());
    if (report != nullptr) *report = log->recovery_report();
    return ReadAll(*log);
  }

  duet::testing::TempDir tmp_;
  std::filesystem::path dir_ = tmp_ / "log";
  duet::testing::FaultyFileSystem fs_{DefaultFileSystem()};
};

}  // namespace duet::log::testing
