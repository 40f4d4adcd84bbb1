// Orders' commands as the outside world sends them: JSON decoders, field
// rules, and their registration on a command bus.
#include <algorithm>

#include "orders/orders.h"
#include "orders/orders_json.h"

namespace duet::examples::orders {
namespace {

constexpr size_t kMaxTextBytes = 200;

Status ValidateText(const std::string& field, const std::string& text) {
  if (text.empty()) return Status::InvalidArgument(field, "must not be empty");
  if (text.size() > kMaxTextBytes) return Status::InvalidArgument(field, "longer than 200 bytes");
  return Status::OK();
}

Status ValidateItem(const std::string& path, const Item& item) {
  DUET_RETURN_IF_ERROR(ValidateId(path + ".sku", item.sku));
  DUET_RETURN_IF_ERROR(ValidateText(path + ".name", item.name));
  if (item.qty <= 0) return Status::InvalidArgument(path + ".qty", "must be greater than 0");
  if (item.price < 0) return Status::InvalidArgument(path + ".price", "must not be negative");
  DUET_RETURN_IF_ERROR(ValidateCurrency(path + ".currency", item.currency));
  return OrderTotal({item}).status().ok() ? Status::OK()
                                          : Status::InvalidArgument(path, "qty * price overflows");
}

}  // namespace

Status ValidateCurrency(const std::string& field, std::string_view currency) {
  if (currency.size() != 3 ||
      !std::all_of(currency.begin(), currency.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return Status::InvalidArgument(field, "must be 3 upper-case letters");
  }
  return Status::OK();
}

Status Validate(const PlaceOrder& c) {
  DUET_RETURN_IF_ERROR(ValidateId("order", c.order));
  DUET_RETURN_IF_ERROR(ValidateText("customer", c.customer));
  if (c.items.size() > kMaxItems) return Status::InvalidArgument("items", "more than 1000 items");
  for (size_t i = 0; i < c.items.size(); ++i) {
    DUET_RETURN_IF_ERROR(ValidateItem("items[" + std::to_string(i) + "]", c.items[i]));
  }
  return OrderTotal(c.items).status();
}

Status Validate(const AddItem& c) {
  DUET_RETURN_IF_ERROR(ValidateId("order", c.order));
  return ValidateItem("item", c.item);
}

Status Validate(const ConfirmOrder& c) { return ValidateId("order", c.order); }
Status Validate(const ShipOrder& c) { return ValidateId("order", c.order); }

Status Validate(const CancelOrder& c) {
  DUET_RETURN_IF_ERROR(ValidateId("order", c.order));
  if (c.reason.size() > kMaxTextBytes) {
    return Status::InvalidArgument("reason", "longer than 200 bytes");
  }
  return Status::OK();
}

Status Register(CommandBus& bus) {
  const OrderDecider& orders = Orders();
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<PlaceOrder>{"PlaceOrder",
                              [](JsonReader& f) -> Result<PlaceOrder> {
                                return PlaceOrder{f.String("order"), f.String("customer"),
                                                  ReadItems(f, "items", true)};
                              },
                              Validate},
      DecideOn(orders, &PlaceOrder::order)));
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<AddItem>{"AddItem",
                           [](JsonReader& f) -> Result<AddItem> {
                             return AddItem{f.String("order"), ReadItem(f, "item", true)};
                           },
                           Validate},
      DecideOn(orders, &AddItem::order)));
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<ConfirmOrder>{"ConfirmOrder",
                                [](JsonReader& f) -> Result<ConfirmOrder> {
                                  return ConfirmOrder{f.String("order")};
                                },
                                Validate},
      DecideOn(orders, &ConfirmOrder::order)));
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<ShipOrder>{"ShipOrder",
                             [](JsonReader& f) -> Result<ShipOrder> {
                               return ShipOrder{f.String("order")};
                             },
                             Validate},
      DecideOn(orders, &ShipOrder::order)));
  return bus.Register(
      CommandType<CancelOrder>{"CancelOrder",
                               [](JsonReader& f) -> Result<CancelOrder> {
                                 return CancelOrder{f.String("order"),
                                                    f.OptionalString("reason").value_or("")};
                               },
                               Validate},
      DecideOn(orders, &CancelOrder::order));
}

}  // namespace duet::examples::orders
