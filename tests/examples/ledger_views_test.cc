// The ledger's projections and queries, with events applied straight into
// the stores (positions and timestamps chosen here) and queries through a
// real QueryBus.
#include "ledger/ledger_views.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "ledger/ledger.h"
#include "tests/examples/views_test_util.h"
#include "tests/support/temp_dir.h"

namespace duet::examples::ledger {
namespace {

namespace json = boost::json;
using duet::testing::kDay0Us;
using duet::testing::kDayUs;
using duet::testing::kHourUs;

class LedgerViewsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(RegisterLedgerQueries(side_.bus()).ok()); }

  // Applies `event` at the next position, `at_us` (default: day 0, 10:00).
  void Given(const AccountEvent& event, int64_t at_us = kDay0Us + 10 * kHourUs) {
    const std::string account = std::visit([](const auto& e) { return e.account; }, event);
    Status s = side_.Apply(
        testing::Recorded(AccountCodec(), event, "account-" + account, ++position_, at_us));
    ASSERT_TRUE(s.ok()) << s;
  }

  std::string BadParam(const std::string& query, json::object params) {
    auto answer = side_.Query(query, std::move(params));
    if (answer.ok()) return "<ok>";
    if (!answer.status().IsInvalidArgument()) return answer.status().ToString();
    return answer.status().subject();
  }

  duet::testing::TempDir dir_;
  duet::testing::DirectReadSide side_{LedgerProjections(), dir_.path()};
  uint64_t position_ = 0;
};

TEST_F(LedgerViewsTest, ProjectionNamesAndStores) {
  std::vector<std::string> names;
  for (const auto& p : LedgerProjections()) {
    names.push_back(p->info().name);
    EXPECT_TRUE(ValidateProjectionInfo(p->info()).ok()) << p->info().name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"ledger-accounts", "ledger-statement", "ledger-search",
                                             "ledger-volume"}));
  EXPECT_TRUE(side_.open_errors().empty()) << side_.open_errors().front();
}

TEST_F(LedgerViewsTest, BalancePerCurrency) {
  Given(AccountOpened{"a1", "Ann"});
  Given(AccountOpened{"b1", "Bob"});
  Given(MoneyDeposited{"a1", "EUR", 500});
  Given(MoneyDeposited{"a1", "USD", 70});
  Given(MoneyWithdrawn{"a1", "EUR", 120});
  Given(TransferDebited{"t1", "a1", "b1", "EUR", 80});
  Given(TransferCredited{"t1", "b1", "a1", "EUR", 80});
  EXPECT_EQ(side_.Ask("balance", {{"account", "a1"}}),
            json::parse(R"({"account":"a1","owner":"Ann","status":"open",
                            "balances":{"EUR":300,"USD":70}})"));
  EXPECT_EQ(side_.Ask("balance", {{"account", "b1"}}).at("balances"), json::parse(R"({"EUR":80})"));
  Given(MoneyWithdrawn{"b1", "EUR", 80});
  Given(AccountClosed{"b1"});
  EXPECT_EQ(side_.Ask("balance", {{"account", "b1"}}),
            json::parse(R"({"account":"b1","owner":"Bob","status":"closed",
                            "balances":{"EUR":0}})"));
}

TEST_F(LedgerViewsTest, AnswerPositionIsTheStoresCheckpoint) {
  Given(AccountOpened{"a1", "Ann"});
  Given(MoneyDeposited{"a1", "EUR", 5});
  auto answer = side_.Query("balance", {{"account", "a1"}});
  ASSERT_TRUE(answer.ok());
  EXPECT_EQ(answer->position, GlobalPosition(2));
  EXPECT_EQ(answer->read_model, "ledger-accounts");
}

TEST_F(LedgerViewsTest, UnknownAccountIsNotFound) {
  Given(AccountOpened{"a1", "Ann"});
  for (const char* query : {"balance", "statement"}) {
    auto answer = side_.Query(query, {{"account", "zz"}});
    EXPECT_TRUE(answer.status().IsNotFound()) << query;
    EXPECT_EQ(answer.status().subject(), "account") << query;
  }
}

TEST_F(LedgerViewsTest, MoneyOnAnAccountNeverOpenedFailsTheProjection) {
  Status s =
      side_.Apply(testing::Recorded(AccountCodec(), AccountEvent(MoneyDeposited{"ghost", "EUR", 1}),
                                    "account-ghost", 1, kDay0Us));
  EXPECT_TRUE(s.IsNotFound()) << s;
  EXPECT_EQ(side_.store("ledger-accounts").checkpoint(), kNoPosition);  // nothing committed
}

TEST_F(LedgerViewsTest, UndecodableEventIsAnError) {
  RecordedEvent bad;
  bad.stream = "account-a1";
  bad.position = GlobalPosition(1);
  bad.type = "MoneyDeposited";
  bad.data = R"({"account":"a1","currency":"EUR","amount":"lots"})";
  Status s = side_.Apply(bad);
  EXPECT_TRUE(s.IsInvalidArgument()) << s;
  EXPECT_EQ(s.subject(), "amount");
}

TEST_F(LedgerViewsTest, AccountsByOwnerInPages) {
  for (const char* id : {"a5", "a3", "a1", "a4", "a2"}) Given(AccountOpened{id, "Ann"});
  Given(AccountOpened{"b1", "Bob"});
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    json::object params{{"owner", "Ann"}, {"limit", 2}};
    if (!cursor.empty()) params["cursor"] = cursor;
    json::value page = side_.Ask("accounts", params);
    ASSERT_TRUE(page.is_object());
    for (const auto& item : page.at("items").as_array()) {
      seen.emplace_back(item.at("account").as_string());
      EXPECT_EQ(item.at("owner"), "Ann");
    }
    const json::value* next = page.as_object().if_contains("next_cursor");
    cursor = next ? std::string(next->as_string()) : "";
    ++pages;
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"a1", "a2", "a3", "a4", "a5"}));
  EXPECT_EQ(side_.Ask("accounts", {}).at("items").as_array().size(), 6u);
  EXPECT_FALSE(side_.Ask("accounts", {}).as_object().contains("next_cursor"));
  EXPECT_TRUE(side_.Ask("accounts", {{"owner", "Nobody"}}).at("items").as_array().empty());
}

TEST_F(LedgerViewsTest, StatementOldestFirstInPages) {
  Given(AccountOpened{"a1", "Ann"});
  Given(AccountOpened{"b1", "Bob"});
  Given(MoneyDeposited{"a1", "EUR", 500}, kDay0Us + 1);               // 3
  Given(MoneyWithdrawn{"a1", "EUR", 20}, kDay0Us + 2);                // 4
  Given(TransferDebited{"t1", "a1", "b1", "EUR", 30}, kDay0Us + 3);   // 5
  Given(TransferCredited{"t1", "b1", "a1", "EUR", 30}, kDay0Us + 3);  // 6
  Given(TransferDebited{"t2", "b1", "a1", "EUR", 5}, kDay0Us + 4);    // 7
  Given(TransferCredited{"t2", "a1", "b1", "EUR", 5}, kDay0Us + 4);   // 8
  json::value first = side_.Ask("statement", {{"account", "a1"}, {"limit", 3}});
  EXPECT_EQ(first.at("account"), "a1");
  EXPECT_EQ(first.at("entries"), json::parse(R"([
    {"position":3,"kind":"deposit","currency":"EUR","amount":500,"counterparty":null,
     "transfer":null,"timestamp":"2026-11-23T00:00:00.000001Z"},
    {"position":4,"kind":"withdrawal","currency":"EUR","amount":-20,"counterparty":null,
     "transfer":null,"timestamp":"2026-11-23T00:00:00.000002Z"},
    {"position":5,"kind":"transfer-debit","currency":"EUR","amount":-30,"counterparty":"b1",
     "transfer":"t1","timestamp":"2026-11-23T00:00:00.000003Z"}])"));
  ASSERT_TRUE(first.as_object().contains("next_cursor"));
  json::value second = side_.Ask(
      "statement", {{"account", "a1"}, {"limit", 3}, {"cursor", first.at("next_cursor")}});
  EXPECT_EQ(second.at("entries"), json::parse(R"([
    {"position":8,"kind":"transfer-credit","currency":"EUR","amount":5,"counterparty":"b1",
     "transfer":"t2","timestamp":"2026-11-23T00:00:00.000004Z"}])"));
  EXPECT_FALSE(second.as_object().contains("next_cursor"));
  // An account opened without movements has an empty statement, not NotFound.
  Given(AccountOpened{"c1", "Cy"});
  EXPECT_TRUE(side_.Ask("statement", {{"account", "c1"}}).at("entries").as_array().empty());
}

TEST_F(LedgerViewsTest, BadCursorAndLimit) {
  Given(AccountOpened{"a1", "Ann"});
  EXPECT_EQ(BadParam("accounts", {{"cursor", "not-a-cursor"}}), "cursor");
  EXPECT_EQ(BadParam("statement", {{"account", "a1"}, {"cursor", "AAAA"}}), "cursor");
  EXPECT_EQ(BadParam("accounts", {{"limit", 0}}), "limit");
  EXPECT_EQ(BadParam("statement", {{"account", "a1"}, {"limit", 1001}}), "limit");
  EXPECT_EQ(BadParam("balance", {}), "account");
  EXPECT_EQ(BadParam("balance", {{"account", 12}}), "account");
  EXPECT_EQ(BadParam("balance", {{"account", "a1"}, {"currency", "EUR"}}), "currency");
  EXPECT_EQ(BadParam("statement", {{"account", std::string(129, 'a')}}), "account");
}

TEST_F(LedgerViewsTest, VolumePerDayAndHour) {
  Given(AccountOpened{"a1", "Ann"});
  Given(AccountOpened{"b1", "Bob"});
  Given(MoneyDeposited{"a1", "EUR", 100}, kDay0Us + 1 * kHourUs);
  Given(MoneyDeposited{"a1", "EUR", 300}, kDay0Us + 2 * kHourUs + 5);
  Given(MoneyWithdrawn{"a1", "EUR", 50}, kDay0Us + 2 * kHourUs + 9);
  Given(TransferDebited{"t1", "a1", "b1", "EUR", 40}, kDayUs + kDay0Us + 3);
  Given(TransferCredited{"t1", "b1", "a1", "EUR", 40}, kDayUs + kDay0Us + 3);
  Given(MoneyDeposited{"b1", "USD", 7}, kDay0Us + 1);
  EXPECT_EQ(side_.Ask("volume", {{"currency", "EUR"}, {"bucket", "day"}}), json::parse(R"({
    "currency":"EUR","bucket":"day","rows":[
      {"bucket_start":"2026-11-23T00:00:00Z","count":3,"sum":450,"min":50,"max":300},
      {"bucket_start":"2026-11-24T00:00:00Z","count":1,"sum":40,"min":40,"max":40}]})"));
  EXPECT_EQ(side_.Ask("volume", {{"currency", "EUR"}, {"bucket", "hour"}, {"kind", "deposit"}})
                .at("rows"),
            json::parse(R"([
      {"bucket_start":"2026-11-23T01:00:00Z","count":1,"sum":100,"min":100,"max":100},
      {"bucket_start":"2026-11-23T02:00:00Z","count":1,"sum":300,"min":300,"max":300}])"));
  EXPECT_TRUE(
      side_.Ask("volume", {{"currency", "GBP"}, {"bucket", "day"}}).at("rows").as_array().empty());
  EXPECT_EQ(BadParam("volume", {{"currency", "EUR"}, {"bucket", "week"}}), "bucket");
  EXPECT_EQ(BadParam("volume", {{"currency", "EUR"}}), "bucket");
  EXPECT_EQ(BadParam("volume", {{"currency", "eur"}, {"bucket", "day"}}), "currency");
  EXPECT_EQ(BadParam("volume", {{"currency", "EUR"}, {"bucket", "day"}, {"kind", "fee"}}), "kind");
}

TEST_F(LedgerViewsTest, SearchAccountsByPrefixAndStatus) {
  Given(AccountOpened{"acc-1", "Alice Martin"});
  Given(AccountOpened{"acc-2", "Alan Turing"});
  Given(AccountOpened{"acc-3", "Bob Alison"});
  Given(AccountClosed{"acc-2"});
  auto ids = [&](json::object params) {
    std::set<std::string> out;
    json::value answer = side_.Ask("search-accounts", std::move(params));
    if (!answer.is_object()) return out;
    for (const auto& hit : answer.at("hits").as_array()) {
      out.emplace(hit.at("account").as_string());
    }
    return out;
  };
  EXPECT_EQ(ids({{"q", "ali"}}), (std::set<std::string>{"acc-1", "acc-3"}));
  EXPECT_EQ(ids({{"q", "al"}}), (std::set<std::string>{"acc-1", "acc-2", "acc-3"}));
  EXPECT_EQ(ids({{"q", "al"}, {"status", "closed"}}), (std::set<std::string>{"acc-2"}));
  EXPECT_EQ(ids({{"q", "turing"}, {"status", "open"}}), (std::set<std::string>{}));
  json::value hit = side_.Ask("search-accounts", {{"q", "turing"}});
  EXPECT_EQ(hit.at("hits").at(0).at("status"), "closed");
  EXPECT_EQ(hit.at("hits").at(0).at("owner"), "Alan Turing");
  EXPECT_EQ(BadParam("search-accounts", {{"q", "a"}, {"status", "gone"}}), "status");
  EXPECT_EQ(BadParam("search-accounts", {}), "q");
  EXPECT_EQ(BadParam("search-accounts", {{"q", "a"}, {"limit", 0}}), "limit");
}

}  // namespace
}  // namespace duet::examples::ledger
