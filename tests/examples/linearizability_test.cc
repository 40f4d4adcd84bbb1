// Linearizability of optimistic concurrency on an embedded store: many
// threads run read-modify-write operations against few streams, every call is
// recorded (invoke/return times, answer), the log is read back, and the
// checker (tests/support/linearizability.h) compares the two. Labelled
// "concurrency" so the TSan build runs it.
#include "tests/support/linearizability.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "duet/embedded_store.h"
#include "ledger/ledger.h"
#include "tests/support/temp_dir.h"

namespace duet::examples::ledger {
namespace {

namespace lin = testing::linearizability;
using lin::Clock;

std::vector<lin::LoggedEvent> ReadLog(EventStore* store) {
  std::vector<lin::LoggedEvent> log;
  GlobalPosition from(1);
  for (;;) {
    std::vector<RecordedEvent> page = store->ReadAll(from, 1000).value();
    for (RecordedEvent& e : page) {
      std::string command_id;
      boost::system::error_code ec;
      boost::json::value metadata = boost::json::parse(e.metadata, ec);
      if (!ec && metadata.is_object()) {
        if (const auto* id = metadata.as_object().if_contains("command_id")) {
          if (id->is_string()) command_id = std::string(id->as_string());
        }
      }
      log.push_back(lin::LoggedEvent{e.stream, e.version.value, e.position.value, command_id,
                                     e.type, std::move(e.data)});
    }
    if (page.empty()) return log;
    from = GlobalPosition(log.back().position + 1);
  }
}

// The state of an account stream as text ("owner;CUR=balance;..."), from its events.
std::string ReplayAccount(const std::vector<lin::LoggedEvent>& events) {
  AccountState state;
  for (const lin::LoggedEvent& e : events) {
    Result<AccountEvent> event = AccountCodec().Decode(e.type, e.data);
    if (!event.ok()) return "undecodable " + e.stream + "@" + std::to_string(e.version);
    state = EvolveAccount(std::move(state), *event);
  }
  std::string text = state.owner;
  for (const auto& [currency, balance] : state.balances) {
    text += ";" + currency + "=" + std::to_string(balance);
  }
  return text;
}

// Each account's USD balance after every position of the log, to decide
// whether a no-overdraft refusal was right at some position.
class BalanceHistory {
 public:
  explicit BalanceHistory(const std::vector<lin::LoggedEvent>& log) {
    std::map<std::string, AccountState> states;
    for (const lin::LoggedEvent& e : log) {
      if (e.stream.rfind("account-", 0) != 0) continue;
      Result<AccountEvent> event = AccountCodec().Decode(e.type, e.data);
      if (!event.ok()) continue;  // the replay comparison reports it
      AccountState& state = states[e.stream.substr(8)];
      state = EvolveAccount(std::move(state), *event);
      changes_[e.stream.substr(8)].emplace_back(e.position, state.Balance("USD"));
    }
  }

  int64_t UsdAt(const std::string& account, uint64_t position) const {
    auto it = changes_.find(account);
    if (it == changes_.end()) return 0;
    int64_t balance = 0;
    for (const auto& [at, value] : it->second) {
      if (at > position) break;
      balance = value;
    }
    return balance;
  }

 private:
  std::map<std::string, std::vector<std::pair<uint64_t, int64_t>>> changes_;
};

// What a ledger operation asked for: the account whose balance a
// no-overdraft refusal is about, and the amount.
struct Debit {
  std::string account;
  int64_t amount = 0;
};

class LinearizabilityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.durability.mode = Durability::Mode::kNone;
    store_ = EmbeddedStore::Open(dir_ / "data", options).value();
  }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
};

TEST_F(LinearizabilityTest, LedgerCommandsThroughTheBusAreLinearizable) {
  // Two buses with their own caches on one store, as two writer processes
  // would have: each one's cache lags the other's writes.
  std::vector<std::unique_ptr<Repository>> repos;
  std::vector<std::unique_ptr<CommandBus>> buses;
  for (int i = 0; i < 2; ++i) {
    repos.push_back(std::make_unique<Repository>(
        store_.get(), RepositoryOptions{.snapshot_dir = dir_ / "snaps", .snapshot_every = 8}));
    buses.push_back(std::make_unique<CommandBus>(
        repos.back().get(),
        BusOptions{.max_attempts = 30, .retry_backoff = std::chrono::microseconds(50)}));
    ASSERT_TRUE(Register(*buses.back()).ok());
  }
  const std::vector<std::string> accounts{"a", "b", "c"};

  std::mutex mu;
  std::vector<lin::Operation> history;
  std::map<std::string, Debit> debits;  // command id -> what a refusal would be about
  auto run = [&](CommandBus& bus, const std::string& id, const std::string& request,
                 size_t account_events, auto command, std::optional<Debit> debit) {
    lin::Operation op;
    op.command_id = id;
    op.request = request;
    op.events = account_events + 1;  // + the $command-<id> record
    op.invoked = Clock::now();
    Result<CommandResult> r = bus.Dispatch(command, CommandOptions{.command_id = id});
    op.returned = Clock::now();
    if (r.ok()) {
      op.outcome = lin::Outcome::kAcknowledged;
      for (const StreamRevision& s : r->streams) {
        op.acked_versions.push_back(lin::AckedVersion{s.stream, s.version.value});
      }
      op.acked_position = r->position.value;
    } else {
      op.outcome = lin::Outcome::kRefused;
      op.error = r.status().IsWrongExpectedVersion() ? "wrong_expected_version"
                                                     : std::string(r.status().subject());
      EXPECT_TRUE(r.status().IsWrongExpectedVersion() || r.status().subject() == "no-overdraft")
          << request << ": " << r.status();
    }
    std::lock_guard<std::mutex> lock(mu);
    if (debit) debits[id] = *debit;
    history.push_back(std::move(op));
  };

  for (const std::string& account : accounts) {
    run(*buses[0], "open-" + account, "open " + account, 1, OpenAccount{account, "owner"},
        std::nullopt);
    run(*buses[0], "seed-" + account, "deposit 100 to " + account, 1, Deposit{account, "USD", 100},
        std::nullopt);
  }

  constexpr int kThreads = 8;
  constexpr int kOpsPerThread = 60;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(7000 + t);  // seeded: the same mix every run
      CommandBus& bus = *buses[t % 2];
      for (int i = 0; i < kOpsPerThread; ++i) {
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        const size_t from = rng() % accounts.size();
        const std::string& account = accounts[from];
        const int64_t amount = 1 + static_cast<int64_t>(rng() % 60);
        const std::string amount_text = std::to_string(amount);
        switch (rng() % 3) {
          case 0:
            run(bus, id, "deposit " + amount_text + " to " + account, 1,
                Deposit{account, "USD", amount}, std::nullopt);
            break;
          case 1:
            run(bus, id, "withdraw " + amount_text + " from " + account, 1,
                Withdraw{account, "USD", amount}, Debit{account, amount});
            break;
          default: {
            const std::string& to = accounts[(from + 1 + rng() % 2) % accounts.size()];
            run(bus, id, "transfer " + amount_text + " from " + account + " to " + to, 2,
                Transfer{account, to, "USD", amount, ""}, Debit{account, amount});
          }
        }
      }
      // Never affordable: every run has refusals for the checker to judge.
      const std::string& account = accounts[t % accounts.size()];
      run(bus, "t" + std::to_string(t) + "-broke", "withdraw 1000000 from " + account, 1,
          Withdraw{account, "USD", 1'000'000}, Debit{account, 1'000'000});
    });
  }
  for (std::thread& thread : threads) thread.join();

  const std::vector<lin::LoggedEvent> log = ReadLog(store_.get());
  const BalanceHistory balances(log);
  lin::DomainHooks hooks;
  hooks.refusal_justified_at = [&](const lin::Operation& op, uint64_t position) {
    if (op.error == "wrong_expected_version") return true;  // a conflict says nothing of state
    const Debit& debit = debits.at(op.command_id);
    return balances.UsdAt(debit.account, position) < debit.amount;
  };
  hooks.replay = ReplayAccount;
  Repository fresh(store_.get(), RepositoryOptions{.snapshot_dir = dir_ / "snaps"});
  for (const std::string& account : accounts) {
    const AccountState state = fresh.Load(Accounts(), account)->state;
    std::string text = state.owner;
    for (const auto& [currency, balance] : state.balances) {
      text += ";" + currency + "=" + std::to_string(balance);
      EXPECT_GE(balance, 0) << account;
    }
    hooks.observed_final_state["account-" + account] = text;
  }

  const std::vector<lin::Violation> violations = lin::Check(history, log, hooks);
  EXPECT_TRUE(violations.empty()) << lin::Describe(violations);
  size_t acknowledged = 0, overdrafts = 0;
  for (const lin::Operation& op : history) {
    acknowledged += op.outcome == lin::Outcome::kAcknowledged;
    overdrafts += op.error == "no-overdraft";
  }
  // The run exercised both answers, or it proved little.
  EXPECT_GT(acknowledged, history.size() / 3);
  EXPECT_GE(overdrafts, static_cast<size_t>(kThreads));
  RecordProperty("conflicts_retried",
                 std::to_string(buses[0]->Stats().conflicts + buses[1]->Stats().conflicts));
}

TEST_F(LinearizabilityTest, RawExpectedVersionAppendsAreLinearizable) {
  const std::vector<std::string> streams{"counter-x", "counter-y"};
  std::mutex mu;
  std::vector<lin::Operation> history;
  // Command id -> the stream and the version its append expected.
  std::map<std::string, std::pair<std::string, std::optional<uint64_t>>> expected;

  constexpr int kThreads = 8;
  constexpr int kOpsPerThread = 80;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(9100 + t);
      for (int i = 0; i < kOpsPerThread; ++i) {
        const std::string id = "raw" + std::to_string(t) + "-" + std::to_string(i);
        const std::string& stream = streams[rng() % streams.size()];
        lin::Operation op;
        op.command_id = id;
        op.invoked = Clock::now();
        // Read-modify-write: the event holds the count it makes, read from
        // the head and guarded by the expected version.
        const std::optional<StreamVersion> head = store_->StreamHead(stream);
        const uint64_t count = head ? head->value + 2 : 1;
        const EventData event{EventId::Random(), "Counted",
                              R"({"count":)" + std::to_string(count) + "}",
                              R"({"command_id":")" + id + R"("})"};
        op.request = "append count " + std::to_string(count) + " to " + stream;
        Result<AppendResult> r =
            store_->Append(stream, ExpectedVersion::FromCurrent(head), {&event, 1});
        op.returned = Clock::now();
        if (r.ok()) {
          op.outcome = lin::Outcome::kAcknowledged;
          op.acked_versions = {lin::AckedVersion{stream, r->next_expected_version.value}};
          op.acked_position = r->position.value;
        } else {
          op.outcome = lin::Outcome::kRefused;
          op.error = "wrong_expected_version";
          EXPECT_TRUE(r.status().IsWrongExpectedVersion()) << r.status();
        }
        std::lock_guard<std::mutex> lock(mu);
        expected[id] = {stream, head ? std::optional<uint64_t>(head->value) : std::nullopt};
        history.push_back(std::move(op));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  const std::vector<lin::LoggedEvent> log = ReadLog(store_.get());
  // Stream -> its version after each position.
  std::map<std::string, std::vector<std::pair<uint64_t, uint64_t>>> versions;
  for (const lin::LoggedEvent& e : log) versions[e.stream].emplace_back(e.position, e.version);
  lin::DomainHooks hooks;
  // A conflict is right if, at some instant of the call, the stream was not
  // at the version the append expected.
  hooks.refusal_justified_at = [&](const lin::Operation& op, uint64_t position) {
    const auto& [stream, wanted] = expected.at(op.command_id);
    std::optional<uint64_t> at;
    for (const auto& [p, version] : versions[stream]) {
      if (p > position) break;
      at = version;
    }
    return at != wanted;
  };
  // The count in the last event equals the number of events: no lost update.
  hooks.replay = [](const std::vector<lin::LoggedEvent>& events) {
    return events.empty() ? std::string("0") : events.back().data;
  };
  for (const std::string& stream : streams) {
    const std::optional<StreamVersion> head = store_->StreamHead(stream);
    hooks.observed_final_state[stream] =
        head ? R"({"count":)" + std::to_string(head->value + 1) + "}" : "0";
  }

  const std::vector<lin::Violation> violations = lin::Check(history, log, hooks);
  EXPECT_TRUE(violations.empty()) << lin::Describe(violations);
  size_t acknowledged = 0;
  for (const lin::Operation& op : history)
    acknowledged += op.outcome == lin::Outcome::kAcknowledged;
  EXPECT_EQ(acknowledged, log.size());  // exactly the acknowledged appends, nothing else
  RecordProperty("conflicts", std::to_string(history.size() - acknowledged));
}

}  // namespace
}  // namespace duet::examples::ledger
