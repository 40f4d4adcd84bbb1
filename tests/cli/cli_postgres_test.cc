// The store commands and `duet command` with --store postgresql://... on a
// throwaway PostgreSQL 15 server (tests/support/postgres_cluster.h).
#include <gtest/gtest.h>

#include "tests/cli/cli_run.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/temp_dir.h"

namespace duet::cli {
namespace {

class CliPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = testing::PostgresCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(cluster).value();
    ASSERT_TRUE(cluster_->CreateDatabase("cli").ok());
    url_ = cluster_->url("cli");
  }
  testing::TempDir dir_;
  std::unique_ptr<testing::PostgresCluster> cluster_;
  std::string url_;
};

TEST_F(CliPostgresTest, AppendReadStatsAndCommandOnTheStore) {
  CliRun append = Cli({"append", "--store", url_, "--stream", "s-1", "--type", "T", "--json",
                       R"({"n":1})", "--count", "2"});
  ASSERT_EQ(append.code, 0) << append.err;
  EXPECT_EQ(append.out, "1 0\n2 1\n");
  CliRun read = Cli({"read", "--store", url_, "--stream", "s-1"});
  ASSERT_EQ(read.code, 0) << read.err;
  EXPECT_NE(read.out.find(R"("version":1)"), std::string::npos) << read.out;
  CliRun command = Cli({"command", "--data", dir_.path().string(), "--store", url_, "--type",
                        "OpenAccount", "--json", R"({"account":"a","owner":"A"})"});
  ASSERT_EQ(command.code, 0) << command.err;
  CliRun stats = Cli({"stats", "--store", url_});
  ASSERT_EQ(stats.code, 0) << stats.err;
  EXPECT_NE(stats.out.find(R"("head":3)"), std::string::npos) << stats.out;  // 2 + AccountOpened
}

TEST_F(CliPostgresTest, BadStoreChoicesAreNamed) {
  CliRun both = Cli({"stats", "--store", url_, "--data", dir_.path().string()});
  EXPECT_EQ(both.code, 2);
  EXPECT_NE(both.err.find("--store"), std::string::npos) << both.err;
  CliRun verify = Cli({"verify", "--store", url_});
  EXPECT_EQ(verify.code, 2);
  EXPECT_NE(verify.err.find("embedded"), std::string::npos) << verify.err;
  CliRun neither = Cli({"stats"});
  EXPECT_EQ(neither.code, 2);
  CliRun other = Cli({"stats", "--store", "mysql://x@127.0.0.1/y"});
  EXPECT_EQ(other.code, 2);
  EXPECT_NE(other.err.find("postgresql://"), std::string::npos) << other.err;
  ASSERT_TRUE(cluster_->Stop().ok());
  CliRun down = Cli({"stats", "--store", url_});
  EXPECT_EQ(down.code, 1);
  EXPECT_NE(down.err.find("unavailable"), std::string::npos) << down.err;
}

}  // namespace
}  // namespace duet::cli
