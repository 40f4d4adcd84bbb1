// The read side from the shell: duet query, duet projections ..., and the
// read-side benchmarks on tiny histories (figures are not asserted, only
// that they are produced and the runs succeed).
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/command.h"
#include "tests/cli/cli_run.h"
#include "tests/support/temp_dir.h"

namespace duet::cli {
namespace {

std::vector<boost::json::object> JsonLines(const std::string& text) {
  std::vector<boost::json::object> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    lines.push_back(boost::json::parse(line).as_object());
  }
  return lines;
}

class ReadCommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Run({"command", "--type", "OpenAccount", "--json", R"({"account":"a1","owner":"Ada"})"});
    Run({"command", "--type", "Deposit", "--json",
         R"({"account":"a1","currency":"EUR","amount":500})"});
  }
  CliRun Run(std::vector<std::string> args) {
    args.push_back("--data");
    args.push_back(dir_.path().string());
    CliRun r = Cli(args);
    return r;
  }
  testing::TempDir dir_;
};

TEST_F(ReadCommandsTest, QueryAnswersFromTheReadModelWithItsPosition) {
  CliRun r = Run({"query", "balance", "account=a1"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto answer = boost::json::parse(r.out).as_object();
  EXPECT_EQ(answer["read_model"], "ledger-accounts");
  EXPECT_EQ(answer["position"], 2);
  EXPECT_EQ(answer["data"].at("balances").at("EUR"), 500);
}

TEST_F(ReadCommandsTest, QueryErrorsAreNamed) {
  CliRun missing = Run({"query", "balance"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("account"), std::string::npos) << missing.err;
  CliRun bad_limit = Run({"query", "accounts", "limit=0"});
  EXPECT_EQ(bad_limit.code, 2);
  EXPECT_NE(bad_limit.err.find("limit"), std::string::npos) << bad_limit.err;
  CliRun unknown = Run({"query", "no-such-query"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("not_found"), std::string::npos) << unknown.err;
  CliRun not_found = Run({"query", "balance", "account=nobody"});
  EXPECT_EQ(not_found.code, 1);
  EXPECT_NE(not_found.err.find("not_found"), std::string::npos) << not_found.err;
  EXPECT_EQ(Run({"query", "balance", "account"}).code, 2);  // not name=value
}

TEST_F(ReadCommandsTest, QueryNotYetWhenMinPositionIsAhead) {
  CliRun r = Run({"query", "balance", "account=a1", "--min-position", "99", "--timeout-ms", "50"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("not yet"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("position 2"), std::string::npos) << r.err;
}

TEST_F(ReadCommandsTest, StatusListsEveryProjectionLiveAtTheHead) {
  CliRun r = Run({"projections", "status", "--wait"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = JsonLines(r.out);
  EXPECT_EQ(lines.size(), 7u);
  for (auto& line : lines) {
    EXPECT_EQ(line["state"], "live") << line;
    EXPECT_EQ(line["checkpoint"], 2) << line;
    EXPECT_EQ(line["lag_events"], 0) << line;
  }
}

TEST_F(ReadCommandsTest, VerifyMatchesForTheExampleProjections) {
  for (const char* name : {"ledger-accounts", "ledger-search", "ledger-volume", "orders"}) {
    CliRun r = Run({"projections", "verify", name});
    ASSERT_EQ(r.code, 0) << name << ": " << r.err << r.out;
    EXPECT_EQ(boost::json::parse(r.out).at("matches"), true) << r.out;
  }
  EXPECT_EQ(Run({"projections", "verify", "nope"}).code, 1);
  EXPECT_EQ(Run({"projections", "verify"}).code, 2);
}

TEST_F(ReadCommandsTest, BuildAtAPositionShowsThePast) {
  CliRun r = Run({"projections", "build", "ledger-accounts", "--at", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = JsonLines(r.out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0]["content"].at("balances").as_object().empty()) << r.out;
  CliRun now = Run({"projections", "build", "ledger-volume", "--at", "2999-01-01T00:00:00Z"});
  ASSERT_EQ(now.code, 0) << now.err;
  EXPECT_FALSE(now.out.empty());
  EXPECT_EQ(Run({"projections", "build", "ledger-accounts", "--at", "yesterday"}).code, 2);
}

TEST_F(ReadCommandsTest, RebuildSwitchesToANewGeneration) {
  CliRun r = Run({"projections", "rebuild", "ledger-accounts"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto status = boost::json::parse(r.out).as_object();
  EXPECT_EQ(status["state"], "live");
  EXPECT_EQ(status["checkpoint"], 2);
  std::ifstream current(dir_.path() / "readstores" / "ledger-accounts" / "CURRENT");
  std::string generation;
  current >> generation;
  EXPECT_EQ(generation, "v1-g2");
  EXPECT_EQ(Run({"query", "balance", "account=a1"}).code, 0);
}

TEST(ReadBenchTest, ReplayPrintsFiguresForEveryStoreKind) {
  testing::TempDir dir;
  for (const char* store : {"memory", "document", "search", "analytics"}) {
    CliRun r = Cli({"bench", "replay", "--data", dir.path().string(), "--events", "3000",
                    "--accounts", "50", "--store", store});
    ASSERT_EQ(r.code, 0) << store << ": " << r.err;
    auto o = boost::json::parse(r.out).as_object();
    EXPECT_EQ(o["events"], 3000) << r.out;
    EXPECT_GT(o["events_per_s"].to_number<double>(), 0) << r.out;
  }
  EXPECT_EQ(Cli({"bench", "replay", "--data", dir.path().string(), "--store", "disk"}).code, 2);
}

// The JSON lines of a `bench queries` run, by query label (the fill line
// under "fill").
std::map<std::string, boost::json::object> QueryLines(const std::string& out) {
  std::map<std::string, boost::json::object> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] != '{') continue;  // the table
    auto o = boost::json::parse(line).as_object();
    if (o["bench"] == "queries-fill") lines["fill"] = o;
    if (o["bench"] == "queries") lines[std::string(o["query"].as_string())] = o;
  }
  return lines;
}

TEST(ReadBenchTest, QueriesPrintLatenciesOverHttpWithoutFailures) {
  testing::TempDir dir;
  CliRun r = Cli({"bench", "queries", "--data", dir.path().string(), "--events", "3000",
                  "--accounts", "50", "--iterations", "40"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = QueryLines(r.out);
  EXPECT_EQ(lines["fill"]["events"], 3000) << r.out;
  for (const char* q : {"store_get", "balance", "accounts_page", "statement_page",
                        "search_accounts", "volume_day"}) {
    ASSERT_TRUE(lines.count(q)) << q << ": " << r.out;
    EXPECT_EQ(lines[q].at("failures"), 0) << q << ": " << r.out << r.err;
  }
  EXPECT_EQ(lines["balance"].at("via"), "http");
  EXPECT_NE(r.out.find("p99 ms"), std::string::npos) << "a table follows the JSON lines";
}

TEST(ReadBenchTest, OrdersQueriesRunOnExactlyTheOrdersAsked) {
  testing::TempDir dir;
  CliRun r = Cli({"bench", "queries", "--data", dir.path().string(), "--domain", "orders",
                  "--orders", "200", "--iterations", "20"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto lines = QueryLines(r.out);
  EXPECT_EQ(lines["fill"]["events"], 420) << "2.1 events per order: " << r.out;
  ASSERT_GE(lines.size(), 10u) << r.out;
  for (const auto& [label, o] : lines) {
    if (label == "fill") continue;
    EXPECT_EQ(o.at("failures"), 0) << label << ": " << r.out << r.err;
  }
  // A second run reuses the folder: nothing is appended twice.
  r = Cli({"bench", "queries", "--data", dir.path().string(), "--domain", "orders", "--orders",
           "200", "--iterations", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(QueryLines(r.out)["fill"]["events"], 420) << r.out;
}

TEST(ReadBenchTest, QueriesRefuseZeroOrders) {
  testing::TempDir dir;
  CliRun r = Cli(
      {"bench", "queries", "--data", dir.path().string(), "--domain", "orders", "--orders", "0"});
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.err.find("--orders"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace duet::cli
