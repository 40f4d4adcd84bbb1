// The ledger's rules as Given(events) / When(command) / Then(events or error).
#include <gtest/gtest.h>

#include "ledger/ledger.h"
#include "tests/examples/command_check.h"

namespace duet::examples::ledger {
namespace {

using Events = std::vector<AccountEvent>;

template <typename Cmd>
Status Check(const Cmd& command) {
  return testing::CheckCommand<Register>(command);
}

Result<Events> When(const Events& given, AccountCommand command) {
  return DecideAfter(Accounts(), std::span<const AccountEvent>(given), command);
}

void ExpectRule(const Status& status, std::string_view rule) {
  EXPECT_TRUE(status.IsDomainRuleViolated()) << status;
  EXPECT_EQ(status.subject(), rule);
}

const Events kOpened{AccountOpened{"a", "Ann"}};
const Events kFunded{AccountOpened{"a", "Ann"}, MoneyDeposited{"a", "USD", 100}};
const Events kClosed{AccountOpened{"a", "Ann"}, AccountClosed{"a"}};

TEST(LedgerDeciderTest, OpenNewAccount) {
  EXPECT_EQ(*When({}, OpenAccount{"a", "Ann"}), (Events{AccountOpened{"a", "Ann"}}));
}

TEST(LedgerDeciderTest, OpenTwiceIsAlreadyOpen) {
  ExpectRule(When(kOpened, OpenAccount{"a", "Bob"}).status(), "account-already-open");
}

TEST(LedgerDeciderTest, ReopenClosedAccountIsClosed) {
  ExpectRule(When(kClosed, OpenAccount{"a", "Ann"}).status(), "account-closed");
}

TEST(LedgerDeciderTest, DepositCredits) {
  EXPECT_EQ(*When(kOpened, Deposit{"a", "EUR", 5}), (Events{MoneyDeposited{"a", "EUR", 5}}));
}

TEST(LedgerDeciderTest, DepositToUnknownAccountIsNotFound) {
  ExpectRule(When({}, Deposit{"a", "USD", 5}).status(), "account-not-found");
}

TEST(LedgerDeciderTest, DepositToClosedAccountIsClosed) {
  ExpectRule(When(kClosed, Deposit{"a", "USD", 5}).status(), "account-closed");
}

TEST(LedgerDeciderTest, DepositThatWouldOverflowIsRefused) {
  Events given{AccountOpened{"a", "Ann"}, MoneyDeposited{"a", "USD", INT64_MAX - 1}};
  ExpectRule(When(given, Deposit{"a", "USD", 2}).status(), "balance-overflow");
  EXPECT_TRUE(When(given, Deposit{"a", "USD", 1}).ok());
  EXPECT_TRUE(When(given, Deposit{"a", "EUR", 2}).ok());  // per currency
}

TEST(LedgerDeciderTest, WithdrawWholeBalance) {
  EXPECT_EQ(*When(kFunded, Withdraw{"a", "USD", 100}), (Events{MoneyWithdrawn{"a", "USD", 100}}));
}

TEST(LedgerDeciderTest, WithdrawMoreThanBalanceIsOverdraft) {
  ExpectRule(When(kFunded, Withdraw{"a", "USD", 101}).status(), "no-overdraft");
}

TEST(LedgerDeciderTest, BalanceInAnotherCurrencyDoesNotCount) {
  ExpectRule(When(kFunded, Withdraw{"a", "EUR", 1}).status(), "no-overdraft");
}

TEST(LedgerDeciderTest, WithdrawFromUnknownOrClosedAccount) {
  ExpectRule(When({}, Withdraw{"a", "USD", 1}).status(), "account-not-found");
  ExpectRule(When(kClosed, Withdraw{"a", "USD", 1}).status(), "account-closed");
}

TEST(LedgerDeciderTest, CloseWithZeroBalances) {
  Events given = kFunded;
  given.push_back(MoneyWithdrawn{"a", "USD", 100});
  EXPECT_EQ(*When(given, CloseAccount{"a"}), (Events{AccountClosed{"a"}}));
}

TEST(LedgerDeciderTest, CloseWithMoneyIsRefused) {
  ExpectRule(When(kFunded, CloseAccount{"a"}).status(), "balance-not-zero");
}

TEST(LedgerDeciderTest, CloseUnknownOrClosedAccount) {
  ExpectRule(When({}, CloseAccount{"a"}).status(), "account-not-found");
  ExpectRule(When(kClosed, CloseAccount{"a"}).status(), "account-closed");
}

TEST(LedgerDeciderTest, EvolveKeepsOneBalancePerCurrency) {
  Events history{AccountOpened{"a", "Ann"},
                 MoneyDeposited{"a", "USD", 100},
                 MoneyDeposited{"a", "EUR", 7},
                 MoneyWithdrawn{"a", "USD", 30},
                 TransferDebited{"t1", "a", "b", "EUR", 2},
                 TransferCredited{"t2", "a", "c", "USD", 5}};
  AccountState s = Fold(Accounts(), std::span<const AccountEvent>(history));
  EXPECT_EQ(s.phase, AccountState::Phase::kOpen);
  EXPECT_EQ(s.owner, "Ann");
  EXPECT_EQ(s.Balance("USD"), 75);
  EXPECT_EQ(s.Balance("EUR"), 5);
  EXPECT_EQ(s.Balance("GBP"), 0);
}

// --- Transfer: two aggregates ---

AccountState State(const Events& history) {
  return Fold(Accounts(), std::span<const AccountEvent>(history));
}

Transfer MakeTransfer(int64_t amount, std::string currency = "USD") {
  return Transfer{"a", "b", std::move(currency), amount, "t-1"};
}

const Events kB{AccountOpened{"b", "Bob"}};

TEST(LedgerTransferTest, DebitsSourceAndCreditsDestination) {
  auto d = DecideTransfer(MakeTransfer(60), State(kFunded), State(kB));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->debit, (TransferDebited{"t-1", "a", "b", "USD", 60}));
  EXPECT_EQ(d->credit, (TransferCredited{"t-1", "b", "a", "USD", 60}));
}

TEST(LedgerTransferTest, MoreThanSourceBalanceIsOverdraft) {
  ExpectRule(DecideTransfer(MakeTransfer(101), State(kFunded), State(kB)).status(), "no-overdraft");
}

TEST(LedgerTransferTest, UnknownSourceOrDestinationIsNotFound) {
  ExpectRule(DecideTransfer(MakeTransfer(1), State({}), State(kB)).status(), "account-not-found");
  ExpectRule(DecideTransfer(MakeTransfer(1), State(kFunded), State({})).status(),
             "account-not-found");
}

TEST(LedgerTransferTest, ClosedDestinationIsClosed) {
  Events closed_b{AccountOpened{"b", "Bob"}, AccountClosed{"b"}};
  ExpectRule(DecideTransfer(MakeTransfer(1), State(kFunded), State(closed_b)).status(),
             "account-closed");
}

TEST(LedgerTransferTest, DestinationOverflowIsRefused) {
  Events rich_b{AccountOpened{"b", "Bob"}, MoneyDeposited{"b", "USD", INT64_MAX}};
  ExpectRule(DecideTransfer(MakeTransfer(1), State(kFunded), State(rich_b)).status(),
             "balance-overflow");
}

TEST(LedgerTransferTest, TransferToSelfIsBadInput) {
  Transfer self{"a", "a", "USD", 1, "t"};
  auto d = DecideTransfer(self, State(kFunded), State(kFunded));
  EXPECT_TRUE(d.status().IsInvalidArgument());
  EXPECT_EQ(d.status().subject(), "to");
  EXPECT_EQ(Check(self).subject(), "to");
}

// --- Field rules ---

TEST(LedgerValidateTest, AmountMustBePositive) {
  EXPECT_EQ(Check(Deposit{"a", "USD", 0}).subject(), "amount");
  EXPECT_EQ(Check(Withdraw{"a", "USD", -5}).subject(), "amount");
  EXPECT_EQ(Check(Transfer{"a", "b", "USD", 0, ""}).subject(), "amount");
  EXPECT_TRUE(Check(Deposit{"a", "USD", 1}).ok());
}

TEST(LedgerValidateTest, CurrencyIsThreeUpperCaseLetters) {
  for (const char* bad : {"usd", "US", "USDX", "U$D", ""}) {
    EXPECT_EQ(Check(Deposit{"a", bad, 1}).subject(), "currency") << bad;
  }
}

TEST(LedgerValidateTest, IdsAndOwnerAreChecked) {
  EXPECT_EQ(Check(OpenAccount{"", "Ann"}).subject(), "account");
  EXPECT_EQ(Check(OpenAccount{"a b", "Ann"}).subject(), "account");
  EXPECT_EQ(Check(OpenAccount{"a", ""}).subject(), "owner");
  EXPECT_EQ(Check(OpenAccount{"a", std::string(201, 'x')}).subject(), "owner");
  EXPECT_EQ(Check(Transfer{"a", "b/c", "USD", 1, ""}).subject(), "to");
  EXPECT_EQ(Check(Transfer{"a", "b", "USD", 1, "bad id"}).subject(), "transfer");
  EXPECT_EQ(Check(CloseAccount{"x y"}).subject(), "account");
}

// --- Codecs ---

TEST(LedgerCodecTest, EveryEventRoundTrips) {
  Events all{AccountOpened{"a", "Ann"},
             MoneyDeposited{"a", "USD", 1},
             MoneyWithdrawn{"a", "EUR", 2},
             TransferDebited{"t", "a", "b", "USD", 3},
             TransferCredited{"t", "b", "a", "USD", 3},
             AccountClosed{"a"}};
  for (const AccountEvent& e : all) {
    auto back = AccountCodec().Decode(AccountCodec().Name(e), AccountCodec().EncodeData(e));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, e);
  }
  EXPECT_TRUE(AccountCodec().status().ok());
}

TEST(LedgerCodecTest, StateRoundTripsThroughTheSnapshotCodec) {
  AccountState s = State(
      {AccountOpened{"a", "Ann"}, MoneyDeposited{"a", "USD", 5}, MoneyDeposited{"a", "JPY", 9}});
  const StateCodec<AccountState>& codec = *Accounts().state_codec;
  auto object = ParseJsonObject(ToJsonText(codec.encode(s))).value();
  JsonReader fields(object);
  auto back = codec.decode(fields);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, s);
}

}  // namespace
}  // namespace duet::examples::ledger
