// Both examples' read sides on the real stack: an embedded store and a
// command bus with both domains, the projection engine with persistent read
// stores, and a query bus with every example query. Each query passes the
// position its command returned as min_position (read-your-writes).
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "duet/command_bus.h"
#include "duet/embedded_store.h"
#include "duet/projection_engine.h"
#include "duet/query_bus.h"
#include "duet/repository.h"
#include "ledger/ledger.h"
#include "ledger/ledger_views.h"
#include "orders/orders.h"
#include "orders/orders_views.h"
#include "tests/support/temp_dir.h"

namespace duet::examples {
namespace {

namespace json = boost::json;
using ledger::OpenAccount;
using orders::Item;

class ReadSideTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    StoreOptions options;
    options.durability.mode = Durability::Mode::kNone;
    store_ = EmbeddedStore::Open(dir_ / "data", options).value();
    repo_ = std::make_unique<Repository>(
        store_.get(), RepositoryOptions{.snapshot_dir = dir_ / "data" / "snapshots"});
    commands_ = std::make_unique<CommandBus>(repo_.get());
    ASSERT_TRUE(ledger::Register(*commands_).ok());
    ASSERT_TRUE(orders::Register(*commands_).ok());
    auto engine = ProjectionEngine::Open(store_.get(), dir_ / "data" / "readstores");
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(engine).value();
    for (auto* make : {&ledger::LedgerProjections, &orders::OrdersProjections}) {
      for (std::unique_ptr<Projection>& projection : make()) {
        const std::string name = projection->info().name;
        Status added = engine_->Add(std::move(projection));
        ASSERT_TRUE(added.ok()) << name << ": " << added;
      }
    }
    queries_ = std::make_unique<QueryBus>(engine_.get());
    ASSERT_TRUE(ledger::RegisterLedgerQueries(*queries_).ok());
    ASSERT_TRUE(orders::RegisterOrdersQueries(*queries_).ok());
  }

  void Close() {
    queries_.reset();
    engine_.reset();
    commands_.reset();
    repo_.reset();
    store_.reset();
  }

  // Dispatches and returns the commit's position (the test's last write).
  template <typename Cmd>
  GlobalPosition Do(const Cmd& command) {
    auto result = commands_->Dispatch(command);
    EXPECT_TRUE(result.ok()) << result.status();
    if (result.ok()) last_ = result->position;
    return last_;
  }

  // Answers at or after the last write, or fails the test.
  json::value Ask(const std::string& name, json::object params) {
    auto answer = Query(name, std::move(params));
    EXPECT_TRUE(answer.ok()) << name << ": " << answer.status() << Why(answer.status());
    if (!answer.ok()) return nullptr;
    EXPECT_GE(answer->position, last_) << name;
    return answer->result;
  }
  // For a "not yet": the state of the projection, which says why (failed at
  // an event, with the error).
  std::string Why(const Status& status) {
    if (!status.IsTimeout()) return "";
    auto projection = engine_->StatusOf(status.subject());
    if (!projection.ok()) return "";
    return " (" + std::string(ProjectionStateName(projection->state)) + ": " + projection->error +
           ")";
  }
  Result<QueryAnswer> Query(const std::string& name, json::object params) {
    return queries_->Execute(QueryRequest{name, std::move(params), last_, QueryBus::kMaxWait});
  }
  std::string BadParam(const std::string& name, json::object params) {
    auto answer = Query(name, std::move(params));
    if (answer.ok()) return "<ok>";
    if (!answer.status().IsInvalidArgument()) return answer.status().ToString();
    return answer.status().subject();
  }

  // Every page of a paged query, following next_cursor; `field` of each item.
  std::vector<std::string> AllPages(const std::string& name, json::object params, const char* items,
                                    const char* field, int* pages) {
    std::vector<std::string> out;
    *pages = 0;
    std::string cursor;
    do {
      json::object p = params;
      if (!cursor.empty()) p["cursor"] = cursor;
      json::value page = Ask(name, p);
      if (!page.is_object() || ++*pages > 100) break;
      for (const auto& item : page.at(items).as_array()) {
        const json::value& v = item.at(field);
        out.push_back(v.is_string() ? std::string(v.as_string()) : json::serialize(v));
      }
      const json::value* next = page.as_object().if_contains("next_cursor");
      cursor = next != nullptr ? std::string(next->as_string()) : "";
    } while (!cursor.empty());
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<CommandBus> commands_;
  std::unique_ptr<ProjectionEngine> engine_;
  std::unique_ptr<QueryBus> queries_;
  GlobalPosition last_;
};

// ------------------------------------------------------------------- ledger

TEST_F(ReadSideTest, LedgerBalancesAfterDepositsWithdrawalsAndTransfers) {
  Do(OpenAccount{"a1", "Ann"});
  Do(OpenAccount{"b1", "Bob"});
  Do(ledger::Deposit{"a1", "EUR", 1000});
  Do(ledger::Deposit{"a1", "USD", 50});
  Do(ledger::Withdraw{"a1", "EUR", 250});
  EXPECT_EQ(Ask("balance", {{"account", "a1"}}).at("balances"),
            json::parse(R"({"EUR":750,"USD":50})"));
  Do(ledger::Transfer{"a1", "b1", "EUR", 300, "t-1"});
  EXPECT_EQ(Ask("balance", {{"account", "a1"}}).at("balances"),
            json::parse(R"({"EUR":450,"USD":50})"));
  EXPECT_EQ(Ask("balance", {{"account", "b1"}}).at("balances"), json::parse(R"({"EUR":300})"));
  Do(ledger::Transfer{"b1", "a1", "EUR", 300, "t-2"});
  Do(ledger::CloseAccount{"b1"});
  EXPECT_EQ(
      Ask("balance", {{"account", "b1"}}),
      json::parse(R"({"account":"b1","owner":"Bob","status":"closed","balances":{"EUR":0}})"));
  auto unknown = Query("balance", {{"account", "zz"}});
  EXPECT_TRUE(unknown.status().IsNotFound());
  EXPECT_EQ(unknown.status().subject(), "account");
}

TEST_F(ReadSideTest, LedgerAccountsByOwnerAcrossPages) {
  for (int i = 0; i < 7; ++i) Do(OpenAccount{"ann-" + std::to_string(i), "Ann"});
  Do(OpenAccount{"bob-0", "Bob"});
  int pages = 0;
  EXPECT_EQ(
      AllPages("accounts", {{"owner", "Ann"}, {"limit", 3}}, "items", "account", &pages),
      (std::vector<std::string>{"ann-0", "ann-1", "ann-2", "ann-3", "ann-4", "ann-5", "ann-6"}));
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(AllPages("accounts", {{"limit", "2"}}, "items", "account", &pages).size(), 8u);
  EXPECT_EQ(pages, 4);
  EXPECT_EQ(BadParam("accounts", {{"cursor", "bogus"}}), "cursor");
  EXPECT_EQ(BadParam("accounts", {{"limit", 0}}), "limit");
  EXPECT_EQ(BadParam("accounts", {{"limit", 1001}}), "limit");
  EXPECT_EQ(BadParam("accounts", {{"owner", 5}}), "owner");
}

TEST_F(ReadSideTest, LedgerStatementPages) {
  Do(OpenAccount{"a1", "Ann"});
  Do(OpenAccount{"b1", "Bob"});
  for (int i = 1; i <= 4; ++i) Do(ledger::Deposit{"a1", "EUR", i * 100});
  Do(ledger::Withdraw{"a1", "EUR", 50});
  Do(ledger::Transfer{"a1", "b1", "EUR", 25, "t-9"});
  int pages = 0;
  EXPECT_EQ(AllPages("statement", {{"account", "a1"}, {"limit", 2}}, "entries", "amount", &pages),
            (std::vector<std::string>{"100", "200", "300", "400", "-50", "-25"}));
  EXPECT_EQ(pages, 3);
  json::value b1 = Ask("statement", {{"account", "b1"}});
  ASSERT_EQ(b1.at("entries").as_array().size(), 1u);
  const json::value& credit = b1.at("entries").at(0);
  EXPECT_EQ(credit.at("kind"), "transfer-credit");
  EXPECT_EQ(credit.at("counterparty"), "a1");
  EXPECT_EQ(credit.at("transfer"), "t-9");
  EXPECT_EQ(credit.at("position").to_number<uint64_t>(), last_.value);
  EXPECT_TRUE(Query("statement", {{"account", "zz"}}).status().IsNotFound());
  EXPECT_EQ(BadParam("statement", {}), "account");
  EXPECT_EQ(BadParam("statement", {{"account", "a1"}, {"limit", 1001}}), "limit");
}

TEST_F(ReadSideTest, LedgerSearchByPrefixAndStatus) {
  Do(OpenAccount{"acc-1", "Alice Martin"});
  Do(OpenAccount{"acc-2", "Alan Turing"});
  Do(OpenAccount{"acc-3", "Bob Stone"});
  Do(ledger::CloseAccount{"acc-2"});
  auto ids = [&](json::object params) {
    json::value answer = Ask("search-accounts", std::move(params));
    std::set<std::string> out;
    if (!answer.is_object()) return out;
    for (const auto& hit : answer.at("hits").as_array()) out.emplace(hit.at("account").as_string());
    return out;
  };
  EXPECT_EQ(ids({{"q", "al"}}), (std::set<std::string>{"acc-1", "acc-2"}));
  EXPECT_EQ(ids({{"q", "al"}, {"status", "open"}}), (std::set<std::string>{"acc-1"}));
  EXPECT_EQ(ids({{"q", "stone"}}), (std::set<std::string>{"acc-3"}));
  EXPECT_EQ(BadParam("search-accounts", {{"q", "al"}, {"status", "frozen"}}), "status");
  EXPECT_EQ(BadParam("search-accounts", {{"q", ""}}), "q");
}

TEST_F(ReadSideTest, LedgerVolumePerDay) {
  Do(OpenAccount{"a1", "Ann"});
  Do(OpenAccount{"b1", "Bob"});
  Do(ledger::Deposit{"a1", "EUR", 400});
  Do(ledger::Deposit{"a1", "EUR", 100});
  Do(ledger::Withdraw{"a1", "EUR", 30});
  Do(ledger::Transfer{"a1", "b1", "EUR", 20, "t-1"});
  Do(ledger::Deposit{"b1", "USD", 9});
  // Wall-clock timestamps: every row is a whole day; the totals are exact
  // however the events fall across midnight.
  json::value volume = Ask("volume", {{"currency", "EUR"}, {"bucket", "day"}});
  int64_t count = 0, sum = 0;
  for (const auto& row : volume.at("rows").as_array()) {
    EXPECT_TRUE(std::string(row.at("bucket_start").as_string()).ends_with("T00:00:00Z"));
    count += row.at("count").as_int64();
    sum += row.at("sum").as_int64();
  }
  EXPECT_EQ(count, 4);
  EXPECT_EQ(sum, 550);
  json::value deposits =
      Ask("volume", {{"currency", "EUR"}, {"bucket", "hour"}, {"kind", "deposit"}});
  sum = 0;
  for (const auto& row : deposits.at("rows").as_array()) sum += row.at("sum").as_int64();
  EXPECT_EQ(sum, 500);
  EXPECT_EQ(BadParam("volume", {{"currency", "EUR"}, {"bucket", "fortnight"}}), "bucket");
  EXPECT_EQ(BadParam("volume", {{"currency", 978}, {"bucket", "day"}}), "currency");
}

// ------------------------------------------------------------------- orders

Item Widget(int64_t qty) { return Item{"w-1", "Blue Widget", qty, 150, "EUR"}; }

TEST_F(ReadSideTest, OrderStatusThroughTheLifeCycle) {
  Do(orders::PlaceOrder{"o1", "Cleo", {Widget(2)}});
  EXPECT_EQ(Ask("order-status", {{"order", "o1"}}).at("status"), "placed");
  Do(orders::AddItem{"o1", Item{"g-1", "Gadget", 1, 5, "EUR"}});
  EXPECT_EQ(Ask("order-status", {{"order", "o1"}}).at("total"), 305);
  Do(orders::ConfirmOrder{"o1"});
  json::value confirmed = Ask("order-status", {{"order", "o1"}});
  EXPECT_EQ(confirmed.at("status"), "confirmed");
  EXPECT_EQ(confirmed.at("items").as_array().size(), 2u);
  Do(orders::ShipOrder{"o1"});
  EXPECT_EQ(Ask("order-status", {{"order", "o1"}}).at("status"), "shipped");
  Do(orders::PlaceOrder{"o2", "Cleo", {Widget(1)}});
  Do(orders::CancelOrder{"o2", "too slow"});
  EXPECT_EQ(Ask("order-status", {{"order", "o2"}}).at("status"), "cancelled");
  auto unknown = Query("order-status", {{"order", "o9"}});
  EXPECT_TRUE(unknown.status().IsNotFound());
  EXPECT_EQ(unknown.status().subject(), "order");
}

TEST_F(ReadSideTest, OrdersByCustomerAndStatusInPages) {
  for (int i = 0; i < 5; ++i)
    Do(orders::PlaceOrder{"ann-" + std::to_string(i), "Ann", {Widget(1)}});
  Do(orders::PlaceOrder{"bob-0", "Bob", {Widget(1)}});
  Do(orders::ConfirmOrder{"ann-1"});
  Do(orders::ConfirmOrder{"ann-3"});
  Do(orders::ConfirmOrder{"bob-0"});
  int pages = 0;
  EXPECT_EQ(AllPages("orders", {{"customer", "Ann"}, {"limit", 2}}, "items", "order", &pages),
            (std::vector<std::string>{"ann-0", "ann-1", "ann-2", "ann-3", "ann-4"}));
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(AllPages("orders", {{"status", "confirmed"}, {"limit", 2}}, "items", "order", &pages),
            (std::vector<std::string>{"ann-1", "ann-3", "bob-0"}));
  EXPECT_EQ(pages, 2);
  EXPECT_EQ(
      AllPages("orders", {{"customer", "Ann"}, {"status", "placed"}}, "items", "order", &pages),
      (std::vector<std::string>{"ann-0", "ann-2", "ann-4"}));
  EXPECT_EQ(pages, 1);
  EXPECT_EQ(BadParam("orders", {{"status", "lost"}}), "status");
  EXPECT_EQ(BadParam("orders", {{"cursor", "xyz"}}), "cursor");
  EXPECT_EQ(BadParam("orders", {{"limit", "0"}}), "limit");
  EXPECT_EQ(BadParam("orders", {{"limit", 1001}}), "limit");
  EXPECT_EQ(BadParam("orders", {{"page", 2}}), "page");
}

TEST_F(ReadSideTest, SearchOrdersByItemName) {
  Do(orders::PlaceOrder{"o1", "Cleo", {Widget(1)}});
  Do(orders::PlaceOrder{"o2", "Dan", {Item{"s-1", "Sprocket", 1, 3, "EUR"}}});
  Do(orders::AddItem{"o2", Item{"w-2", "Widget Mini", 1, 4, "EUR"}});
  Do(orders::ConfirmOrder{"o2"});
  auto ids = [&](json::object params) {
    json::value answer = Ask("search-orders", std::move(params));
    std::set<std::string> out;
    if (!answer.is_object()) return out;
    for (const auto& hit : answer.at("hits").as_array()) out.emplace(hit.at("order").as_string());
    return out;
  };
  EXPECT_EQ(ids({{"q", "widg"}}), (std::set<std::string>{"o1", "o2"}));
  EXPECT_EQ(ids({{"q", "sprocket"}}), (std::set<std::string>{"o2"}));
  EXPECT_EQ(ids({{"q", "widget"}, {"status", "confirmed"}}), (std::set<std::string>{"o2"}));
  EXPECT_EQ(ids({{"q", "cleo"}}), (std::set<std::string>{"o1"}));
  EXPECT_EQ(BadParam("search-orders", {{"q", "w"}, {"limit", 0}}), "limit");
}

TEST_F(ReadSideTest, RevenuePerCurrency) {
  Do(orders::PlaceOrder{"o1", "Ann", {Widget(2)}});
  Do(orders::PlaceOrder{"o2", "Ann", {Widget(1)}});
  Do(orders::PlaceOrder{"o3", "Ann", {Item{"d", "Doohickey", 3, 33, "USD"}}});
  Do(orders::PlaceOrder{"o4", "Ann", {Widget(9)}});  // never confirmed
  Do(orders::ConfirmOrder{"o1"});
  Do(orders::ConfirmOrder{"o2"});
  Do(orders::ConfirmOrder{"o3"});
  auto totals = [&](const char* currency) {
    json::value revenue = Ask("revenue", {{"currency", currency}, {"bucket", "day"}});
    std::pair<int64_t, int64_t> out{0, 0};
    if (!revenue.is_object()) return out;
    for (const auto& row : revenue.at("rows").as_array()) {
      out.first += row.at("count").as_int64();
      out.second += row.at("sum").as_int64();
    }
    return out;
  };
  EXPECT_EQ(totals("EUR"), std::make_pair(int64_t{2}, int64_t{450}));
  EXPECT_EQ(totals("USD"), std::make_pair(int64_t{1}, int64_t{99}));
  EXPECT_EQ(totals("GBP"), std::make_pair(int64_t{0}, int64_t{0}));
  json::value per_status = Ask("orders-per-status", {{"bucket", "day"}});
  std::map<std::string, int64_t> counts;
  for (const auto& row : per_status.at("rows").as_array()) {
    counts[std::string(row.at("status").as_string())] += row.at("count").as_int64();
  }
  EXPECT_EQ(counts, (std::map<std::string, int64_t>{{"confirmed", 3}, {"placed", 4}}));
  EXPECT_EQ(BadParam("revenue", {{"currency", "EUR"}}), "bucket");
  EXPECT_EQ(BadParam("revenue", {{"currency", "EUR"}, {"bucket", "week"}}), "bucket");
}

// ------------------------------------------------------------ both, engine

TEST_F(ReadSideTest, NotYetCarriesTheReadModelsPosition) {
  Do(OpenAccount{"a1", "Ann"});
  ASSERT_TRUE(Ask("balance", {{"account", "a1"}}).is_object());  // caught up to last_
  auto answer = queries_->Execute(QueryRequest{"balance",
                                               {{"account", "a1"}},
                                               GlobalPosition(last_.value + 100),
                                               std::chrono::milliseconds(20)});
  ASSERT_TRUE(answer.status().IsTimeout()) << answer.status();
  EXPECT_EQ(answer.status().subject(), "ledger-accounts");
  EXPECT_EQ(answer.status().position(), last_.value);
}

TEST_F(ReadSideTest, ReadModelsSurviveAReopen) {
  Do(OpenAccount{"a1", "Ann"});
  Do(ledger::Deposit{"a1", "EUR", 42});
  Do(orders::PlaceOrder{"o1", "Cleo", {Widget(1)}});
  ASSERT_TRUE(Ask("balance", {{"account", "a1"}}).is_object());
  ASSERT_TRUE(Ask("order-status", {{"order", "o1"}}).is_object());
  Close();
  Open();
  EXPECT_EQ(Ask("balance", {{"account", "a1"}}).at("balances"), json::parse(R"({"EUR":42})"));
  EXPECT_EQ(Ask("order-status", {{"order", "o1"}}).at("status"), "placed");
  Do(orders::ConfirmOrder{"o1"});
  EXPECT_EQ(Ask("order-status", {{"order", "o1"}}).at("status"), "confirmed");
}

TEST_F(ReadSideTest, EveryQueryIsRegistered) {
  std::set<std::string> names;
  for (const QueryDefinition& d : queries_->definitions()) names.insert(d.name);
  EXPECT_EQ(names, (std::set<std::string>{"accounts", "balance", "order-status", "orders",
                                          "orders-per-status", "revenue", "search-accounts",
                                          "search-orders", "statement", "volume"}));
}

}  // namespace
}  // namespace duet::examples
