// Orders' state machine as Given(events) / When(command) / Then(events or error).
#include <gtest/gtest.h>

#include "orders/orders.h"
#include "tests/examples/command_check.h"

namespace duet::examples::orders {
namespace {

using Events = std::vector<OrderEvent>;

template <typename Cmd>
Status Check(const Cmd& command) {
  return testing::CheckCommand<Register>(command);
}

Result<Events> When(const Events& given, OrderCommand command) {
  return DecideAfter(Orders(), std::span<const OrderEvent>(given), command);
}

void ExpectRule(const Status& status, std::string_view rule) {
  EXPECT_TRUE(status.IsDomainRuleViolated()) << status;
  EXPECT_EQ(status.subject(), rule);
}

Item Widget(int64_t qty = 2, int64_t price = 150, std::string currency = "EUR") {
  return Item{"w-1", "Widget", qty, price, std::move(currency)};
}

const Events kEmpty{OrderPlaced{"o", "cust", {}}};
const Events kPlaced{OrderPlaced{"o", "cust", {Widget()}}};
const Events kConfirmed{OrderPlaced{"o", "cust", {Widget()}}, OrderConfirmed{"o", 300, "EUR"}};
const Events kShipped{OrderPlaced{"o", "cust", {Widget()}}, OrderConfirmed{"o", 300, "EUR"},
                      OrderShipped{"o"}};
const Events kCancelled{OrderPlaced{"o", "cust", {Widget()}}, OrderCancelled{"o", "changed mind"}};

TEST(OrdersDeciderTest, PlaceOrder) {
  EXPECT_EQ(*When({}, PlaceOrder{"o", "cust", {Widget()}}),
            (Events{OrderPlaced{"o", "cust", {Widget()}}}));
}

TEST(OrdersDeciderTest, PlacingAnExistingOrderIsAnError) {
  ExpectRule(When(kPlaced, PlaceOrder{"o", "cust", {}}).status(), "order-already-exists");
  ExpectRule(When(kCancelled, PlaceOrder{"o", "cust", {}}).status(), "order-already-exists");
}

TEST(OrdersDeciderTest, PlacingMixedCurrenciesIsAnError) {
  ExpectRule(When({}, PlaceOrder{"o", "c", {Widget(1, 1, "EUR"), Widget(1, 1, "USD")}}).status(),
             "one-currency-per-order");
}

TEST(OrdersDeciderTest, CommandsOnUnknownOrderAreNotFound) {
  ExpectRule(When({}, AddItem{"o", Widget()}).status(), "order-not-found");
  ExpectRule(When({}, ConfirmOrder{"o"}).status(), "order-not-found");
  ExpectRule(When({}, ShipOrder{"o"}).status(), "order-not-found");
  ExpectRule(When({}, CancelOrder{"o", ""}).status(), "order-not-found");
}

TEST(OrdersDeciderTest, AddItemToOpenOrder) {
  EXPECT_EQ(*When(kEmpty, AddItem{"o", Widget()}), (Events{ItemAdded{"o", Widget()}}));
}

TEST(OrdersDeciderTest, NoItemsAfterConfirmation) {
  ExpectRule(When(kConfirmed, AddItem{"o", Widget()}).status(), "order-not-open");
  ExpectRule(When(kShipped, AddItem{"o", Widget()}).status(), "order-not-open");
  ExpectRule(When(kCancelled, AddItem{"o", Widget()}).status(), "order-cancelled");
}

TEST(OrdersDeciderTest, AddedItemMustBeInTheOrdersCurrency) {
  ExpectRule(When(kPlaced, AddItem{"o", Widget(1, 1, "USD")}).status(), "one-currency-per-order");
  EXPECT_TRUE(When(kEmpty, AddItem{"o", Widget(1, 1, "USD")}).ok());  // empty: any currency
}

TEST(OrdersDeciderTest, AddedItemMayNotOverflowTheTotal) {
  Events big{OrderPlaced{"o", "c", {Widget(1, INT64_MAX)}}};
  ExpectRule(When(big, AddItem{"o", Widget(1, 1)}).status(), "order-total-overflow");
}

TEST(OrdersDeciderTest, ItemCountIsBounded) {
  OrderPlaced full{"o", "c", std::vector<Item>(kMaxItems, Widget(1, 1))};
  ExpectRule(When(Events{full}, AddItem{"o", Widget(1, 1)}).status(), "too-many-items");
}

TEST(OrdersDeciderTest, ConfirmRecordsTheTotal) {
  Events given = kPlaced;
  given.push_back(ItemAdded{"o", Widget(3, 10)});
  EXPECT_EQ(*When(given, ConfirmOrder{"o"}), (Events{OrderConfirmed{"o", 330, "EUR"}}));
}

TEST(OrdersDeciderTest, NoConfirmingAnEmptyOrCancelledOrder) {
  ExpectRule(When(kEmpty, ConfirmOrder{"o"}).status(), "order-empty");
  ExpectRule(When(kCancelled, ConfirmOrder{"o"}).status(), "order-cancelled");
  ExpectRule(When(kConfirmed, ConfirmOrder{"o"}).status(), "order-already-confirmed");
}

TEST(OrdersDeciderTest, ShipConfirmedOrder) {
  EXPECT_EQ(*When(kConfirmed, ShipOrder{"o"}), (Events{OrderShipped{"o"}}));
}

TEST(OrdersDeciderTest, NoShippingAnUnconfirmedOrCancelledOrder) {
  ExpectRule(When(kPlaced, ShipOrder{"o"}).status(), "order-not-confirmed");
  ExpectRule(When(kCancelled, ShipOrder{"o"}).status(), "order-cancelled");
  ExpectRule(When(kShipped, ShipOrder{"o"}).status(), "order-already-shipped");
}

TEST(OrdersDeciderTest, CancelBeforeShipping) {
  EXPECT_EQ(*When(kPlaced, CancelOrder{"o", "r"}), (Events{OrderCancelled{"o", "r"}}));
  EXPECT_EQ(*When(kConfirmed, CancelOrder{"o", ""}), (Events{OrderCancelled{"o", ""}}));
}

TEST(OrdersDeciderTest, NoCancellingAShippedOrCancelledOrder) {
  ExpectRule(When(kShipped, CancelOrder{"o", ""}).status(), "order-shipped");
  ExpectRule(When(kCancelled, CancelOrder{"o", ""}).status(), "order-cancelled");
}

TEST(OrdersValidateTest, QuantityAndPriceRules) {
  EXPECT_EQ(Check(AddItem{"o", Widget(0, 1)}).subject(), "item.qty");
  EXPECT_EQ(Check(AddItem{"o", Widget(-1, 1)}).subject(), "item.qty");
  EXPECT_EQ(Check(AddItem{"o", Widget(1, -1)}).subject(), "item.price");
  EXPECT_TRUE(Check(AddItem{"o", Widget(1, 0)}).ok());  // free items are fine
  EXPECT_EQ(Check(AddItem{"o", Widget(1, 1, "eur")}).subject(), "item.currency");
  EXPECT_EQ(Check(PlaceOrder{"o", "c", {Widget(), Widget(0, 1)}}).subject(), "items[1].qty");
  EXPECT_EQ(Check(AddItem{"o", Widget(2, INT64_MAX)}).subject(), "item");
}

TEST(OrdersValidateTest, IdsAndTexts) {
  EXPECT_EQ(Check(PlaceOrder{"", "c", {}}).subject(), "order");
  EXPECT_EQ(Check(PlaceOrder{"o", "", {}}).subject(), "customer");
  EXPECT_EQ(Check(AddItem{"o", Item{"bad sku", "n", 1, 1, "EUR"}}).subject(), "item.sku");
  EXPECT_EQ(Check(AddItem{"o", Item{"s", "", 1, 1, "EUR"}}).subject(), "item.name");
  EXPECT_EQ(Check(CancelOrder{"o", std::string(201, 'r')}).subject(), "reason");
  EXPECT_EQ(Check(PlaceOrder{"o", "c", std::vector<Item>(kMaxItems + 1, Widget())}).subject(),
            "items");
}

TEST(OrdersCodecTest, EveryEventRoundTrips) {
  Events all{OrderPlaced{"o", "c", {Widget(), Widget(1, 0)}}, ItemAdded{"o", Widget()},
             OrderConfirmed{"o", 300, "EUR"}, OrderShipped{"o"}, OrderCancelled{"o", "why"}};
  for (const OrderEvent& e : all) {
    auto back = OrderCodec().Decode(OrderCodec().Name(e), OrderCodec().EncodeData(e));
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, e);
  }
}

TEST(OrdersCodecTest, StateRoundTripsThroughTheSnapshotCodec) {
  OrderState s = Fold(Orders(), std::span<const OrderEvent>(kConfirmed));
  const StateCodec<OrderState>& codec = *Orders().state_codec;
  auto object = ParseJsonObject(ToJsonText(codec.encode(s))).value();
  JsonReader fields(object);
  auto back = codec.decode(fields);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, s);
  EXPECT_EQ(back->phase, OrderState::Phase::kConfirmed);
}

}  // namespace
}  // namespace duet::examples::orders
