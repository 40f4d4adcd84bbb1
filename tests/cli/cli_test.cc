#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include "cli/bench_util.h"
#include "cli/command.h"
#include "tests/cli/cli_run.h"
#include "tests/support/temp_dir.h"

namespace duet::cli {
namespace {

class CliTest : public ::testing::Test {
 protected:
  std::string data() const { return dir_.path().string(); }
  testing::TempDir dir_;
};

TEST_F(CliTest, AppendPrintsPositionAndVersionPerEvent) {
  CliRun r = Cli({"append", "--data", data(), "--stream", "account-1", "--type", "Opened", "--json",
                  R"({"owner":"ann"})", "--count", "3", "--durability", "none"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1 0\n2 1\n3 2\n");
}

TEST_F(CliTest, ReadStreamPrintsJsonLines) {
  ASSERT_EQ(Cli({"append", "--data", data(), "--stream", "s-1", "--type", "T", "--json", "[1]",
                 "--count", "2"})
                .code,
            0);
  CliRun r = Cli({"read", "--data", data(), "--stream", "s-1", "--from", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(R"("position":2,"stream":"s-1","version":1)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(R"("data":[1])"), std::string::npos) << r.out;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 1);
}

TEST_F(CliTest, ReadAllHonoursFromAndLimit) {
  ASSERT_EQ(Cli({"append", "--data", data(), "--stream", "s-1", "--type", "T", "--json", "{}",
                 "--count", "5"})
                .code,
            0);
  CliRun r = Cli({"read", "--data", data(), "--all", "--from", "2", "--limit", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2);
  EXPECT_EQ(r.out.find(R"({"position":2,)"), 0u) << r.out;
}

TEST_F(CliTest, ReadBackwardFromEnd) {
  ASSERT_EQ(Cli({"append", "--data", data(), "--stream", "s-1", "--type", "T", "--json", "{}",
                 "--count", "3"})
                .code,
            0);
  CliRun r =
      Cli({"read", "--data", data(), "--stream", "s-1", "--direction", "backward", "--limit", "2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out.find(R"({"position":3,)"), 0u) << r.out;
}

TEST_F(CliTest, WrongExpectedVersionFailsWithNamedError) {
  ASSERT_EQ(
      Cli({"append", "--data", data(), "--stream", "s-1", "--type", "T", "--json", "{}"}).code, 0);
  CliRun r = Cli({"append", "--data", data(), "--stream", "s-1", "--type", "T", "--json", "{}",
                  "--expected", "no_stream"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("wrong_expected_version"), std::string::npos) << r.err;
}

TEST_F(CliTest, BadInputIsUsageErrorAndAppendsNothing) {
  EXPECT_EQ(
      Cli({"append", "--data", data(), "--stream", "bad name", "--type", "T", "--json", "{}"}).code,
      2);
  CliRun bad_json =
      Cli({"append", "--data", data(), "--stream", "s-1", "--type", "T", "--json", "{"});
  EXPECT_EQ(bad_json.code, 2);
  EXPECT_NE(bad_json.err.find("--json"), std::string::npos);
  CliRun unknown = Cli({"append", "--data", data(), "--bogus", "1"});
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.err.find("--bogus"), std::string::npos);
  CliRun stats = Cli({"stats", "--data", data()});
  ASSERT_EQ(stats.code, 0) << stats.err;
  EXPECT_NE(stats.out.find(R"("events":0)"), std::string::npos) << stats.out;
}

TEST_F(CliTest, VerifyReportsTotalsThenCorruption) {
  ASSERT_EQ(Cli({"append", "--data", data(), "--stream", "s-1", "--type", "T", "--json", "{}",
                 "--count", "4"})
                .code,
            0);
  CliRun ok = Cli({"verify", "--data", data()});
  ASSERT_EQ(ok.code, 0) << ok.err;
  EXPECT_NE(ok.out.find("4 events"), std::string::npos) << ok.out;
  // Flip a byte inside the first record's body.
  const auto segment = dir_.path() / "log" / "00000000000000000001.seg";
  std::fstream f(segment, std::ios::in | std::ios::out | std::ios::binary);
  ASSERT_TRUE(f.good());
  f.seekp(200);
  f.put('\x7f');
  f.close();
  CliRun bad = Cli({"verify", "--data", data()});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("corruption"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("00000000000000000001.seg"), std::string::npos) << bad.err;
}

TEST_F(CliTest, EveryCommandHasHelp) {
  for (const Command& c : AllCommands(ExampleDomains())) {
    std::vector<std::string> args;
    std::istringstream words(c.name);
    for (std::string w; words >> w;) args.push_back(w);
    args.push_back("--help");
    CliRun r = Cli(args);
    EXPECT_EQ(r.code, 0) << c.name;
    EXPECT_NE(r.out.find("Usage: duet"), std::string::npos) << c.name;
  }
  EXPECT_EQ(Cli({"nonsense"}).code, 2);
}

// The help of `command` and `query` is generated from what the domains declare.
TEST_F(CliTest, CommandHelpListsEveryContract) {
  CliRun r = Cli({"command", "--help"});
  ASSERT_EQ(r.code, 0);
  for (const char* type : {"OpenAccount", "Deposit", "Withdraw", "CloseAccount", "Transfer",
                           "PlaceOrder", "AddItem", "ConfirmOrder", "ShipOrder", "CancelOrder"}) {
    EXPECT_NE(r.out.find("  " + std::string(type)), std::string::npos) << type << "\n" << r.out;
  }
  EXPECT_NE(r.out.find("currency  string, required"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("example: "), std::string::npos) << r.out;
}

// A user's own binary (duet::Main) names itself in help; `help NAME` is `NAME --help`.
TEST_F(CliTest, HelpNamesTheProgramAndTakesACommand) {
  std::ostringstream out, err;
  ASSERT_EQ(RunCli({"help", "command"}, ExampleDomains(), out, err, "library"), 0) << err.str();
  EXPECT_NE(out.str().find("Usage: library command --data DIR"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("Command types:"), std::string::npos) << out.str();
  std::ostringstream top, top_err;
  ASSERT_EQ(RunCli({"help"}, ExampleDomains(), top, top_err, "library"), 0);
  EXPECT_NE(top.str().find("Usage: library <command>"), std::string::npos) << top.str();
}

TEST_F(CliTest, QueryHelpListsEveryQuery) {
  CliRun r = Cli({"query", "--help"});
  ASSERT_EQ(r.code, 0);
  for (const char* name : {"balance", "statement", "search-accounts", "order-status", "revenue"}) {
    EXPECT_NE(r.out.find("  " + std::string(name) + " (read model"), std::string::npos)
        << name << "\n"
        << r.out;
  }
}

}  // namespace
}  // namespace duet::cli

namespace duet::cli {
namespace {

TEST_F(CliTest, CommandRunsExampleDomainsWithNamedErrors) {
  CliRun open = Cli({"command", "--data", data(), "--type", "OpenAccount", "--json",
                     R"({"account":"a1","owner":"Ann"})", "--durability", "none"});
  ASSERT_EQ(open.code, 0) << open.err;
  EXPECT_EQ(open.out, "{\"stream\":\"account-a1\",\"version\":0,\"position\":1}\n");
  CliRun overdraft = Cli({"command", "--data", data(), "--type", "Withdraw", "--json",
                          R"({"account":"a1","currency":"EUR","amount":5})"});
  EXPECT_EQ(overdraft.code, 1);
  EXPECT_NE(overdraft.err.find("no-overdraft"), std::string::npos) << overdraft.err;
  CliRun unknown = Cli({"command", "--data", data(), "--type", "Teleport", "--json", "{}"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("not_found"), std::string::npos) << unknown.err;
}

TEST_F(CliTest, DemoRunsOnFreshFolderOnly) {
  CliRun demo = Cli({"demo", "--data", data()});
  ASSERT_EQ(demo.code, 0) << demo.err;
  EXPECT_NE(demo.out.find("duplicate"), std::string::npos);
  EXPECT_NE(demo.out.find("no-overdraft"), std::string::npos);
  CliRun again = Cli({"demo", "--data", data()});
  EXPECT_EQ(again.code, 2);
}

}  // namespace
}  // namespace duet::cli

namespace duet::cli {
namespace {

TEST(BenchUtilTest, SummarizeTakesPercentilesAcrossThreads) {
  std::vector<std::vector<double>> samples(2);
  for (int i = 1; i <= 100; ++i) samples[i % 2].push_back(i);
  const LatencySummary s = Summarize(samples);
  EXPECT_EQ(s.count, 100u);
  EXPECT_EQ(s.p50_us, 51);
  EXPECT_EQ(s.p99_us, 100);
}

TEST(BenchUtilTest, TimedLoadCountsFailuresApartFromLatencies) {
  std::atomic<uint64_t> calls{0};
  const LoadResult load =
      RunTimedLoad(2, 1, [&](uint64_t, std::mt19937_64&) { return calls.fetch_add(1) % 2 == 0; });
  EXPECT_EQ(load.latency.count + load.failures, calls.load());
  EXPECT_GT(load.failures, 0u);
  EXPECT_GE(load.seconds, 1.0);
}

}  // namespace
}  // namespace duet::cli

namespace duet::cli {
namespace {

// Every line a help text prints, split.
std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Words separated by single spaces, for comparing re-flowed text.
std::string Words(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string out;
  for (std::string word; in >> word;) out += (out.empty() ? "" : " ") + word;
  return out;
}

TEST(WrapTextTest, BreaksBetweenWordsWithinTheWidth) {
  const std::string wrapped = WrapText("aaa bbb ccc ddd", 8, 0, 2);
  EXPECT_EQ(wrapped, "aaa bbb\n  ccc\n  ddd");
}

TEST(WrapTextTest, ALongWordStandsAloneUncut) {
  EXPECT_EQ(WrapText("a postgresql://user@host:port/db b", 10, 0, 0),
            "a\npostgresql://user@host:port/db\nb");
}

TEST(WrapTextTest, KeepsAlignedSpacingInsideALine) {
  EXPECT_EQ(WrapText("name  string, required", 80, 4, 6), "name  string, required");
}

// No help line is wider than the default width (tests do not run on a
// terminal), and no description is cut: the top-level listing shows each
// command's whole first sentence, a command's help its whole summary.
TEST_F(CliTest, HelpFitsTheWidthAndCutsNoDescription) {
  const std::vector<Command> commands = AllCommands(ExampleDomains());
  CliRun top = Cli({"--help"});
  ASSERT_EQ(top.code, 0);
  for (const std::string& line : Lines(top.out)) {
    EXPECT_LE(line.size(), kDefaultHelpWidth) << line;
  }
  const std::string listing = Words(top.out);
  for (const Command& c : commands) {
    std::string summary = Words(c.summary);
    const size_t stop = summary.find(". ");
    if (stop != std::string::npos) summary.resize(stop + 1);
    EXPECT_NE(listing.find(c.name + " " + summary), std::string::npos) << c.name << "\n" << top.out;
    EXPECT_TRUE(summary.ends_with(".") || summary.ends_with(")")) << summary;
  }
  for (const Command& c : commands) {
    std::vector<std::string> args;
    std::istringstream words(c.name);
    for (std::string w; words >> w;) args.push_back(w);
    args.push_back("--help");
    CliRun r = Cli(args);
    ASSERT_EQ(r.code, 0) << c.name;
    for (const std::string& line : Lines(r.out)) {
      // A JSON example stays on one line, whole, to be copied.
      if (line.find_first_not_of(' ') == line.find("example: {")) continue;
      EXPECT_LE(line.size(), kDefaultHelpWidth) << c.name << ": " << line;
    }
    EXPECT_NE(Words(r.out).find(Words(c.summary)), std::string::npos) << c.name << "\n" << r.out;
    for (const FlagSpec& flag : c.flags) {
      EXPECT_NE(Words(r.out).find(Words(flag.help)), std::string::npos)
          << c.name << " --" << flag.name;
    }
  }
}

// The version CMakeLists.txt's project() declares, as the build passed it in.
TEST_F(CliTest, VersionPrintsTheBuildVersion) {
  const std::string expected = std::string("duet ") + DUET_EXPECTED_VERSION + "\n";
  CliRun flag = Cli({"--version"});
  EXPECT_EQ(flag.code, 0);
  EXPECT_EQ(flag.out, expected);
  CliRun command = Cli({"version"});
  EXPECT_EQ(command.code, 0);
  EXPECT_EQ(command.out, expected);
  EXPECT_NE(Cli({"--help"}).out.find("  version"), std::string::npos);
}

}  // namespace
}  // namespace duet::cli
