// Orders: an order's life cycle, an example domain on Duet's public API.
//
// Each order is an aggregate in stream "order-<id>":
//   PlaceOrder -> (AddItem)* -> ConfirmOrder -> ShipOrder
//   CancelOrder any time before shipping.
// Prices are integer minor units (>= 0), quantities > 0, one currency per
// order. Rules (DomainRuleViolated subjects):
//   order-already-exists       PlaceOrder with an id already placed
//   order-not-found            any other command on an order never placed
//   order-not-open             AddItem after confirmation
//   one-currency-per-order     items in more than one currency
//   too-many-items             AddItem beyond kMaxItems lines
//   order-total-overflow       AddItem making the total overflow int64
//   order-empty                ConfirmOrder on an order without items
//   order-cancelled            confirm, ship, add or cancel a cancelled order
//   order-not-confirmed        ShipOrder before ConfirmOrder
//   order-already-confirmed    ConfirmOrder twice
//   order-already-shipped      ShipOrder twice
//   order-shipped              CancelOrder after shipping
#ifndef DUET_EXAMPLES_ORDERS_ORDERS_H_
#define DUET_EXAMPLES_ORDERS_ORDERS_H_

#include <duet/app.h>
#include <duet/command_bus.h>
#include <duet/decider.h>
#include <duet/result.h>

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace duet::examples::orders {

inline constexpr size_t kMaxItems = 1000;

struct Item {
  std::string sku;
  std::string name;
  int64_t qty = 0;
  int64_t price = 0;  // per unit, minor units
  std::string currency;
  friend bool operator==(const Item&, const Item&) = default;
};

// --- Commands ---
struct PlaceOrder {
  std::string order;
  std::string customer;
  std::vector<Item> items;
};
struct AddItem {
  std::string order;
  Item item;
};
struct ConfirmOrder {
  std::string order;
};
struct ShipOrder {
  std::string order;
};
struct CancelOrder {
  std::string order;
  std::string reason;  // optional
};
using OrderCommand = std::variant<PlaceOrder, AddItem, ConfirmOrder, ShipOrder, CancelOrder>;

// --- Events ---
struct OrderPlaced {
  std::string order;
  std::string customer;
  std::vector<Item> items;
  friend bool operator==(const OrderPlaced&, const OrderPlaced&) = default;
};
struct ItemAdded {
  std::string order;
  Item item;
  friend bool operator==(const ItemAdded&, const ItemAdded&) = default;
};
struct OrderConfirmed {
  std::string order;
  int64_t total = 0;  // sum of qty * price at confirmation
  std::string currency;
  friend bool operator==(const OrderConfirmed&, const OrderConfirmed&) = default;
};
struct OrderShipped {
  std::string order;
  friend bool operator==(const OrderShipped&, const OrderShipped&) = default;
};
struct OrderCancelled {
  std::string order;
  std::string reason;
  friend bool operator==(const OrderCancelled&, const OrderCancelled&) = default;
};
using OrderEvent =
    std::variant<OrderPlaced, ItemAdded, OrderConfirmed, OrderShipped, OrderCancelled>;

// --- State ---
struct OrderState {
  enum class Phase : uint8_t { kNew, kPlaced, kConfirmed, kShipped, kCancelled };
  Phase phase = Phase::kNew;
  std::string customer;
  std::string currency;  // empty until the first item
  std::vector<Item> items;
  friend bool operator==(const OrderState&, const OrderState&) = default;
};

using OrderDecider = Decider<OrderCommand, OrderState, OrderEvent>;

// The order aggregate (category "order"), with snapshots (schema 1).
const OrderDecider& Orders();
const EventCodec<OrderEvent>& OrderCodec();

Result<std::vector<OrderEvent>> DecideOrder(const OrderCommand& command, const OrderState& state);
OrderState EvolveOrder(OrderState state, const OrderEvent& event);
// Sum of qty * price; InvalidArgument("items") if it overflows int64.
Result<int64_t> OrderTotal(const std::vector<Item>& items);

// The rules no single field states: qty * price and the order's total fit
// int64 (InvalidArgument naming the line, e.g. "items[1]"). Every field rule
// is in the commands' declared contracts, which the bus checks on both paths
// (CommandBus::Check).
Status Validate(const PlaceOrder& c);
Status Validate(const AddItem& c);

// Registers PlaceOrder, AddItem, ConfirmOrder, ShipOrder and CancelOrder.
Status Register(CommandBus& bus);

// The orders domain as one value: commands, projections, queries, demo tour.
duet::Domain Domain();

}  // namespace duet::examples::orders

#endif  // DUET_EXAMPLES_ORDERS_ORDERS_H_
