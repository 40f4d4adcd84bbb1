// The ledger's document projections edit documents in place
// (DocumentTxn::GetForUpdate): a replay in one batch, where one transaction
// updates the same account many times, must give exactly what applying each
// event in its own transaction gives, in both document stores; and a failed
// event must leave no half-edit behind.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ledger/ledger.h"
#include "ledger/ledger_views.h"
#include "projection/apply.h"
#include "tests/examples/views_test_util.h"
#include "tests/support/temp_dir.h"

namespace duet::examples::ledger {
namespace {

using duet::testing::kDay0Us;
using duet::testing::kHourUs;
using Entries = std::vector<std::pair<std::string, std::string>>;

// A history over three accounts that touches each one many times, with
// transfers and a closure.
std::vector<RecordedEvent> History() {
  std::vector<AccountEvent> events{AccountOpened{"a1", "Ann"}, AccountOpened{"b1", "Bob"},
                                   AccountOpened{"c1", "Cy"}};
  for (int i = 1; i <= 20; ++i) {
    events.push_back(MoneyDeposited{"a1", i % 2 ? "EUR" : "USD", 100 + i});
    events.push_back(MoneyDeposited{"b1", "EUR", i});
    events.push_back(TransferDebited{"t" + std::to_string(i), "a1", "c1", "EUR", i});
    events.push_back(TransferCredited{"t" + std::to_string(i), "c1", "a1", "EUR", i});
    if (i % 5 == 0) events.push_back(MoneyWithdrawn{"b1", "EUR", 3});
  }
  events.push_back(AccountClosed{"b1"});
  std::vector<RecordedEvent> recorded;
  for (const AccountEvent& e : events) {
    const std::string account = std::visit([](const auto& x) { return x.account; }, e);
    recorded.push_back(testing::Recorded(AccountCodec(), e, "account-" + account,
                                         recorded.size() + 1, kDay0Us + 10 * kHourUs));
  }
  return recorded;
}

Entries EntriesOf(ReadStore& store) {
  Entries out;
  Status s = store.ForEachEntry(
      [&](std::string_view key, std::string_view content) { out.emplace_back(key, content); });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

std::unique_ptr<Projection> Named(const std::string& name) {
  for (std::unique_ptr<Projection>& p : LedgerProjections()) {
    if (p->info().name == name) return std::move(p);
  }
  return nullptr;
}

class LedgerReplayTest : public ::testing::TestWithParam<const char*> {
 protected:
  duet::testing::TempDir dir_;
};

TEST_P(LedgerReplayTest, OneBatchEqualsOneTransactionPerEvent) {
  const std::vector<RecordedEvent> history = History();
  std::unique_ptr<Projection> projection = Named(GetParam());
  ASSERT_NE(projection, nullptr);
  // Live: one transaction per event, as the runner does at the head.
  std::unique_ptr<DocumentStore> live = NewMemoryDocumentStore();
  for (const RecordedEvent& event : history) {
    auto txn = live->Begin();
    ASSERT_TRUE(txn.ok()) << txn.status();
    ASSERT_TRUE(projection->ApplyTo(event, **txn).ok()) << event.position.value;
    ASSERT_TRUE(live->Commit(std::move(*txn), event.position).ok());
  }
  // Replay: the whole history in one batch, into each document store.
  std::unique_ptr<DocumentStore> memory = NewMemoryDocumentStore();
  auto sqlite = OpenDocumentStore(dir_.path() / "doc");
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  projection::Applier applier(projection.get());
  for (DocumentStore* store : {memory.get(), sqlite->get()}) {
    auto batch = applier.ApplyBatch(*store, history);
    ASSERT_TRUE(batch.ok()) << batch.status();
    EXPECT_FALSE(batch->failure.has_value()) << batch->failure->error;
    EXPECT_EQ(store->checkpoint(), history.back().position);
  }
  const Entries expected = EntriesOf(*live);
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(EntriesOf(*memory), expected);
  EXPECT_EQ(EntriesOf(**sqlite), expected);
}

INSTANTIATE_TEST_SUITE_P(DocumentViews, LedgerReplayTest,
                         ::testing::Values(kAccountsView, kStatementView), [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// A batch whose third event fails (money on an account never opened): the
// edits the failed attempt made in place are discarded with its transaction,
// so the events before the failure count once.
TEST(LedgerReplayFailureTest, FailedEventLeavesNoHalfEditedAccount) {
  duet::testing::TempDir dir;
  std::unique_ptr<Projection> projection = Named(kAccountsView);
  projection::Applier applier(projection.get());
  auto event = [](const AccountEvent& e, uint64_t position) {
    const std::string account = std::visit([](const auto& x) { return x.account; }, e);
    return testing::Recorded(AccountCodec(), e, "account-" + account, position, kDay0Us);
  };
  auto sqlite = OpenDocumentStore(dir.path() / "doc");
  ASSERT_TRUE(sqlite.ok()) << sqlite.status();
  std::unique_ptr<DocumentStore> memory = NewMemoryDocumentStore();
  for (DocumentStore* store : {memory.get(), sqlite->get()}) {
    const std::vector<RecordedEvent> first{event(AccountOpened{"a1", "Ann"}, 1),
                                           event(MoneyDeposited{"a1", "EUR", 100}, 2)};
    ASSERT_TRUE(applier.ApplyBatch(*store, first).ok());
    const std::vector<RecordedEvent> second{
        event(MoneyDeposited{"a1", "EUR", 50}, 3), event(MoneyWithdrawn{"a1", "EUR", 30}, 4),
        event(MoneyDeposited{"ghost", "EUR", 1}, 5), event(MoneyDeposited{"a1", "EUR", 1000}, 6)};
    auto batch = applier.ApplyBatch(*store, second);
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_TRUE(batch->failure.has_value());
    EXPECT_EQ(batch->failure->position, GlobalPosition(5));
    EXPECT_EQ(store->checkpoint(), GlobalPosition(4));
    auto read = store->Get("a1");
    ASSERT_TRUE(read.ok() && read->doc.has_value()) << read.status();
    EXPECT_EQ(read->doc->at("balances"), (boost::json::object{{"EUR", 120}}));
  }
}

}  // namespace
}  // namespace duet::examples::ledger
