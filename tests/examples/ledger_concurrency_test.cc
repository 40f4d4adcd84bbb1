// The ledger under concurrent commands. Labelled "concurrency" so the TSan
// build runs it.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "duet/embedded_store.h"
#include "ledger/ledger.h"
#include "tests/support/temp_dir.h"

namespace duet::examples::ledger {
namespace {

class LedgerConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.durability.mode = Durability::Mode::kNone;
    store_ = EmbeddedStore::Open(dir_ / "data", options).value();
    BusOptions bus_options;
    bus_options.max_attempts = 20;
    bus_options.retry_backoff = std::chrono::microseconds(100);
    // Two buses with their own caches, as two writer processes would have.
    for (int i = 0; i < 2; ++i) {
      repos_.push_back(std::make_unique<Repository>(
          store_.get(), RepositoryOptions{.snapshot_dir = dir_ / "snaps", .snapshot_every = 16}));
      buses_.push_back(std::make_unique<CommandBus>(repos_.back().get(), bus_options));
      ASSERT_TRUE(Register(*buses_.back()).ok());
    }
  }

  std::vector<RecordedEvent> Read(const std::string& stream) {
    return store_->ReadStream(stream, StreamVersion(0), 100000, ReadDirection::kForward).value();
  }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
  std::vector<std::unique_ptr<Repository>> repos_;
  std::vector<std::unique_ptr<CommandBus>> buses_;
};

TEST_F(LedgerConcurrencyTest, TransfersConserveMoneyAndNeverOverdraw) {
  const std::vector<std::string> accounts{"a", "b", "c", "d"};
  const std::vector<std::string> currencies{"USD", "EUR"};
  std::map<std::string, int64_t> total;
  for (const auto& account : accounts) {
    ASSERT_TRUE(buses_[0]->Dispatch(OpenAccount{account, "owner"}).ok());
    ASSERT_TRUE(buses_[0]->Dispatch(Deposit{account, "USD", 1000}).ok());
    ASSERT_TRUE(buses_[0]->Dispatch(Deposit{account, "EUR", 300}).ok());
    total["USD"] += 1000;
    total["EUR"] += 300;
  }

  constexpr int kThreads = 6;
  constexpr int kTransfersPerThread = 120;
  std::vector<std::vector<std::string>> acknowledged(kThreads);
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);  // seeded: the same mix every run
      for (int i = 0; i < kTransfersPerThread; ++i) {
        const size_t from = rng() % accounts.size();
        const size_t to = (from + 1 + rng() % (accounts.size() - 1)) % accounts.size();
        const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        Transfer transfer{accounts[from], accounts[to], currencies[rng() % 2],
                          static_cast<int64_t>(1 + rng() % 400), ""};
        auto r = buses_[t % 2]->Dispatch(transfer, CommandOptions{.command_id = id});
        if (r.ok()) {
          acknowledged[t].push_back(id);
        } else if (r.status().subject() != "no-overdraft" && !r.status().IsWrongExpectedVersion()) {
          ADD_FAILURE() << r.status();
          ++unexpected;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_EQ(unexpected.load(), 0);

  // Replay every account from the log: no balance is ever negative, totals
  // are conserved, and every transfer has both legs.
  std::map<std::string, int64_t> sum;
  std::set<std::string> debits, credits;
  for (const auto& account : accounts) {
    AccountState state;
    for (const RecordedEvent& recorded : Read("account-" + account)) {
      auto event = AccountCodec().Decode(recorded.type, recorded.data);
      ASSERT_TRUE(event.ok()) << event.status();
      if (auto* d = std::get_if<TransferDebited>(&*event)) debits.insert(d->transfer);
      if (auto* c = std::get_if<TransferCredited>(&*event)) credits.insert(c->transfer);
      state = EvolveAccount(std::move(state), *event);
      for (const auto& [currency, balance] : state.balances) {
        ASSERT_GE(balance, 0) << account << " " << currency << " at v" << recorded.version.value;
      }
    }
    for (const auto& [currency, balance] : state.balances) sum[currency] += balance;
  }
  EXPECT_EQ(sum, total);
  EXPECT_EQ(debits, credits);
  std::set<std::string> acked;
  for (const auto& ids : acknowledged) acked.insert(ids.begin(), ids.end());
  EXPECT_EQ(debits, acked);  // every acknowledged transfer, and only those, is in the log
  EXPECT_GT(acked.size(), 0u);
  uint64_t conflicts = buses_[0]->Stats().conflicts + buses_[1]->Stats().conflicts;
  RecordProperty("conflicts_retried", std::to_string(conflicts));
  std::cout << "acknowledged " << acked.size() << " transfers, " << conflicts
            << " conflicts retried\n";
}

TEST_F(LedgerConcurrencyTest, ConcurrentWithdrawalsNeverOverdraw) {
  ASSERT_TRUE(buses_[0]->Dispatch(OpenAccount{"w", "owner"}).ok());
  ASSERT_TRUE(buses_[0]->Dispatch(Deposit{"w", "USD", 1000}).ok());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 20;  // 8 * 20 * 10 = 1600 > 1000 requested
  std::atomic<int> acknowledged{0}, overdrafts{0}, unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto r = buses_[t % 2]->Dispatch(Withdraw{"w", "USD", 10});
        if (r.ok()) {
          ++acknowledged;
        } else if (r.status().subject() == "no-overdraft") {
          ++overdrafts;
        } else if (!r.status().IsWrongExpectedVersion()) {
          ++unexpected;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(unexpected.load(), 0);
  EXPECT_LE(acknowledged.load() * 10, 1000);
  Repository fresh(store_.get(), RepositoryOptions{});
  const int64_t balance = fresh.Load(Accounts(), "w")->state.Balance("USD");
  EXPECT_EQ(balance, 1000 - acknowledged.load() * 10);
  // A withdrawal of 10 is refused for overdraft only once the balance is 0.
  if (overdrafts.load() > 0) {
    EXPECT_EQ(balance, 0);
  }
}

}  // namespace
}  // namespace duet::examples::ledger
