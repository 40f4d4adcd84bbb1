// The pure part of orders: decide and evolve.
#include "orders/orders.h"

namespace duet::examples::orders {
namespace {

using Phase = OrderState::Phase;
using Events = std::vector<OrderEvent>;

Status Rule(std::string_view rule, const std::string& order, std::string_view what) {
  return Status::DomainRuleViolated(rule, "order '" + order + "' " + std::string(what));
}

// Every command but PlaceOrder needs a placed order.
Status RequirePlaced(const OrderState& s, const std::string& order) {
  if (s.phase == Phase::kNew) return Rule("order-not-found", order, "was never placed");
  return Status::OK();
}

Result<Events> Place(const PlaceOrder& c, const OrderState& s) {
  if (s.phase != Phase::kNew) return Rule("order-already-exists", c.order, "was already placed");
  for (const Item& item : c.items) {
    if (item.currency != c.items.front().currency) {
      return Rule("one-currency-per-order", c.order,
                  "mixes " + c.items.front().currency + " and " + item.currency);
    }
  }
  return Events{OrderPlaced{c.order, c.customer, c.items}};
}

Result<Events> Add(const AddItem& c, const OrderState& s) {
  DUET_RETURN_IF_ERROR(RequirePlaced(s, c.order));
  if (s.phase == Phase::kCancelled) return Rule("order-cancelled", c.order, "is cancelled");
  if (s.phase != Phase::kPlaced) return Rule("order-not-open", c.order, "is already confirmed");
  if (!s.currency.empty() && c.item.currency != s.currency) {
    return Rule("one-currency-per-order", c.order,
                "is in " + s.currency + ", not " + c.item.currency);
  }
  if (s.items.size() >= kMaxItems) {
    return Rule("too-many-items", c.order, "has " + std::to_string(kMaxItems) + " items");
  }
  std::vector<Item> items = s.items;
  items.push_back(c.item);
  if (!OrderTotal(items).ok()) return Rule("order-total-overflow", c.order, "total overflows");
  return Events{ItemAdded{c.order, c.item}};
}

Result<Events> Confirm(const ConfirmOrder& c, const OrderState& s) {
  DUET_RETURN_IF_ERROR(RequirePlaced(s, c.order));
  if (s.phase == Phase::kCancelled) return Rule("order-cancelled", c.order, "is cancelled");
  if (s.phase != Phase::kPlaced) {
    return Rule("order-already-confirmed", c.order, "is already confirmed");
  }
  if (s.items.empty()) return Rule("order-empty", c.order, "has no items");
  Result<int64_t> total = OrderTotal(s.items);
  if (!total.ok()) return Rule("order-total-overflow", c.order, "total overflows");
  return Events{OrderConfirmed{c.order, *total, s.currency}};
}

Result<Events> Ship(const ShipOrder& c, const OrderState& s) {
  DUET_RETURN_IF_ERROR(RequirePlaced(s, c.order));
  switch (s.phase) {
    case Phase::kCancelled: return Rule("order-cancelled", c.order, "is cancelled");
    case Phase::kPlaced: return Rule("order-not-confirmed", c.order, "is not confirmed");
    case Phase::kShipped: return Rule("order-already-shipped", c.order, "is already shipped");
    default: return Events{OrderShipped{c.order}};
  }
}

Result<Events> Cancel(const CancelOrder& c, const OrderState& s) {
  DUET_RETURN_IF_ERROR(RequirePlaced(s, c.order));
  if (s.phase == Phase::kShipped) return Rule("order-shipped", c.order, "is already shipped");
  if (s.phase == Phase::kCancelled) return Rule("order-cancelled", c.order, "is cancelled");
  return Events{OrderCancelled{c.order, c.reason}};
}

}  // namespace

Result<int64_t> OrderTotal(const std::vector<Item>& items) {
  int64_t total = 0;
  for (const Item& item : items) {
    int64_t line = 0;
    if (__builtin_mul_overflow(item.qty, item.price, &line) ||
        __builtin_add_overflow(total, line, &total)) {
      return Status::InvalidArgument("items", "order total overflows a 64-bit integer");
    }
  }
  return total;
}

Result<std::vector<OrderEvent>> DecideOrder(const OrderCommand& command, const OrderState& state) {
  return std::visit(
      [&state](const auto& c) -> Result<Events> {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, PlaceOrder>) return Place(c, state);
        if constexpr (std::is_same_v<C, AddItem>) return Add(c, state);
        if constexpr (std::is_same_v<C, ConfirmOrder>) return Confirm(c, state);
        if constexpr (std::is_same_v<C, ShipOrder>) return Ship(c, state);
        if constexpr (std::is_same_v<C, CancelOrder>) return Cancel(c, state);
      },
      command);
}

OrderState EvolveOrder(OrderState s, const OrderEvent& event) {
  std::visit(
      [&s](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, OrderPlaced>) {
          s.phase = Phase::kPlaced;
          s.customer = e.customer;
          s.items = e.items;
          if (!e.items.empty()) s.currency = e.items.front().currency;
        } else if constexpr (std::is_same_v<E, ItemAdded>) {
          if (s.currency.empty()) s.currency = e.item.currency;
          s.items.push_back(e.item);
        } else if constexpr (std::is_same_v<E, OrderConfirmed>) {
          s.phase = Phase::kConfirmed;
        } else if constexpr (std::is_same_v<E, OrderShipped>) {
          s.phase = Phase::kShipped;
        } else if constexpr (std::is_same_v<E, OrderCancelled>) {
          s.phase = Phase::kCancelled;
        }
      },
      event);
  return s;
}

}  // namespace duet::examples::orders
