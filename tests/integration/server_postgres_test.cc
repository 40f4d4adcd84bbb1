// Acceptance: `duet serve --store postgresql://...` over HTTP, on a throwaway
// PostgreSQL 15 server (tests/support/postgres_cluster.h).
//
// - Faults: with PostgreSQL stopped, commands and appends answer 503
//   problems (`unavailable`, Retry-After) and /health says so; once it is
//   back, the same Duet process accepts commands again. Bad store settings
//   and an unreachable PostgreSQL at start are clear error exits.
// - Scale-out: three command nodes on one database and a query node reading
//   it directly. Concurrent clients send conflicting ledger commands to all
//   three; the history is checked against the log as in
//   server_linearizability_test (no lost update, no overdraft, acknowledged
//   positions in commit order); an Idempotency-Key sent to node 1 and then
//   node 2 is one effect (and with another body on node 3, 422); the query
//   node answers read-your-writes for a command accepted by any node.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/ledger_history.h"
#include "tests/integration/server_test_support.h"
#include "tests/support/linearizability.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {
namespace json = boost::json;
namespace lin = linearizability;
using lin::Clock;

json::object Money(std::string_view account, int64_t amount) {
  return {{"account", account}, {"currency", "USD"}, {"amount", amount}};
}

// Starts `duet serve` expecting it to exit before serving; its output.
std::string StartFails(const std::filesystem::path& data, std::vector<std::string> extra) {
  ServerProcessOptions options;
  options.binary = DUET_BINARY_PATH;
  options.args = {"serve", "--data", data.string(), "--host", "127.0.0.1", "--port", "0"};
  std::string args;
  for (std::string& arg : extra) {
    args += " " + arg;
    options.args.push_back(std::move(arg));
  }
  auto process = ServerProcess::Start(std::move(options));
  EXPECT_FALSE(process.ok()) << "duet serve started with" << args;
  if (process.ok()) return "";
  EXPECT_EQ(process.status().code(), StatusCode::kFailedPrecondition) << process.status();
  return process.status().message();
}

class ServerPostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cluster = PostgresCluster::Start();
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = std::move(cluster).value();
    ASSERT_TRUE(cluster_->CreateDatabase("duet").ok());
    url_ = cluster_->url("duet");
  }
  void TearDown() override {
    if (!HasFailure()) return;
    for (const auto& node : nodes_) {
      if (node != nullptr) std::cerr << "--- " << node->url() << " ---\n" << node->log();
    }
  }

  // A node on the database: role command, or query reading it directly.
  ServerProcess* StartNode(std::string_view role) {
    const std::string name = std::string(role) + std::to_string(nodes_.size());
    nodes_.push_back(StartDuet(dir_ / name, {"--role", std::string(role), "--store", url_}));
    return nodes_.back().get();
  }

  TempDir dir_;
  std::unique_ptr<PostgresCluster> cluster_;
  std::string url_;
  std::vector<std::unique_ptr<ServerProcess>> nodes_;
};

TEST_F(ServerPostgresTest, BadStoreSettingsAndUnreachablePostgresAreClearErrorExits) {
  std::string log = StartFails(dir_ / "a", {"--store", "mysql://duet@127.0.0.1/duet"});
  EXPECT_NE(log.find("store"), std::string::npos) << log;
  EXPECT_NE(log.find("postgresql://"), std::string::npos) << log;

  log = StartFails(dir_ / "b",
                   {"--role", "query", "--store", url_, "--follow", "http://127.0.0.1:9"});
  EXPECT_NE(log.find("follow"), std::string::npos) << log;

  // Nothing listens there: the cluster is stopped for this part.
  ASSERT_TRUE(cluster_->Stop().ok());
  log = StartFails(dir_ / "c", {"--role", "command", "--store", url_});
  EXPECT_NE(log.find("unavailable"), std::string::npos) << log;
  ASSERT_TRUE(cluster_->StartAgain().ok());
}

TEST_F(ServerPostgresTest, StoppedPostgresAnswers503AndCommandsResumeWithoutRestart) {
  ServerProcess* node = StartNode("command");
  ASSERT_NE(node, nullptr);
  ServerProcess* query_node = StartNode("query");
  ASSERT_NE(query_node, nullptr);
  Api api(node->port()), query(query_node->port());
  ASSERT_EQ(api.Command("OpenAccount", {{"account", "f"}, {"owner", "F"}}).status, 200u);
  const Reply deposited = api.Command("Deposit", Money("f", 10));
  ASSERT_EQ(deposited.status, 200u) << deposited.Describe();
  EXPECT_EQ(api.Get("/health").status, 200u);
  ASSERT_EQ(query.Query("balance", "account=f", UintOf(deposited["position"])).status, 200u);

  ASSERT_TRUE(cluster_->Stop().ok());
  const Reply plain = api.Command("Deposit", Money("f", 1));
  ExpectProblem(plain, 503, "unavailable");
  EXPECT_EQ(plain.Header("retry-after"), "1") << plain.Describe();
  const Reply keyed = api.Command("Deposit", Money("f", 2), {{"Idempotency-Key", "while-down"}});
  ExpectProblem(keyed, 503, "unavailable");
  EXPECT_EQ(keyed.Header("retry-after"), "1") << keyed.Describe();
  const Reply append = api.Post("/streams/raw-f", R"([{"type":"Noted","data":{}}])",
                                {{"Content-Type", "application/json"}});
  ExpectProblem(append, 503, "unavailable");
  EXPECT_TRUE(Eventually([&] {
    const Reply health = api.Get("/health");
    return health.status == 503 && JsonText(health["status"]) == "unavailable";
  })) << api.Get("/health").Describe();
  ExpectProblem(api.Get("/events?from=1"), 503, "unavailable");
  // The read side still answers from its read model.
  const Reply stale = query.Get("/queries/balance?account=f");
  ASSERT_EQ(stale.status, 200u) << stale.Describe();
  EXPECT_EQ(UintOf(stale["data"].as_object().at("balances").as_object().at("USD")), 10u);

  // Back: the same process takes commands again. The keyed retry is the
  // first to take effect (nothing was written while PostgreSQL was down).
  ASSERT_TRUE(cluster_->StartAgain().ok());
  Reply retried;
  EXPECT_TRUE(Eventually([&] {
    retried = api.Command("Deposit", Money("f", 2), {{"Idempotency-Key", "while-down"}});
    return retried.status == 200;
  })) << retried.Describe();
  const Reply again = api.Command("Deposit", Money("f", 2), {{"Idempotency-Key", "while-down"}});
  ASSERT_EQ(again.status, 200u) << again.Describe();
  EXPECT_EQ(UintOf(again["position"]), UintOf(retried["position"]));
  EXPECT_TRUE(Eventually([&] { return api.Get("/health").status == 200; }));
  ASSERT_EQ(api.Post("/streams/raw-f", R"([{"type":"Noted","data":{}}])",
                     {{"Content-Type", "application/json"}})
                .status,
            200u);

  // The log: open, the first deposit, the keyed one once, the raw append.
  std::vector<std::string> types;
  for (const json::object& e : ReadStream(api, "account-f"))
    types.push_back(JsonText(e.at("type")));
  EXPECT_EQ(types, (std::vector<std::string>{"AccountOpened", "MoneyDeposited", "MoneyDeposited"}));
  EXPECT_EQ(ReadStream(api, "raw-f").size(), 1u);
}

// ---- Three command nodes: the history, checked against the log ----

constexpr int kClients = 12;
constexpr int kOpsPerClient = 25;
const std::vector<std::string> kAccounts{"a", "b", "c"};

// A withdrawal's or transfer's debit, for judging its refusal.
struct Debit {
  std::string account;
  int64_t amount = 0;
};

class ThreeCommandNodesTest : public ServerPostgresTest {
 protected:
  // Client `client` sends its operations round-robin to the three command
  // nodes, starting at its own; the seed fixes its mix.
  void Client(int client) {
    std::vector<std::unique_ptr<Api>> apis;
    for (size_t n = 0; n < 3; ++n) apis.push_back(std::make_unique<Api>(nodes_[n]->port()));
    std::mt19937 rng(7100 + client);
    for (int i = 0; i < kOpsPerClient; ++i) {
      Api& api = *apis[static_cast<size_t>((client + i) % 3)];
      const std::string id = "c" + std::to_string(client) + "-" + std::to_string(i);
      const size_t pick = rng() % kAccounts.size();
      const std::string& account = kAccounts[pick];
      const int64_t amount = 1 + static_cast<int64_t>(rng() % 60);
      switch (rng() % 3) {
        case 0: Send(api, id, "Deposit", Money(account, amount), 1, {}); break;
        case 1: Send(api, id, "Withdraw", Money(account, amount), 1, Debit{account, amount}); break;
        default: {
          const std::string& to = kAccounts[(pick + 1 + rng() % 2) % kAccounts.size()];
          Send(api, id, "Transfer",
               {{"from", account}, {"to", to}, {"currency", "USD"}, {"amount", amount}}, 2,
               Debit{account, amount});
        }
      }
    }
  }

  // A ledger command with `id` as Idempotency-Key; it appends
  // `account_events` plus its $command-<id> record.
  void Send(Api& api, const std::string& id, std::string_view type, const json::object& body,
            size_t account_events, std::optional<Debit> debit) {
    lin::Operation op = SendLedgerCommand(api, id, type, body, account_events);
    std::lock_guard<std::mutex> lock(mu_);
    if (debit) debits_[op.command_id] = *debit;
    history_.push_back(std::move(op));
  }

  // The history against the log (read from node 1), with each account's
  // balance as the query node answers it at the head.
  void CheckAgainstTheLog(uint16_t query_port) {
    Api api(nodes_[0]->port());
    const std::vector<lin::LoggedEvent> log = ReadLog(api);
    ASSERT_FALSE(log.empty());
    const uint64_t head = log.back().position;
    LedgerBalanceHistory balances = LedgerBalances(log);
    // No overdraft: a lost update between nodes would let two debits
    // through against one balance.
    for (const auto& [account, series] : balances) {
      for (const auto& [position, balance] : series) {
        EXPECT_GE(balance, 0) << account << " overdrawn at position " << position;
      }
    }
    lin::DomainHooks hooks;
    hooks.refusal_justified_at = [&](const lin::Operation& op, uint64_t position) {
      if (op.error == "wrong_expected_version") return true;  // out of attempts: says nothing
      auto found = debits_.find(op.command_id);
      if (found == debits_.end()) return false;
      int64_t balance = 0;
      for (const auto& [p, b] : balances[found->second.account]) {
        if (p > position) break;
        balance = b;
      }
      return balance < found->second.amount;
    };
    hooks.replay = ReplayLedgerStream;
    Api query(query_port);
    for (const std::string& account : kAccounts) {
      hooks.observed_final_state["account-" + account] = QueriedLedgerBalance(query, account, head);
    }
    const std::vector<lin::Violation> violations = lin::Check(history_, log, hooks);
    EXPECT_TRUE(violations.empty()) << lin::Describe(violations);
  }

  std::mutex mu_;
  std::vector<lin::Operation> history_;
  std::map<std::string, Debit> debits_;
};

TEST_F(ThreeCommandNodesTest, ConflictingCommandsOnAllThreeNodesAreLinearizable) {
  for (int n = 0; n < 3; ++n) ASSERT_NE(StartNode("command"), nullptr);
  ServerProcess* query = StartNode("query");
  ASSERT_NE(query, nullptr);
  {
    Api api(nodes_[0]->port());
    for (const std::string& account : kAccounts) {
      Send(api, "open-" + account, "OpenAccount", {{"account", account}, {"owner", "O"}}, 1, {});
      Send(api, "seed-" + account, "Deposit", Money(account, 100), 1, {});
    }
  }
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) clients.emplace_back([this, c] { Client(c); });
  for (std::thread& client : clients) client.join();

  // Never affordable, sent one at a time once the load is over (so no
  // conflict can exhaust their attempts): every run has refusals to judge,
  // one decided on each node.
  for (size_t n = 0; n < 3; ++n) {
    Api api(nodes_[n]->port());
    Send(api, "broke-" + std::to_string(n), "Withdraw", Money(kAccounts[n], 1'000'000), 1,
         Debit{kAccounts[n], 1'000'000});
    EXPECT_EQ(history_.back().error, "no-overdraft") << history_.back().request;
  }

  size_t acknowledged = 0, overdrafts = 0, out_of_attempts = 0, unknown = 0;
  for (const lin::Operation& op : history_) {
    acknowledged += op.outcome == lin::Outcome::kAcknowledged;
    overdrafts += op.error == "no-overdraft";
    out_of_attempts += op.error == "wrong_expected_version";
    unknown += op.outcome == lin::Outcome::kUnknown;
  }
  std::cout << history_.size() << " operations: " << acknowledged << " acknowledged, " << overdrafts
            << " overdrafts refused, " << out_of_attempts << " out of attempts, " << unknown
            << " unknown\n";
  EXPECT_GE(acknowledged, 2 * kAccounts.size());  // the setup, at least
  EXPECT_EQ(unknown, 0u);  // nothing failed on the way: every call has an answer
  CheckAgainstTheLog(query->port());
}

TEST_F(ThreeCommandNodesTest, AnIdempotencyKeyIsOneEffectAcrossNodes) {
  for (int n = 0; n < 3; ++n) ASSERT_NE(StartNode("command"), nullptr);
  Api one(nodes_[0]->port()), two(nodes_[1]->port());
  ASSERT_EQ(one.Command("OpenAccount", {{"account", "twin"}, {"owner", "T"}}).status, 200u);
  const Reply first = one.Command("Deposit", Money("twin", 7), {{"Idempotency-Key", "twin-7"}});
  ASSERT_EQ(first.status, 200u) << first.Describe();
  const Reply second = two.Command("Deposit", Money("twin", 7), {{"Idempotency-Key", "twin-7"}});
  ASSERT_EQ(second.status, 200u) << second.Describe();
  EXPECT_EQ(UintOf(second["position"]), UintOf(first["position"]));
  EXPECT_EQ(UintOf(second["version"]), UintOf(first["version"]));
  EXPECT_EQ(JsonText(second["stream"]), JsonText(first["stream"]));
  EXPECT_TRUE(second["duplicate"].is_bool() && second["duplicate"].as_bool()) << second.Describe();
  // The key with another body, on the third node: refused, as the record
  // (with its request digest) is on the shared database.
  Api three(nodes_[2]->port());
  ExpectProblem(three.Command("Deposit", Money("twin", 8), {{"Idempotency-Key", "twin-7"}}), 422,
                "idempotency_key_reused", "command_id");
  // One deposit in the stream, read through the third node.
  size_t deposits = 0;
  for (const json::object& e : ReadStream(three, "account-twin")) {
    deposits += JsonText(e.at("type")) == "MoneyDeposited";
  }
  EXPECT_EQ(deposits, 1u);
}

TEST_F(ThreeCommandNodesTest, AQueryNodeOnPostgresReadsItsWritesFromAnyCommandNode) {
  for (int n = 0; n < 3; ++n) ASSERT_NE(StartNode("command"), nullptr);
  ServerProcess* query_node = StartNode("query");
  ASSERT_NE(query_node, nullptr);
  Api query(query_node->port());
  // Writes are refused on the query node, naming where they go.
  const Reply misdirected = query.Command("OpenAccount", {{"account", "x"}, {"owner", "X"}});
  EXPECT_EQ(misdirected.status, 421u) << misdirected.Describe();
  for (int n = 0; n < 3; ++n) {
    Api api(nodes_[static_cast<size_t>(n)]->port());
    const std::string account = "ryw" + std::to_string(n);
    ASSERT_EQ(api.Command("OpenAccount", {{"account", account}, {"owner", "R"}}).status, 200u);
    const Reply deposit = api.Command("Deposit", Money(account, 10 + n));
    ASSERT_EQ(deposit.status, 200u) << deposit.Describe();
    const Reply balance = query.Query("balance", "account=" + account, UintOf(deposit["position"]));
    ASSERT_EQ(balance.status, 200u) << balance.Describe();
    EXPECT_GE(UintOf(balance["position"]), UintOf(deposit["position"]));
    EXPECT_EQ(UintOf(balance["data"].as_object().at("balances").as_object().at("USD")),
              static_cast<uint64_t>(10 + n));
  }
  EXPECT_EQ(query.Get("/ready").status, 200u);
}

}  // namespace
}  // namespace duet::testing
