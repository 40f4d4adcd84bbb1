// Acceptance of /metrics: a role-all node after traffic (commands accepted,
// refused and unknown, queries, an append conflict, a feed subscriber, a 404
// and a 413) and a query node following it expose every documented series,
// only documented series, and nothing promtool objects to. The sample
// Grafana dashboard queries documented metrics only.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "tests/integration/server_test_support.h"
#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {

namespace json = boost::json;

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(DUET_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The metric names in docs/http-api.md's "## Metrics" table.
std::set<std::string> DocumentedMetrics() {
  const std::string doc = ReadSourceFile("docs/http-api.md");
  const size_t start = doc.find("\n## Metrics\n");
  const size_t end = doc.find("\n## ", start + 1);
  std::istringstream section(doc.substr(start, end - start));
  std::set<std::string> names;
  for (std::string line; std::getline(section, line);) {
    if (!line.starts_with("| `")) continue;
    names.insert(line.substr(3, line.find('`', 3) - 3));
  }
  return names;
}

// The family names of a scrape (its `# TYPE` lines).
std::set<std::string> Families(const std::string& scrape) {
  std::set<std::string> names;
  std::istringstream in(scrape);
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("# TYPE ")) continue;
    names.insert(line.substr(7, line.find(' ', 7) - 7));
  }
  return names;
}

// The value of the sample `series` (name and labels as rendered, labels in
// name order); nullopt when the scrape has no such sample.
std::optional<double> Sample(const std::string& scrape, const std::string& series) {
  const std::string key = "\n" + series + " ";
  const size_t at = scrape.find(key);
  if (at == std::string::npos) return std::nullopt;
  return std::strtod(scrape.c_str() + at + key.size(), nullptr);
}

// promtool's path: $DUET_PROMTOOL, `make promtool`'s copy in the build tree,
// or one on the PATH; empty when there is none.
std::string FindPromtool() {
  if (const char* env = std::getenv("DUET_PROMTOOL"); env != nullptr && *env != '\0') return env;
  if (access(DUET_PROMTOOL_DEFAULT, X_OK) == 0) return DUET_PROMTOOL_DEFAULT;
  if (std::system("command -v promtool >/dev/null 2>&1") == 0) return "promtool";
  return {};
}

struct Checked {
  int exit_code = -1;
  std::string output;
};

// `promtool check metrics` over `scrape` (on its standard input).
Checked PromtoolCheck(const std::string& promtool, const std::string& scrape,
                      const std::filesystem::path& dir) {
  const std::filesystem::path file = dir / "scrape.txt";
  WriteFile(file, scrape);
  const std::string command = "'" + promtool + "' check metrics < '" + file.string() + "' 2>&1";
  Checked checked;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return checked;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof(buf), pipe)) > 0;) checked.output.append(buf, n);
  const int status = pclose(pipe);
  checked.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return checked;
}

class ServerMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    all_ = StartDuet(dir_ / "all", {"--max-body-bytes", "4096", "--durability", "none"});
    ASSERT_NE(all_, nullptr);
    api_ = std::make_unique<Api>(all_->port());
  }
  void TearDown() override {
    StopFeed();
    if (HasFailure() && all_ != nullptr) std::cerr << "--- role all log ---\n" << all_->log();
    if (HasFailure() && query_ != nullptr) std::cerr << "--- query node log ---\n" << query_->log();
  }

  std::string Scrape(Api& api) {
    Reply metrics = api.Get("/metrics");
    EXPECT_EQ(metrics.status, 200u) << metrics.Describe();
    return metrics.body;
  }

  // Commands accepted, refused by a rule and of an unknown type; a query; an
  // append conflict; a 404 and a 413.
  void SendTraffic() {
    ASSERT_EQ(api_->Command("OpenAccount", {{"account", "m1"}, {"owner", "M"}}).status, 200u);
    Reply deposit =
        api_->Command("Deposit", {{"account", "m1"}, {"currency", "EUR"}, {"amount", 70}});
    ASSERT_EQ(deposit.status, 200u) << deposit.Describe();
    EXPECT_EQ(
        api_->Command("Withdraw", {{"account", "m1"}, {"currency", "USD"}, {"amount", 1}}).status,
        422u);
    EXPECT_EQ(api_->Command("NoSuchCommand", {{"x", 1}}).status, 404u);
    Reply balance = api_->Query("balance", "account=m1", UintOf(deposit["position"]));
    EXPECT_EQ(balance.status, 200u) << balance.Describe();
    const std::string event = R"([{"type":"Noted","data":{"n":1}}])";
    EXPECT_EQ(api_->Post("/streams/notes-1", event, {{"Expected-Version", "no_stream"}}).status,
              200u);
    EXPECT_EQ(api_->Post("/streams/notes-1", event, {{"Expected-Version", "no_stream"}}).status,
              409u);
    EXPECT_EQ(api_->Get("/no-such-route").status, 404u);
    EXPECT_EQ(api_->Post("/commands/Deposit", std::string(5000, ' ')).status, 413u);
  }

  // Opens GET /events/live and holds it until StopFeed().
  void StartFeed() {
    auto url = follow::ParseHttpUrl(all_->url());
    ASSERT_TRUE(url.ok()) << url.status();
    feed_client_ = follow::HttpClient::Create(*url, std::chrono::seconds(30));
    feed_ = std::thread([this] {
      (void)feed_client_->Stream("/events/live?from=1", {}, std::chrono::seconds(30),
                                 [this](std::string_view) { return !stop_feed_.load(); });
    });
  }
  void StopFeed() {
    if (!feed_.joinable()) return;
    stop_feed_ = true;
    feed_client_->Abort();
    feed_.join();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> all_;
  std::unique_ptr<ServerProcess> query_;
  std::unique_ptr<Api> api_;
  std::unique_ptr<follow::HttpClient> feed_client_;
  std::thread feed_;
  std::atomic<bool> stop_feed_{false};
};

TEST_F(ServerMetricsTest, RoleAllNodeShowsTheSeriesOperatorsNeed) {
  SendTraffic();
  StartFeed();
  std::string scrape;
  ASSERT_TRUE(Eventually([&] {
    scrape = Scrape(*api_);
    return Sample(scrape, "duet_feed_subscribers") == 1.0;
  })) << scrape;
  EXPECT_GE(Sample(scrape, "process_cpu_seconds_total").value_or(-1), 0);
  for (const char* name : {"process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_open_fds", "process_max_fds", "process_start_time_seconds"}) {
    EXPECT_GT(Sample(scrape, name).value_or(-1), 0) << name;
  }
  EXPECT_EQ(
      Sample(scrape, std::string("duet_build_info{version=\"") + DUET_EXPECTED_VERSION + "\"}"),
      1.0);
  const uint64_t head = api_->Head();
  EXPECT_EQ(Sample(scrape, "duet_log_head_position"), static_cast<double>(head));
  EXPECT_EQ(Sample(scrape, "duet_store_appended_events_total"), static_cast<double>(head));
  EXPECT_GT(Sample(scrape, "duet_store_appended_bytes_total").value_or(0), 0);
  EXPECT_EQ(Sample(scrape, "duet_append_errors_total{code=\"wrong_expected_version\"}"), 1.0);
  EXPECT_EQ(Sample(scrape, "duet_command_duration_seconds_count{outcome=\"ok\",type=\"Deposit\"}"),
            1.0);
  EXPECT_EQ(
      Sample(scrape, "duet_command_duration_seconds_count{outcome=\"rejected\",type=\"Withdraw\"}"),
      1.0);
  EXPECT_EQ(scrape.find("NoSuchCommand"), std::string::npos) << "client input became a label";
  EXPECT_EQ(Sample(scrape, "duet_query_duration_seconds_count{name=\"balance\",outcome=\"ok\"}"),
            1.0);
  EXPECT_TRUE(Sample(scrape,
                     "duet_http_request_duration_seconds_bucket{method=\"GET\",route=\"/"
                     "queries/{name}\",le=\"60\"}")
                  .has_value());
  EXPECT_EQ(scrape.find("duet_http_request_duration_seconds_count{method=\"GET\",route=\"/events/"
                        "live\"}"),
            std::string::npos)
      << "a feed connection is not a request latency";
  EXPECT_EQ(Sample(scrape, "duet_projection_state{projection=\"ledger-accounts\",state=\"live\"}"),
            1.0);
  EXPECT_EQ(
      Sample(scrape, "duet_projection_state{projection=\"ledger-accounts\",state=\"failed\"}"),
      0.0);
  EXPECT_TRUE(
      Sample(scrape, "duet_projection_checkpoint_position{projection=\"ledger-accounts\"}"));
  EXPECT_EQ(Sample(scrape, "duet_projection_parked_events{projection=\"ledger-accounts\"}"), 0.0);
  // The node started on an empty folder: what its runner applied is what the
  // log held, at most.
  const std::optional<double> applied =
      Sample(scrape, "duet_projection_events_applied_total{projection=\"ledger-accounts\"}");
  ASSERT_TRUE(applied.has_value());
  EXPECT_GT(*applied, 0.0);
  EXPECT_LE(*applied, Sample(scrape, "duet_log_head_position").value_or(0.0));

  StopFeed();
  ASSERT_TRUE(Eventually([&] {
    scrape = Scrape(*api_);
    return Sample(scrape, "duet_feed_subscribers") == 0.0 &&
           Sample(scrape, "duet_feed_connection_duration_seconds_count{route=\"/events/live\"}") ==
               1.0;
  })) << scrape;
}

TEST_F(ServerMetricsTest, QueryNodeShowsItsFollowerAndNoWritePath) {
  SendTraffic();
  query_ = StartDuet(dir_ / "query", {"--role", "query", "--follow", all_->url()});
  ASSERT_NE(query_, nullptr);
  Api query_api(query_->port());
  ASSERT_EQ(
      api_->Command("Deposit", {{"account", "m1"}, {"currency", "EUR"}, {"amount", 5}}).status,
      200u);
  const double head = static_cast<double>(api_->Head());
  std::string scrape;
  ASSERT_TRUE(Eventually([&] {
    scrape = Scrape(query_api);
    return Sample(scrape, "duet_follower_connected") == 1.0 &&
           Sample(scrape, "duet_log_head_position") == head &&
           Sample(scrape, "duet_follower_lag_events") == 0.0 &&
           Sample(scrape, "duet_projection_lag_events{projection=\"ledger-accounts\"}") == 0.0;
  })) << scrape;
  EXPECT_GE(Sample(scrape, "duet_follower_received_events_total").value_or(0), 1.0);
  EXPECT_TRUE(Sample(scrape, "duet_follower_feed_errors_total").has_value());
  for (const std::string& family : Families(scrape)) {
    for (const char* write_path :
         {"duet_store_appended", "duet_group_commit", "duet_fsync", "duet_append_"}) {
      EXPECT_FALSE(family.starts_with(write_path)) << family << " on a query node";
    }
  }
}

// The documented list is exactly what the nodes expose, and promtool is
// content with both scrapes.
TEST_F(ServerMetricsTest, ScrapesAreDocumentedAndPassPromtool) {
  SendTraffic();
  StartFeed();
  ASSERT_TRUE(Eventually([&] { return Sample(Scrape(*api_), "duet_feed_subscribers") == 1.0; }));
  StopFeed();
  std::string all_scrape;
  ASSERT_TRUE(Eventually([&] {
    all_scrape = Scrape(*api_);
    return Sample(all_scrape, "duet_feed_subscribers") == 0.0;
  }));
  query_ = StartDuet(dir_ / "query", {"--role", "query", "--follow", all_->url()});
  ASSERT_NE(query_, nullptr);
  Api query_api(query_->port());
  std::string query_scrape;
  ASSERT_TRUE(Eventually([&] {
    query_scrape = Scrape(query_api);
    return Sample(query_scrape, "duet_follower_connected") == 1.0;
  }));
  Reply queried = query_api.Query("balance", "account=m1", api_->Head());
  ASSERT_EQ(queried.status, 200u) << queried.Describe();
  query_scrape = Scrape(query_api);

  const std::set<std::string> documented = DocumentedMetrics();
  ASSERT_GT(documented.size(), 20u);
  std::set<std::string> exposed = Families(all_scrape);
  for (const std::string& name : Families(query_scrape)) exposed.insert(name);
  for (const std::string& name : exposed) {
    EXPECT_TRUE(documented.contains(name)) << name << " is not in docs/http-api.md";
  }
  for (const std::string& name : documented) {
    EXPECT_TRUE(exposed.contains(name)) << name << " is documented but not exposed";
  }

  const std::string promtool = FindPromtool();
  if (promtool.empty()) {
    GTEST_SKIP() << "promtool not found: `make promtool` extracts it into the build tree "
                    "(or set DUET_PROMTOOL); the documented-list checks above ran";
  }
  for (const std::string* scrape : {&all_scrape, &query_scrape}) {
    const Checked checked = PromtoolCheck(promtool, *scrape, dir_.path());
    EXPECT_EQ(checked.exit_code, 0) << checked.output;
    EXPECT_EQ(checked.output, "") << "promtool lint:\n" << checked.output;
  }
}

// The duet_* and process_* names a PromQL expression mentions (a name is a
// run of [a-z_] not preceded by a word character).
std::vector<std::string> MetricNamesIn(std::string_view expr) {
  auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::vector<std::string> names;
  for (size_t i = 0; i < expr.size();) {
    if (!word(expr[i])) {
      ++i;
      continue;
    }
    size_t end = i;
    while (end < expr.size() && word(expr[end])) ++end;
    const std::string_view token = expr.substr(i, end - i);
    const bool lower = token.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string::npos;
    if (lower && (token.starts_with("duet_") || token.starts_with("process_"))) {
      names.emplace_back(token);
    }
    i = end;
  }
  return names;
}

// Every metric the sample dashboard queries is a documented one.
TEST(GrafanaDashboardTest, QueriesOnlyDocumentedMetrics) {
  const json::value dashboard = json::parse(ReadSourceFile("docs/grafana-dashboard.json"));
  const std::set<std::string> documented = DocumentedMetrics();
  size_t queries = 0;
  for (const json::value& panel : dashboard.at("panels").as_array()) {
    for (const json::value& target : panel.at("targets").as_array()) {
      const std::string expr(target.at("expr").as_string());
      ++queries;
      for (std::string name : MetricNamesIn(expr)) {
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
          if (!documented.contains(name) && name.ends_with(suffix)) {
            name.resize(name.size() - std::string_view(suffix).size());
          }
        }
        EXPECT_TRUE(documented.contains(name)) << name << " in " << expr;
      }
    }
  }
  EXPECT_GE(queries, 10u);
}

}  // namespace
}  // namespace duet::testing
