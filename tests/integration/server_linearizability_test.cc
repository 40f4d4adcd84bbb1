// Acceptance: linearizability over HTTP. 16 clients on threads run ledger
// commands against few accounts and read-modify-write raw appends (with
// Expected-Version) against few streams on one `duet serve`; every answer is
// recorded with its invoke/return times; the log is read back over HTTP and
// checked (tests/support/linearizability.h), with each account's balance as
// the balance query (the projection) answers it compared to a replay of the
// log. Then SIGKILL and restart: the same history is checked again against
// the recovered log, so every acknowledged command is still there, once; and
// again after a SIGKILL in the middle of a second round of load.
#include <gtest/gtest.h>

#include <atomic>
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
#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {
namespace json = boost::json;
namespace lin = linearizability;
using lin::Clock;

constexpr int kClients = 16;
constexpr int kOpsPerClient = 30;
const std::vector<std::string> kAccounts{"a", "b", "c"};
const std::vector<std::string> kRawStreams{"tally-x", "tally-y"};

// What a refusal was about: a debit of `amount` from `account`, or a raw
// append to `stream` expecting `version`.
struct Intent {
  std::string account;
  int64_t amount = 0;
  std::string stream;
  std::optional<uint64_t> version;
};

class ServerLinearizabilityTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) std::cerr << "--- server log ---\n" << server_->log();
  }

  // One client's operations, ids "<round><client>-<i>"; the seed fixes its
  // mix. Stops at the first call without an answer (the server is gone).
  void Client(const std::string& round, int client) {
    Api api(server_->port());
    std::mt19937 rng(4400 + client + (round == "c" ? 0 : 100));
    for (int i = 0; i < kOpsPerClient; ++i) {
      const std::string id = round + std::to_string(client) + "-" + std::to_string(i);
      bool answered = true;
      const size_t pick = rng() % kAccounts.size();
      const std::string& account = kAccounts[pick];
      const int64_t amount = 1 + static_cast<int64_t>(rng() % 60);
      switch (rng() % 4) {
        case 0:
          answered =
              Command(api, id, "Deposit",
                      {{"account", account}, {"currency", "USD"}, {"amount", amount}}, 1, {});
          break;
        case 1:
          answered = Command(api, id, "Withdraw",
                             {{"account", account}, {"currency", "USD"}, {"amount", amount}}, 1,
                             Intent{account, amount, {}, {}});
          break;
        case 2: {
          const std::string& to = kAccounts[(pick + 1 + rng() % 2) % kAccounts.size()];
          answered =
              Command(api, id, "Transfer",
                      {{"from", account}, {"to", to}, {"currency", "USD"}, {"amount", amount}}, 2,
                      Intent{account, amount, {}, {}});
          break;
        }
        default: answered = RawAppend(api, id, kRawStreams[rng() % kRawStreams.size()]);
      }
      if (!answered) return;
    }
    // Never affordable: every run has refusals to judge.
    const std::string& account = kAccounts[client % kAccounts.size()];
    Command(api, round + std::to_string(client) + "-broke", "Withdraw",
            {{"account", account}, {"currency", "USD"}, {"amount", 1'000'000}}, 1,
            Intent{account, 1'000'000, {}, {}});
  }

  // A ledger command with the operation's id as Idempotency-Key; it appends
  // `account_events` plus its $command-<id> record. False: no answer.
  bool Command(Api& api, const std::string& id, std::string_view type, const json::object& body,
               size_t account_events, std::optional<Intent> intent) {
    lin::Operation op = SendLedgerCommand(api, id, type, body, account_events);
    const bool answered = op.outcome != lin::Outcome::kUnknown;
    Keep(std::move(op), std::move(intent));
    return answered;
  }

  // Read-modify-write on a raw stream: read its head, append one event
  // expecting exactly that head. False: no answer.
  bool RawAppend(Api& api, const std::string& id, const std::string& stream) {
    lin::Operation op;
    op.command_id = id;
    op.invoked = Clock::now();
    Reply head = api.Get("/streams/" + stream + "?direction=backward&limit=1");
    std::optional<uint64_t> version;
    if (head.status == 200 && head["events"].is_array() && !head["events"].as_array().empty()) {
      version = UintOf(head["events"].as_array().front().as_object().at("version"));
    } else if (head.status == 0) {
      return false;  // gone before the append was sent: no operation
    } else if (head.status != 404) {
      ADD_FAILURE() << "reading " << stream << ": " << head.Describe();
      return false;
    }
    const std::string expected = version ? std::to_string(*version) : "no_stream";
    op.request = "append to " + stream + " expecting " + expected;
    json::array events{json::object{
        {"type", "Tallied"}, {"data", {{"after", expected}}}, {"metadata", {{"command_id", id}}}}};
    RecordReply(api.Post("/streams/" + stream, json::serialize(events),
                         {{"Expected-Version", expected}, {"Content-Type", "application/json"}}),
                op);
    const bool answered = op.outcome != lin::Outcome::kUnknown;
    Keep(std::move(op), Intent{{}, 0, stream, version});
    return answered;
  }

  void Keep(lin::Operation op, std::optional<Intent> intent) {
    if (op.outcome == lin::Outcome::kAcknowledged) ++acknowledged_;
    std::lock_guard<std::mutex> lock(mu_);
    if (intent) intents_[op.command_id] = *intent;
    history_.push_back(std::move(op));
  }

  // Reads the log back and checks the history against it, with each
  // account's balance as the balance query answers it at the head.
  void CheckAgainstTheLog() {
    Api api(server_->port());
    const std::vector<lin::LoggedEvent> log = ReadLog(api);
    ASSERT_FALSE(log.empty());
    const uint64_t head = log.back().position;

    // Stream -> (position, version) of each event, for judging refusals.
    std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> versions;
    for (const lin::LoggedEvent& e : log) versions[e.stream].emplace_back(e.position, e.version);
    LedgerBalanceHistory balances = LedgerBalances(log);
    auto at = [](const auto& changes, uint64_t position, auto none) {
      auto value = none;
      for (const auto& [p, v] : changes) {
        if (p > position) break;
        value = v;
      }
      return value;
    };

    lin::DomainHooks hooks;
    hooks.refusal_justified_at = [&](const lin::Operation& op, uint64_t position) {
      auto found = intents_.find(op.command_id);
      if (found == intents_.end()) return op.error == "wrong_expected_version";  // a deposit
      const Intent& intent = found->second;
      if (!intent.stream.empty()) {  // a raw append: the stream was elsewhere
        return at(versions[intent.stream], position, std::optional<uint64_t>()) != intent.version;
      }
      if (op.error == "wrong_expected_version") return true;  // says nothing of balances
      return at(balances[intent.account], position, int64_t{0}) < intent.amount;
    };
    hooks.replay = ReplayLedgerStream;
    for (const std::string& account : kAccounts) {
      hooks.observed_final_state["account-" + account] = QueriedLedgerBalance(api, account, head);
    }
    for (const std::string& stream : kRawStreams) {
      Reply reply = api.Get("/streams/" + stream + "?direction=backward&limit=1");
      ASSERT_EQ(reply.status, 200u) << reply.Describe();
      const uint64_t last = UintOf(reply["events"].as_array().front().as_object().at("version"));
      hooks.observed_final_state[stream] = "count=" + std::to_string(last + 1);
    }

    const std::vector<lin::Violation> violations = lin::Check(history_, log, hooks);
    EXPECT_TRUE(violations.empty()) << lin::Describe(violations);
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::mutex mu_;
  std::vector<lin::Operation> history_;
  std::map<std::string, Intent> intents_;  // command id -> what a refusal was about
  std::atomic<size_t> acknowledged_{0};
};

TEST_F(ServerLinearizabilityTest, ConcurrentClientsSeeALinearizableLogThatSurvivesSigkill) {
  server_ = StartDuet(dir_ / "data");
  ASSERT_NE(server_, nullptr);
  {
    Api api(server_->port());
    for (const std::string& account : kAccounts) {
      Command(api, "open-" + account, "OpenAccount", {{"account", account}, {"owner", "O"}}, 1, {});
      Command(api, "seed-" + account, "Deposit",
              {{"account", account}, {"currency", "USD"}, {"amount", 100}}, 1, {});
    }
  }
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) clients.emplace_back([this, c] { Client("c", c); });
  for (std::thread& client : clients) client.join();

  size_t acknowledged = 0, overdrafts = 0, out_of_attempts = 0, unknown = 0;
  for (const lin::Operation& op : history_) {
    acknowledged += op.outcome == lin::Outcome::kAcknowledged;
    overdrafts += op.error == "no-overdraft";
    out_of_attempts += op.error == "wrong_expected_version" && op.request.rfind("append", 0) != 0;
    unknown += op.outcome == lin::Outcome::kUnknown;
  }
  std::cout << history_.size() << " operations: " << acknowledged << " acknowledged, " << overdrafts
            << " overdrafts, " << out_of_attempts << " commands out of attempts, " << unknown
            << " unknown\n";
  EXPECT_GT(acknowledged, history_.size() / 3);
  EXPECT_GE(overdrafts, static_cast<size_t>(kClients));
  EXPECT_EQ(unknown, 0u);  // nothing went wrong on the way: every call has an answer

  CheckAgainstTheLog();

  // SIGKILL between rounds: the recovered log still holds the same history.
  ASSERT_TRUE(server_->Kill().ok());
  ASSERT_TRUE(server_->Restart().ok()) << server_->log();
  CheckAgainstTheLog();

  // SIGKILL during a round: calls in flight have no answer (unknown: in the
  // log once or not at all); everything acknowledged is in the log once.
  const size_t target = acknowledged_.load() + 100;
  std::atomic<int> done{0};
  clients.clear();
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([this, c, &done] {
      Client("k", c);
      ++done;
    });
  }
  EXPECT_TRUE(
      Eventually([&] { return acknowledged_.load() >= target || done.load() == kClients; }));
  ASSERT_TRUE(server_->Kill().ok());
  for (std::thread& client : clients) client.join();
  size_t in_flight = 0;
  for (const lin::Operation& op : history_) in_flight += op.outcome == lin::Outcome::kUnknown;
  std::cout << "killed at " << acknowledged_.load() << " acknowledged, " << in_flight
            << " calls without an answer\n";
  ASSERT_TRUE(server_->Restart().ok()) << server_->log();
  CheckAgainstTheLog();
}

}  // namespace
}  // namespace duet::testing
