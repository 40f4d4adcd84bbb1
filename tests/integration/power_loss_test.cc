// Power loss under a real `duet serve --role all`: the binary runs with the
// power-loss interposer preloaded (tests/support/power_loss/), takes ledger
// and orders commands from several HTTP clients, and is SIGKILLed at a
// seeded random moment; the data folder is then rolled back to what a power
// cut at that instant would have left (unsynced writes, creates, renames
// and unlinks undone), and the node restarted. After every cut:
//   - `duet verify` is clean on the rolled-back folder, and no read store's
//     database there holds a checkpoint past the durable head it reports;
//   - every command answered 200, in this round or an earlier one, is in its
//     stream at the version and position it was acknowledged with;
//   - every projection reports a checkpoint at or below the head, catches up
//     to the head, and its read model answers as the log says (each balance
//     is the sum of its deposits) and as a rebuild from the log does.
// A third of the cuts fall while a projection rebuilds, and a fifth of the
// restarts get a second cut while the node recovers. DUET_POWER_LOSS_KILLS
// sets the number of cuts (default 10; power_loss_slow_test runs this test
// with 50), DUET_POWER_LOSS_SEED replays a run (the seed is printed).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/server_test_support.h"
#include "tests/support/power_loss/power_loss_journal.h"
#include "tests/support/power_loss/power_loss_rollback.h"
#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {
namespace fs = std::filesystem;
namespace json = boost::json;

constexpr int kAccounts = 3;

struct Ack {
  std::string stream;
  uint64_t version = 0;
  uint64_t position = 0;
};

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoull(value, nullptr, 10) : fallback;
}

std::string Account(int i) { return "pl" + std::to_string(i); }

// Records the acknowledgement of a 200 (the stream the command wrote first).
void Record(const Reply& reply, std::vector<Ack>& acks, std::atomic<int>& acked) {
  if (reply.status != 200) return;
  acks.push_back({std::string(reply["stream"].as_string()), UintOf(reply["version"]),
                  UintOf(reply["position"])});
  acked.fetch_add(1);
}

// Deposits 1 USD into its account until `stop` or the server is gone.
void DepositLoop(uint16_t port, int client, const std::atomic<bool>& stop, std::atomic<int>& acked,
                 std::vector<Ack>& acks) {
  Api api(port);
  while (!stop.load()) {
    Reply reply =
        api.Command("Deposit", {{"account", Account(client)}, {"currency", "USD"}, {"amount", 1}});
    if (reply.status == 0) return;
    Record(reply, acks, acked);
  }
}

// Places and confirms orders (ids unique per round) until `stop` or the
// server is gone.
void OrderLoop(uint16_t port, int round, const std::atomic<bool>& stop, std::atomic<int>& acked,
               std::vector<Ack>& acks) {
  Api api(port);
  for (int i = 0; !stop.load(); ++i) {
    const std::string order = "r" + std::to_string(round) + "-" + std::to_string(i);
    json::object item{{"sku", "sku-" + std::to_string(i % 5)},
                      {"name", "thing"},
                      {"qty", 1 + i % 3},
                      {"price", 250},
                      {"currency", "EUR"}};
    Reply placed = api.Command(
        "PlaceOrder", {{"order", order}, {"customer", "plc"}, {"items", json::array{item}}});
    if (placed.status == 0) return;
    Record(placed, acks, acked);
    if (placed.status != 200) continue;
    Reply confirmed = api.Command("ConfirmOrder", {{"order", order}});
    if (confirmed.status == 0) return;
    Record(confirmed, acks, acked);
  }
}

class PowerLossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!DUET_POWER_LOSS_PRELOAD_USABLE) {
      GTEST_SKIP() << "sanitizer build: an uninstrumented LD_PRELOAD library cannot be loaded "
                      "into an instrumented duet (the Release phase runs this test)";
    }
    fs::create_directories(data_);
    fs::create_directories(journal_);
  }
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) std::cerr << "--- server log ---\n" << server_->log();
  }

  void StartServer(const std::string& role = "all") {
    ServerProcessOptions options;
    options.binary = DUET_BINARY_PATH;
    options.args = {"serve",  "--data", data_.string(), "--host", "127.0.0.1",
                    "--port", "0",      "--role",       role};
    options.environment = {std::string("LD_PRELOAD=") + DUET_POWER_LOSS_PRELOAD_PATH,
                           std::string(power_loss::kDataDirEnv) + "=" + data_.string(),
                           std::string(power_loss::kJournalDirEnv) + "=" + journal_.string()};
    Result<std::unique_ptr<ServerProcess>> started = ServerProcess::Start(std::move(options));
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
  }

  // Runs the clients until `enough` acknowledgements, waits `extra` more,
  // then kills the node: the cut comes while commands are in flight.
  std::vector<Ack> LoadAndKill(int round, int enough, std::chrono::milliseconds extra) {
    std::atomic<bool> stop{false};
    std::atomic<int> acked{0};
    std::vector<std::vector<Ack>> acks(kAccounts + 1);
    std::vector<std::thread> threads;
    for (int c = 0; c < kAccounts; ++c) {
      threads.emplace_back(DepositLoop, server_->port(), c, std::cref(stop), std::ref(acked),
                           std::ref(acks[c]));
    }
    threads.emplace_back(OrderLoop, server_->port(), round, std::cref(stop), std::ref(acked),
                         std::ref(acks[kAccounts]));
    EXPECT_TRUE(Eventually([&] { return acked.load() >= enough; }));
    std::this_thread::sleep_for(extra);
    EXPECT_TRUE(server_->Kill().ok());
    stop.store(true);
    for (std::thread& t : threads) t.join();
    std::vector<Ack> all;
    for (const std::vector<Ack>& a : acks) all.insert(all.end(), a.begin(), a.end());
    return all;
  }

  // `duet verify --data` on the rolled-back folder: exit 0. Returns the
  // durable head it reports ("ok: ... head N").
  uint64_t ExpectVerifyClean() {
    const std::string command =
        std::string(DUET_BINARY_PATH) + " verify --data '" + data_.string() + "' 2>&1";
    FILE* pipe = popen(command.c_str(), "r");
    EXPECT_NE(pipe, nullptr);
    if (pipe == nullptr) return 0;
    std::string output;
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
    const int status = pclose(pipe);
    EXPECT_EQ(status, 0) << "duet verify: " << output;
    const size_t head = output.rfind("head ");
    EXPECT_NE(head, std::string::npos) << "duet verify: " << output;
    return head == std::string::npos ? 0 : std::strtoull(output.c_str() + head + 5, nullptr, 10);
  }

  // The checkpoint each read store's database holds in the rolled-back
  // folder (before the node opens it), by database file.
  std::map<std::string, uint64_t> StoredCheckpoints() {
    std::map<std::string, uint64_t> checkpoints;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(data_ / "readstores", ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->path().filename() != "store.db") continue;
      sqlite3* db = nullptr;
      const std::string file = it->path().string();
      if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        ADD_FAILURE() << file << ": " << sqlite3_errmsg(db);
        sqlite3_close(db);
        continue;
      }
      sqlite3_stmt* query = nullptr;
      // No duet_meta yet: a store whose first transaction the cut took.
      uint64_t checkpoint = 0;
      if (sqlite3_prepare_v2(db, "SELECT value FROM duet_meta WHERE key = 'checkpoint'", -1, &query,
                             nullptr) == SQLITE_OK &&
          sqlite3_step(query) == SQLITE_ROW) {
        checkpoint = static_cast<uint64_t>(sqlite3_column_int64(query, 0));
      }
      sqlite3_finalize(query);
      sqlite3_close(db);
      checkpoints[file] = checkpoint;
    }
    return checkpoints;
  }

  // Rolls back, verifies the log, and checks that no read store holds a
  // checkpoint past the durable head (it would hold events the cut took).
  void RollBackAndCheckTheFolder() {
    ASSERT_NO_FATAL_FAILURE(RollBack());
    const uint64_t head = ExpectVerifyClean();
    const std::map<std::string, uint64_t> checkpoints = StoredCheckpoints();
    uint64_t lowest = head;
    uint64_t highest = 0;
    for (const auto& [file, checkpoint] : checkpoints) {
      EXPECT_LE(checkpoint, head) << file << " is ahead of the durable log";
      lowest = std::min(lowest, checkpoint);
      highest = std::max(highest, checkpoint);
    }
    std::cout << "durable head " << head << "; " << checkpoints.size() << " read stores";
    if (!checkpoints.empty()) std::cout << " at checkpoints " << lowest << ".." << highest;
    std::cout << "\n";
  }

  void ExpectAcksInTheLog(Api& api, const std::vector<Ack>& acks) {
    std::map<std::string, std::vector<json::object>> streams;
    for (const Ack& ack : acks) {
      auto it = streams.find(ack.stream);
      if (it == streams.end()) it = streams.emplace(ack.stream, ReadStream(api, ack.stream)).first;
      ASSERT_LT(ack.version, it->second.size()) << ack.stream << " lost version " << ack.version;
      EXPECT_EQ(UintOf(it->second[ack.version].at("position")), ack.position) << ack.stream;
    }
  }

  json::array Projections(Api& api) {
    Reply reply = api.Get("/projections");
    EXPECT_EQ(reply.status, 200u) << reply.Describe();
    if (!reply.json.is_object()) return {};
    return reply.json.as_object().at("projections").as_array();
  }

  // Every projection live at the head with no rebuild running.
  bool AllCaughtUp(Api& api, uint64_t head) {
    for (const json::value& p : Projections(api)) {
      const json::object& entry = p.as_object();
      if (entry.at("state") != "live" || entry.contains("rebuild") ||
          UintOf(entry.at("checkpoint")) != head) {
        return false;
      }
    }
    return true;
  }

  // What the read models answer, by query.
  std::map<std::string, std::string> Answers(Api& api, uint64_t head) {
    std::vector<std::string> queries = {
        "accounts?owner=L", "orders?customer=plc&limit=50", "revenue?currency=EUR&bucket=day",
        "orders-per-status?bucket=hour", "volume?currency=USD&bucket=day"};
    for (int c = 0; c < kAccounts; ++c) queries.push_back("balance?account=" + Account(c));
    std::map<std::string, std::string> answers;
    for (const std::string& query : queries) {
      const size_t question = query.find('?');
      Reply reply = api.Query(query.substr(0, question), query.substr(question + 1), head);
      EXPECT_EQ(reply.status, 200u) << query << ": " << reply.Describe();
      answers[query] = reply.json.is_object() ? json::serialize(reply["data"]) : reply.body;
    }
    return answers;
  }

  // Each balance is what the deposits in the account's stream add up to.
  void ExpectBalancesMatchTheLog(Api& api, uint64_t head) {
    for (int c = 0; c < kAccounts; ++c) {
      uint64_t deposited = 0;
      for (const json::object& event : ReadStream(api, "account-" + Account(c))) {
        if (event.at("type") == "MoneyDeposited") ++deposited;
      }
      Reply reply = api.Query("balance", "account=" + Account(c), head);
      ASSERT_EQ(reply.status, 200u) << reply.Describe();
      const json::value& usd = reply["data"].as_object().at("balances").as_object().at("USD");
      EXPECT_EQ(UintOf(usd), deposited) << Account(c) << " at head " << head;
    }
  }

  // The checks after a restart from the rolled-back folder.
  void CheckRecovered(const std::vector<Ack>& acks) {
    Api api(server_->port());
    const uint64_t head = api.Head();
    for (const json::value& p : Projections(api)) {
      EXPECT_LE(UintOf(p.as_object().at("checkpoint")), head) << json::serialize(p);
    }
    ExpectAcksInTheLog(api, acks);
    ASSERT_TRUE(Eventually([&] { return AllCaughtUp(api, head); }))
        << json::serialize(Projections(api));
    ExpectBalancesMatchTheLog(api, head);
    const std::map<std::string, std::string> before = Answers(api, head);
    for (const json::value& p : Projections(api)) {
      const std::string name(p.as_object().at("name").as_string());
      Reply reply = api.Post("/projections/" + name + "/rebuild", "");
      ASSERT_EQ(reply.status, 202u) << reply.Describe();
    }
    ASSERT_TRUE(Eventually([&] { return AllCaughtUp(api, head); }))
        << json::serialize(Projections(api));
    EXPECT_EQ(Answers(api, head), before) << "the read models differ from a rebuild";
  }

  void OpenAccounts(std::vector<Ack>* acks) {
    Api api(server_->port());
    std::atomic<int> acked{0};
    for (int c = 0; c < kAccounts; ++c) {
      Reply reply = api.Command("OpenAccount", {{"account", Account(c)}, {"owner", "L"}});
      ASSERT_EQ(reply.status, 200u) << reply.Describe();
      Record(reply, *acks, acked);
    }
  }

  void RollBack() {
    Result<power_loss::RollbackSummary> rolled =
        power_loss::RollBackToDurableState(data_, journal_);
    ASSERT_TRUE(rolled.ok()) << rolled.status();
    std::cout << "rolled back: " << rolled->Describe() << "\n";
  }

  template <typename Rng>
  void StartRebuild(Rng& rng) {
    Api api(server_->port());
    const json::array projections = Projections(api);
    ASSERT_FALSE(projections.empty());
    const size_t pick = std::uniform_int_distribution<size_t>(0, projections.size() - 1)(rng);
    const std::string name(projections[pick].as_object().at("name").as_string());
    Reply reply = api.Post("/projections/" + name + "/rebuild", "");
    ASSERT_EQ(reply.status, 202u) << reply.Describe();
  }

  void RunCuts(uint64_t cuts) {
    const uint64_t seed = EnvOr("DUET_POWER_LOSS_SEED", std::random_device{}());
    std::cout << "power loss: seed " << seed << " (DUET_POWER_LOSS_SEED), " << cuts << " cuts\n";
    std::mt19937_64 rng(seed);
    StartServer();
    ASSERT_NE(server_, nullptr);
    std::vector<Ack> acks;
    ASSERT_NO_FATAL_FAILURE(OpenAccounts(&acks));
    uint64_t restart_cuts = 0;
    for (uint64_t round = 0; round < cuts; ++round) {
      const int enough = std::uniform_int_distribution<int>(1, 150)(rng);
      const std::chrono::milliseconds extra(std::uniform_int_distribution<int>(0, 25)(rng));
      // A third of the cuts may fall into a rebuild: its new generation, the
      // switch of CURRENT, the removal of the old one.
      if (std::uniform_int_distribution<int>(0, 2)(rng) == 0) {
        ASSERT_NO_FATAL_FAILURE(StartRebuild(rng));
      }
      const std::vector<Ack> more = LoadAndKill(static_cast<int>(round), enough, extra);
      acks.insert(acks.end(), more.begin(), more.end());
      std::cout << "cut " << round + 1 << "/" << cuts << ": " << acks.size()
                << " acknowledged so far\n";
      ASSERT_NO_FATAL_FAILURE(RollBackAndCheckTheFolder());
      ASSERT_TRUE(server_->Restart().ok()) << server_->log();
      // A fifth of the restarts get a second cut while the node recovers:
      // projections opening their stores and catching up, snapshots, a
      // rebuild interrupted by the first cut being cleared away.
      if (std::uniform_int_distribution<int>(0, 4)(rng) == 0) {
        std::this_thread::sleep_for(
            std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 50)(rng)));
        ASSERT_TRUE(server_->Kill().ok());
        ++restart_cuts;
        std::cout << "cut during the restart\n";
        ASSERT_NO_FATAL_FAILURE(RollBackAndCheckTheFolder());
        ASSERT_TRUE(server_->Restart().ok()) << server_->log();
      }
      CheckRecovered(acks);
      if (HasFailure()) {
        std::cout << "power loss: failed after cut " << round + 1 << ", seed " << seed << "\n";
        return;
      }
    }
    std::cout << "power loss: " << cuts << " cuts under load and " << restart_cuts
              << " during restarts, " << acks.size() << " acknowledged commands, all kept; seed "
              << seed << "\n";
  }

  TempDir dir_;
  fs::path data_ = dir_ / "data";
  fs::path journal_ = dir_ / "journal";
  std::unique_ptr<ServerProcess> server_;
};

// Regression: the embedded store created log/ and the log synced the data
// folder only when it created log/ itself, so it never did: a power cut
// after the first acknowledged commands of a new data folder took them all.
// A command node, whose read stores' folders do not sync the data folder
// for the log.
TEST_F(PowerLossTest, FirstCommandsOfANewDataFolderSurviveAPowerCut) {
  StartServer("command");
  ASSERT_NE(server_, nullptr);
  std::vector<Ack> acks;
  ASSERT_NO_FATAL_FAILURE(OpenAccounts(&acks));
  ASSERT_TRUE(server_->Kill().ok());
  ASSERT_NO_FATAL_FAILURE(RollBackAndCheckTheFolder());
  ASSERT_TRUE(server_->Restart().ok()) << server_->log();
  Api api(server_->port());
  ExpectAcksInTheLog(api, acks);
}

TEST_F(PowerLossTest, EveryAcknowledgedCommandSurvivesPowerCutsOfTheRealBinary) {
  RunCuts(EnvOr("DUET_POWER_LOSS_KILLS", 10));
}

}  // namespace
}  // namespace duet::testing
