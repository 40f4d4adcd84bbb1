#include "readstore/store_snapshot.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace duet::readstore {
namespace {

namespace fs = std::filesystem;
using duet::testing::TempDir;

// A SQLite file written directly (not through a read store), so a test can
// leave out or damage what CheckStoreFile looks at.
void WriteDatabase(const fs::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << message;
}

const std::string kGoodStore =
    "PRAGMA application_id=1146438996;"  // 0x44554554, "DUET"
    "CREATE TABLE duet_meta(key TEXT PRIMARY KEY NOT NULL, value NOT NULL) WITHOUT ROWID;"
    "INSERT INTO duet_meta VALUES('format_version', 1), ('checkpoint', 42), ('kind', 'document');";

TEST(CheckStoreFileTest, HandWrittenStoreFilePasses) {
  // Guards the helper: the checks below fail for what they change, nothing else.
  TempDir dir;
  const fs::path file = dir.path() / "store.db";
  WriteDatabase(file, kGoodStore);
  Result<GlobalPosition> checkpoint = CheckStoreFile(file, ReadStoreKind::kDocument);
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status();
  EXPECT_EQ(*checkpoint, GlobalPosition(42));
}

// Found by fuzz_snapshot (tests/fuzz/regressions/fuzz_snapshot/
// store_unsupported_schema_format): SQLite's "unsupported file format" came
// back as io_error, not the corruption the header promises for a damaged copy.
TEST(CheckStoreFileTest, UnsupportedSchemaFormatIsCorruption) {
  TempDir dir;
  const fs::path file = dir.path() / "store.db";
  WriteDatabase(file, kGoodStore);
  {
    // The schema format number, a big-endian u32 at byte 44 of the header: 1..4.
    std::fstream f(file, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(44);
    f.write("\0\0\0\x05", 4);
    ASSERT_TRUE(f.good());
  }
  Result<GlobalPosition> checkpoint = CheckStoreFile(file, ReadStoreKind::kDocument);
  EXPECT_TRUE(checkpoint.status().IsCorruption()) << checkpoint.status();
}

TEST(CheckStoreFileTest, FileWithoutMetaTableIsCorruption) {
  TempDir dir;
  const fs::path file = dir.path() / "store.db";
  WriteDatabase(file, "PRAGMA application_id=1146438996; CREATE TABLE other(x);");
  Result<GlobalPosition> checkpoint = CheckStoreFile(file, ReadStoreKind::kDocument);
  EXPECT_TRUE(checkpoint.status().IsCorruption()) << checkpoint.status();
}

}  // namespace
}  // namespace duet::readstore
