// The ledger through a command bus on a real embedded store.
#include <gtest/gtest.h>

#include "duet/embedded_store.h"
#include "ledger/ledger.h"
#include "orders/orders.h"
#include "tests/support/store_decorators.h"
#include "tests/support/temp_dir.h"

namespace duet::examples::ledger {
namespace {

class LedgerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.durability.mode = Durability::Mode::kNone;
    store_ = EmbeddedStore::Open(dir_ / "data", options).value();
    faults_ = std::make_unique<testing::FaultInjectingStore>(store_.get());
    repo_ = std::make_unique<Repository>(
        faults_.get(), RepositoryOptions{.snapshot_dir = dir_ / "data" / "snapshots"});
    BusOptions bus_options;
    bus_options.retry_backoff = std::chrono::microseconds(0);
    bus_ = std::make_unique<CommandBus>(repo_.get(), bus_options);
    ASSERT_TRUE(Register(*bus_).ok());
    ASSERT_TRUE(bus_->Dispatch(OpenAccount{"a", "Ann"}).ok());
    ASSERT_TRUE(bus_->Dispatch(OpenAccount{"b", "Bob"}).ok());
    ASSERT_TRUE(bus_->Dispatch(Deposit{"a", "USD", 100}).ok());
  }

  int64_t Balance(const std::string& account, const std::string& currency) {
    Repository fresh(store_.get(), RepositoryOptions{});
    return fresh.Load(Accounts(), account)->state.Balance(currency);
  }

  std::vector<RecordedEvent> Read(const std::string& stream) {
    return store_->ReadStream(stream, StreamVersion(0), 1000, ReadDirection::kForward).value();
  }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
  std::unique_ptr<testing::FaultInjectingStore> faults_;
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<CommandBus> bus_;
};

TEST_F(LedgerTest, RegistersEveryCommand) {
  EXPECT_EQ(
      bus_->CommandTypes(),
      (std::vector<std::string>{"CloseAccount", "Deposit", "OpenAccount", "Transfer", "Withdraw"}));
}

TEST_F(LedgerTest, BothExamplesShareOneBus) { EXPECT_TRUE(orders::Register(*bus_).ok()); }

TEST_F(LedgerTest, DepositAndWithdrawFromJson) {
  ASSERT_TRUE(bus_->Dispatch("Deposit", R"({"account":"a","currency":"EUR","amount":30})").ok());
  auto r = bus_->Dispatch("Withdraw", R"({"account":"a","currency":"EUR","amount":10})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream, "account-a");
  EXPECT_EQ(r->version, StreamVersion(3));
  EXPECT_EQ(Balance("a", "EUR"), 20);
  EXPECT_EQ(Balance("a", "USD"), 100);
}

TEST_F(LedgerTest, BadJsonInputNamesTheField) {
  const GlobalPosition head = store_->HeadPosition();
  struct Case {
    const char* type;
    const char* body;
    const char* field;
  } cases[] = {
      {"Deposit", R"({"account":"a","currency":"USD"})", "amount"},
      {"Deposit", R"({"account":"a","currency":"USD","amount":"5"})", "amount"},
      {"Deposit", R"({"account":"a","currency":"USD","amount":1.5})", "amount"},
      {"Deposit", R"({"account":"a","currency":"USD","amount":-5})", "amount"},
      {"Deposit", R"({"account":"a","currency":"USD","amount":0})", "amount"},
      {"Deposit", R"({"account":"a","currency":"usd","amount":5})", "currency"},
      {"Deposit", R"({"account":"a","currency":"US","amount":5})", "currency"},
      {"Deposit", R"({"account":7,"currency":"USD","amount":5})", "account"},
      {"Deposit", R"({"account":"a","currency":"USD","amount":5,"memo":"x"})", "memo"},
      {"Withdraw", R"({"account":"","currency":"USD","amount":5})", "account"},
      {"OpenAccount", R"({"account":"c"})", "owner"},
      {"Transfer", R"({"from":"a","to":"a","currency":"USD","amount":5})", "to"},
      {"Transfer", R"({"from":"a","currency":"USD","amount":5})", "to"},
      {"Transfer", R"({"from":"a","to":"b","currency":"USD","amount":5,"transfer":3})", "transfer"},
      {"Deposit", R"([1])", "body"},
      {"Deposit", R"({"account":)", "body"},
  };
  for (const Case& c : cases) {
    auto r = bus_->Dispatch(c.type, c.body);
    EXPECT_TRUE(r.status().IsInvalidArgument()) << c.body << ": " << r.status();
    EXPECT_EQ(r.status().subject(), c.field) << c.body;
  }
  EXPECT_EQ(store_->HeadPosition(), head);  // bad input never reaches the log
}

TEST_F(LedgerTest, DomainErrorsAppendNothing) {
  const GlobalPosition head = store_->HeadPosition();
  EXPECT_EQ(bus_->Dispatch(Withdraw{"a", "USD", 101}).status().subject(), "no-overdraft");
  EXPECT_EQ(bus_->Dispatch(Deposit{"zed", "USD", 1}).status().subject(), "account-not-found");
  EXPECT_EQ(bus_->Dispatch(OpenAccount{"a", "Ann"}).status().subject(), "account-already-open");
  EXPECT_EQ(bus_->Dispatch(CloseAccount{"a"}).status().subject(), "balance-not-zero");
  EXPECT_EQ(store_->HeadPosition(), head);
}

TEST_F(LedgerTest, CloseThenEverythingIsRefused) {
  ASSERT_TRUE(bus_->Dispatch(CloseAccount{"b"}).ok());
  EXPECT_EQ(bus_->Dispatch(Deposit{"b", "USD", 1}).status().subject(), "account-closed");
  EXPECT_EQ(bus_->Dispatch(Transfer{"a", "b", "USD", 1, ""}).status().subject(), "account-closed");
}

TEST_F(LedgerTest, TransferCommitsBothLegsInOneCommit) {
  auto r = bus_->Dispatch(Transfer{"a", "b", "USD", 60, ""}, CommandOptions{.command_id = "tx-1"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream, "account-a");
  EXPECT_EQ(r->streams, (std::vector<StreamRevision>{{"account-a", StreamVersion(2)},
                                                     {"account-b", StreamVersion(1)}}));
  const RecordedEvent debit = Read("account-a").back();
  const RecordedEvent credit = Read("account-b").back();
  const RecordedEvent record = Read("$command-tx-1").at(0);
  EXPECT_EQ(debit.type, "TransferDebited");
  EXPECT_EQ(credit.type, "TransferCredited");
  // One commit: consecutive positions, the idempotency record last.
  EXPECT_EQ(credit.position.value, debit.position.value + 1);
  EXPECT_EQ(record.position.value, credit.position.value + 1);
  EXPECT_EQ(r->position, record.position);
  // The transfer id defaults to the command id, on both legs.
  auto d = AccountCodec().Decode(debit.type, debit.data).value();
  auto c = AccountCodec().Decode(credit.type, credit.data).value();
  EXPECT_EQ(std::get<TransferDebited>(d).transfer, "tx-1");
  EXPECT_EQ(std::get<TransferCredited>(c).transfer, "tx-1");
  EXPECT_EQ(Balance("a", "USD"), 40);
  EXPECT_EQ(Balance("b", "USD"), 60);
}

TEST_F(LedgerTest, TransferRefusedAppendsNeitherLeg) {
  const GlobalPosition head = store_->HeadPosition();
  EXPECT_EQ(bus_->Dispatch(Transfer{"a", "b", "USD", 101, ""}).status().subject(), "no-overdraft");
  EXPECT_EQ(bus_->Dispatch(Transfer{"a", "nobody", "USD", 1, ""}).status().subject(),
            "account-not-found");
  EXPECT_EQ(store_->HeadPosition(), head);
}

TEST_F(LedgerTest, TransferFailingInStorageWritesNeitherLeg) {
  const GlobalPosition head = store_->HeadPosition();
  faults_->FailAppends(1, Status::IOError("injected"));
  EXPECT_TRUE(bus_->Dispatch(Transfer{"a", "b", "USD", 10, ""}).status().IsIOError());
  EXPECT_EQ(store_->HeadPosition(), head);
  EXPECT_EQ(Balance("a", "USD"), 100);
}

TEST_F(LedgerTest, TransferConflictIsRetriedOnFreshBalances) {
  // A racing withdrawal lands on the source between load and append.
  faults_->InjectConflicts(1, [](const std::string& stream) {
    EXPECT_EQ(stream, "account-a");
    return EventData{EventId::Random(), "MoneyWithdrawn",
                     R"({"account":"a","currency":"USD","amount":50})", "{}"};
  });
  EXPECT_EQ(bus_->Dispatch(Transfer{"a", "b", "USD", 60, ""}).status().subject(),
            "no-overdraft");  // re-decided on 50, not the stale 100
  auto r = bus_->Dispatch(Transfer{"a", "b", "USD", 50, ""});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Balance("a", "USD"), 0);
  EXPECT_EQ(Balance("b", "USD"), 50);
}

TEST_F(LedgerTest, SameTransferIdTwiceMovesMoneyOnce) {
  CommandOptions options{.command_id = "tx-9"};
  auto first = bus_->Dispatch(Transfer{"a", "b", "USD", 30, ""}, options);
  auto second = bus_->Dispatch(Transfer{"a", "b", "USD", 30, ""}, options);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->streams, first->streams);
  EXPECT_EQ(Balance("a", "USD"), 70);
  EXPECT_EQ(Balance("b", "USD"), 30);
}

TEST_F(LedgerTest, AccountsAreSnapshotted) {
  RepositoryOptions options{.snapshot_dir = dir_ / "snaps", .snapshot_every = 5};
  Repository repo(store_.get(), options);
  CommandBus bus(&repo);
  ASSERT_TRUE(Register(bus).ok());
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(bus.Dispatch(Deposit{"a", "GBP", 1}).ok());
  EXPECT_GE(repo.Stats().snapshots_written, 1u);
  Repository fresh(store_.get(), options);
  auto loaded = fresh.Load(Accounts(), "a");
  EXPECT_EQ(fresh.Stats().snapshots_loaded, 1u);
  EXPECT_EQ(loaded->state.Balance("GBP"), 6);
  EXPECT_EQ(loaded->state.Balance("USD"), 100);
}

}  // namespace
}  // namespace duet::examples::ledger
