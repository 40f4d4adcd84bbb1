// Acceptance: `duet serve` with its data folder on a 16 MiB tmpfs filled to
// the end (tests/support/tmpfs_mount.h; skipped when mounting is refused).
// Appends get 507 storage_full, GETs keep answering 200 and /health stays 200
// (a full disk is not a sticky failure); once space is freed, POST succeeds
// again without a restart, and every acknowledged event is in the log.
#include <gtest/gtest.h>

#include <iostream>
#include <string>

#include "tests/integration/server_test_support.h"
#include "tests/support/temp_dir.h"
#include "tests/support/tmpfs_mount.h"

namespace duet::testing {
namespace {
namespace json = boost::json;

class ServerFullDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!disk_.mounted()) GTEST_SKIP() << disk_.error();
    server_ = StartDuet(disk_.dir() / "data");
    ASSERT_NE(server_, nullptr);
    api_ = std::make_unique<Api>(server_->port());
  }
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) std::cerr << "--- server log ---\n" << server_->log();
    api_.reset();
    if (server_ != nullptr) (void)server_->Terminate();
    server_.reset();
  }
  Reply PostEvent(int i) {
    const std::string body = R"([{"type":"Noted","data":{"i":)" + std::to_string(i) +
                             R"(,"pad":")" + std::string(900, 'x') + R"("}}])";
    return api_->Post("/streams/note-" + std::to_string(i % 5), body);
  }

  TempDir tmp_;
  TmpfsMount disk_{tmp_ / "mnt", "16m"};
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Api> api_;
};

TEST_F(ServerFullDiskTest, PostIs507GetsAnswerAndPostWorksAgainOnceSpaceIsFreed) {
  uint64_t acknowledged = 0;
  for (int i = 0; i < 10; ++i) {
    ASSERT_EQ(PostEvent(i).status, 200u);
    ++acknowledged;
  }
  ASSERT_GT(TmpfsMount::Fill(disk_.dir() / "ballast", 256 << 10), 0u);
  Reply full;
  int i = 10;
  for (; i < 100'000; ++i) {
    full = PostEvent(i);
    if (full.status != 200) break;
    ++acknowledged;
  }
  ExpectProblem(full, 507, "storage_full");
  ExpectProblem(PostEvent(i++), 507, "storage_full");  // still full

  // Reads answer; /health does not report a full disk as a broken store.
  EXPECT_EQ(api_->Head(), acknowledged);
  EXPECT_EQ(api_->Get("/streams/note-0").status, 200u);
  EXPECT_EQ(api_->Get("/health").status, 200u);

  std::filesystem::remove(disk_.dir() / "ballast");
  for (int k = 0; k < 20; ++k, ++i) {
    const Reply reply = PostEvent(i);
    ASSERT_EQ(reply.status, 200u) << reply.Describe();
    ++acknowledged;
    EXPECT_EQ(UintOf(reply["position"]), acknowledged);  // no gap where the 507s were
  }
  EXPECT_EQ(api_->Head(), acknowledged);
  uint64_t read = 0;
  for (int s = 0; s < 5; ++s) read += ReadStream(*api_, "note-" + std::to_string(s)).size();
  EXPECT_EQ(read, acknowledged);
}

}  // namespace
}  // namespace duet::testing
