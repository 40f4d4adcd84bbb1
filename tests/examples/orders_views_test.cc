// The orders' projections and queries, with events applied straight into
// the stores (positions and timestamps chosen here) and queries through a
// real QueryBus.
#include "orders/orders_views.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "orders/orders.h"
#include "tests/examples/views_test_util.h"
#include "tests/support/temp_dir.h"

namespace duet::examples::orders {
namespace {

namespace json = boost::json;
using duet::testing::kDay0Us;
using duet::testing::kDayUs;
using duet::testing::kHourUs;

Item Widget(int64_t qty = 2) { return Item{"w-1", "Blue Widget", qty, 150, "EUR"}; }
Item Gadget() { return Item{"g-1", "Gadget", 1, 5, "EUR"}; }

class OrdersViewsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(RegisterOrdersQueries(side_.bus()).ok()); }

  void Given(const OrderEvent& event, int64_t at_us = kDay0Us + 10 * kHourUs) {
    const std::string order = std::visit([](const auto& e) { return e.order; }, event);
    Status s =
        side_.Apply(testing::Recorded(OrderCodec(), event, "order-" + order, ++position_, at_us));
    ASSERT_TRUE(s.ok()) << s;
  }

  std::string BadParam(const std::string& query, json::object params) {
    auto answer = side_.Query(query, std::move(params));
    if (answer.ok()) return "<ok>";
    if (!answer.status().IsInvalidArgument()) return answer.status().ToString();
    return answer.status().subject();
  }

  // The "order" fields of a list or search answer, in answer order.
  std::vector<std::string> Orders(const std::string& query, json::object params,
                                  const char* items = "items") {
    std::vector<std::string> out;
    json::value answer = side_.Ask(query, std::move(params));
    if (!answer.is_object()) return out;
    for (const auto& item : answer.at(items).as_array()) {
      out.emplace_back(item.at("order").as_string());
    }
    return out;
  }

  duet::testing::TempDir dir_;
  duet::testing::DirectReadSide side_{OrdersProjections(), dir_.path()};
  uint64_t position_ = 0;
};

TEST_F(OrdersViewsTest, ProjectionNamesAndStores) {
  std::vector<std::string> names;
  for (const auto& p : OrdersProjections()) {
    names.push_back(p->info().name);
    EXPECT_TRUE(ValidateProjectionInfo(p->info()).ok()) << p->info().name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"orders", "orders-search", "orders-revenue"}));
  EXPECT_TRUE(side_.open_errors().empty()) << side_.open_errors().front();
}

TEST_F(OrdersViewsTest, OrderStatusThroughTheLifeCycle) {
  Given(OrderPlaced{"o1", "Cleo", {Widget()}}, kDay0Us);
  json::value placed = side_.Ask("order-status", {{"order", "o1"}});
  EXPECT_EQ(placed, json::parse(R"({"order":"o1","customer":"Cleo","status":"placed",
      "items":[{"sku":"w-1","name":"Blue Widget","qty":2,"price":150,"currency":"EUR"}],
      "total":300,"currency":"EUR","placed_at":"2026-11-23T00:00:00Z",
      "updated_at":"2026-11-23T00:00:00Z"})"));
  Given(ItemAdded{"o1", Gadget()}, kDay0Us + kHourUs);
  json::value added = side_.Ask("order-status", {{"order", "o1"}});
  EXPECT_EQ(added.at("total"), 305);
  EXPECT_EQ(added.at("items").as_array().size(), 2u);
  EXPECT_EQ(added.at("updated_at"), "2026-11-23T01:00:00Z");
  EXPECT_EQ(added.at("placed_at"), "2026-11-23T00:00:00Z");
  Given(OrderConfirmed{"o1", 305, "EUR"});
  EXPECT_EQ(side_.Ask("order-status", {{"order", "o1"}}).at("status"), "confirmed");
  Given(OrderShipped{"o1"});
  EXPECT_EQ(side_.Ask("order-status", {{"order", "o1"}}).at("status"), "shipped");
  Given(OrderPlaced{"o2", "Cleo", {}});
  Given(OrderCancelled{"o2", "changed my mind"});
  json::value cancelled = side_.Ask("order-status", {{"order", "o2"}});
  EXPECT_EQ(cancelled.at("status"), "cancelled");
  EXPECT_EQ(cancelled.at("reason"), "changed my mind");
  EXPECT_EQ(cancelled.at("total"), 0);
}

TEST_F(OrdersViewsTest, UnknownOrderIsNotFound) {
  auto answer = side_.Query("order-status", {{"order", "nope"}});
  EXPECT_TRUE(answer.status().IsNotFound());
  EXPECT_EQ(answer.status().subject(), "order");
}

TEST_F(OrdersViewsTest, EventForAnOrderNeverPlacedFailsTheProjection) {
  Status s = side_.Apply(testing::Recorded(OrderCodec(), OrderEvent(OrderShipped{"ghost"}),
                                           "order-ghost", 1, kDay0Us));
  EXPECT_TRUE(s.IsNotFound()) << s;
}

TEST_F(OrdersViewsTest, OrdersByCustomerAndStatusInPlacingOrder) {
  Given(OrderPlaced{"o3", "Ann", {Widget()}});
  Given(OrderPlaced{"o1", "Bob", {Widget()}});
  Given(OrderPlaced{"o2", "Ann", {Widget()}});
  Given(OrderPlaced{"o4", "Ann|x", {Widget()}});
  Given(OrderConfirmed{"o2", 300, "EUR"});
  Given(OrderCancelled{"o3", ""});
  EXPECT_EQ(Orders("orders", {}), (std::vector<std::string>{"o3", "o1", "o2", "o4"}));
  EXPECT_EQ(Orders("orders", {{"customer", "Ann"}}), (std::vector<std::string>{"o3", "o2"}));
  EXPECT_EQ(Orders("orders", {{"status", "placed"}}), (std::vector<std::string>{"o1", "o4"}));
  EXPECT_EQ(Orders("orders", {{"customer", "Ann"}, {"status", "confirmed"}}),
            (std::vector<std::string>{"o2"}));
  EXPECT_EQ(Orders("orders", {{"customer", "Ann"}, {"status", "placed"}}),
            (std::vector<std::string>{}));
  EXPECT_EQ(Orders("orders", {{"customer", "Ann|x"}, {"status", "placed"}}),
            (std::vector<std::string>{"o4"}));
  // Paged: two, then one and no cursor.
  json::value first = side_.Ask("orders", {{"customer", "Ann"}, {"limit", 1}});
  ASSERT_TRUE(first.as_object().contains("next_cursor"));
  EXPECT_FALSE(first.at("items").at(0).as_object().contains("placed_position"));
  json::value second = side_.Ask(
      "orders", {{"customer", "Ann"}, {"limit", "1"}, {"cursor", first.at("next_cursor")}});
  EXPECT_EQ(second.at("items").at(0).at("order"), "o2");
  EXPECT_FALSE(second.as_object().contains("next_cursor"));
}

TEST_F(OrdersViewsTest, BadParameters) {
  EXPECT_EQ(BadParam("orders", {{"status", "lost"}}), "status");
  EXPECT_EQ(BadParam("orders", {{"status", 3}}), "status");
  EXPECT_EQ(BadParam("orders", {{"cursor", "zzzz"}}), "cursor");
  EXPECT_EQ(BadParam("orders", {{"limit", 0}}), "limit");
  EXPECT_EQ(BadParam("orders", {{"limit", 1001}}), "limit");
  EXPECT_EQ(BadParam("orders", {{"customer", ""}}), "customer");
  EXPECT_EQ(BadParam("order-status", {}), "order");
  EXPECT_EQ(BadParam("order-status", {{"order", true}}), "order");
  EXPECT_EQ(BadParam("search-orders", {{"q", "x"}, {"status", "lost"}}), "status");
  EXPECT_EQ(BadParam("search-orders", {}), "q");
  EXPECT_EQ(BadParam("revenue", {{"currency", "EUR"}, {"bucket", "year"}}), "bucket");
  EXPECT_EQ(BadParam("revenue", {{"currency", "EURO"}, {"bucket", "day"}}), "currency");
  EXPECT_EQ(BadParam("revenue", {{"bucket", "day"}}), "currency");
  EXPECT_EQ(BadParam("orders-per-status", {{"bucket", "day"}, {"status", "x"}}), "status");
}

TEST_F(OrdersViewsTest, SearchOrdersByItemNameAndStatus) {
  Given(OrderPlaced{"o1", "Cleo Dupont", {Widget()}});
  Given(OrderPlaced{"o2", "Dan", {Gadget()}});
  Given(ItemAdded{"o2", Item{"w-2", "Widgetry Deluxe", 1, 10, "EUR"}});
  Given(OrderConfirmed{"o1", 300, "EUR"});
  auto hits = [&](json::object params) {
    std::vector<std::string> v = Orders("search-orders", std::move(params), "hits");
    return std::set<std::string>(v.begin(), v.end());
  };
  EXPECT_EQ(hits({{"q", "widget"}}), (std::set<std::string>{"o1", "o2"}));
  EXPECT_EQ(hits({{"q", "gadget"}}), (std::set<std::string>{"o2"}));
  EXPECT_EQ(hits({{"q", "dup"}}), (std::set<std::string>{"o1"}));
  EXPECT_EQ(hits({{"q", "widget"}, {"status", "confirmed"}}), (std::set<std::string>{"o1"}));
  EXPECT_EQ(hits({{"q", "widget"}, {"status", "placed"}}), (std::set<std::string>{"o2"}));
  EXPECT_EQ(hits({{"q", "widget"}, {"status", "shipped"}}), (std::set<std::string>{}));
  json::value answer = side_.Ask("search-orders", {{"q", "cleo"}});
  ASSERT_TRUE(answer.is_object());
  EXPECT_EQ(answer.at("hits").at(0).at("status"), "confirmed");
  EXPECT_EQ(answer.at("hits").at(0).at("customer"), "Cleo Dupont");
}

TEST_F(OrdersViewsTest, RevenuePerCurrencyAndDay) {
  Given(OrderPlaced{"o1", "Ann", {Widget()}}, kDay0Us + 1);
  Given(OrderPlaced{"o2", "Ann", {Widget(1)}}, kDay0Us + 2);
  Given(OrderPlaced{"o3", "Ann", {Item{"d", "Doohickey", 1, 99, "USD"}}}, kDay0Us + 3);
  Given(OrderConfirmed{"o1", 300, "EUR"}, kDay0Us + 5 * kHourUs);
  Given(OrderConfirmed{"o2", 150, "EUR"}, kDayUs + kDay0Us + 6 * kHourUs);
  Given(OrderConfirmed{"o3", 99, "USD"}, kDayUs + kDay0Us + 7 * kHourUs);
  Given(OrderShipped{"o1"}, kDayUs + kDay0Us + 8 * kHourUs);
  EXPECT_EQ(side_.Ask("revenue", {{"currency", "EUR"}, {"bucket", "day"}}), json::parse(R"({
    "currency":"EUR","bucket":"day","rows":[
      {"bucket_start":"2026-11-23T00:00:00Z","count":1,"sum":300,"min":300,"max":300},
      {"bucket_start":"2026-11-24T00:00:00Z","count":1,"sum":150,"min":150,"max":150}]})"));
  EXPECT_EQ(side_.Ask("revenue", {{"currency", "USD"}, {"bucket", "hour"}}).at("rows"),
            json::parse(R"([
      {"bucket_start":"2026-11-24T07:00:00Z","count":1,"sum":99,"min":99,"max":99}])"));
  EXPECT_EQ(side_.Ask("orders-per-status", {{"bucket", "day"}}), json::parse(R"({
    "bucket":"day","rows":[
      {"bucket_start":"2026-11-23T00:00:00Z","status":"confirmed","count":1},
      {"bucket_start":"2026-11-23T00:00:00Z","status":"placed","count":3},
      {"bucket_start":"2026-11-24T00:00:00Z","status":"confirmed","count":2},
      {"bucket_start":"2026-11-24T00:00:00Z","status":"shipped","count":1}]})"));
  EXPECT_EQ(side_.Ask("orders-per-status", {{"bucket", "day"}, {"status", "shipped"}}).at("rows"),
            json::parse(R"([
      {"bucket_start":"2026-11-24T00:00:00Z","status":"shipped","count":1}])"));
}

}  // namespace
}  // namespace duet::examples::orders
