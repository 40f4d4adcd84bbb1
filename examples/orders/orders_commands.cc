// Orders' commands as the outside world sends them: each command's contract
// (its fields, declared once: duet/contract.h), JSON decoders, and their
// registration on a command bus.
//
// The contract is the one statement of the field rules. The bus checks JSON
// bodies against it, and typed commands through their JSON form (to_json,
// EncodeItem for the items), so a C++ caller gets the same answer as an HTTP
// client; Validate() adds the rules one field cannot state alone (qty * price
// and the order total must fit int64).

#include <boost/json.hpp>

#include "orders/orders.h"
#include "orders/orders_json.h"

namespace duet::examples::orders {
namespace {

namespace json = boost::json;

constexpr size_t kMaxTextBytes = 200;
constexpr size_t kMaxIdBytes = 128;

FieldSpec IdField(std::string name, std::string description) {
  return {.name = std::move(name),
          .description = std::move(description),
          .min_length = 1,
          .max_length = kMaxIdBytes,
          .pattern = FieldPattern(kIdPattern, "may contain only [A-Za-z0-9-_.:@]")};
}

FieldSpec TextField(std::string name, std::string description) {
  return {.name = std::move(name),
          .description = std::move(description),
          .min_length = 1,
          .max_length = kMaxTextBytes};
}

const FieldPattern& CurrencyPattern() {
  static const auto* pattern = new FieldPattern("^[A-Z]{3}$", "must be 3 upper-case letters");
  return *pattern;
}

std::vector<FieldSpec> ItemFields() {
  return {
      IdField("sku", "the product's id"),
      TextField("name", "the product's name as shown to the customer"),
      {.name = "qty",
       .type = FieldType::kInteger,
       .description = "units, at least 1",
       .minimum = 1},
      {.name = "price",
       .type = FieldType::kInteger,
       .description = "per unit, in minor units (e.g. cents); 0 for a free item",
       .minimum = 0},
      {.name = "currency",
       .description = "3 upper-case letters, e.g. EUR; one currency per order",
       .pattern = CurrencyPattern()},
  };
}

// Each contract is built once (its patterns compile once) and lives for the
// process: Register copies it into every bus.
const std::vector<FieldSpec>& PlaceOrderFields() {
  static const auto* fields = new std::vector<FieldSpec>{
      IdField("order", "the new order's id"),
      TextField("customer", "who ordered"),
      {.name = "items",
       .type = FieldType::kArray,
       .description = "the order's lines (more can be added until it is confirmed)",
       .max_items = kMaxItems,
       .fields = ItemFields()},
  };
  return *fields;
}

const std::vector<FieldSpec>& AddItemFields() {
  static const auto* fields = new std::vector<FieldSpec>{
      IdField("order", "the order's id"),
      {.name = "item",
       .type = FieldType::kObject,
       .description = "the line to add",
       .fields = ItemFields()},
  };
  return *fields;
}

const std::vector<FieldSpec>& OrderIdFields() {  // ConfirmOrder and ShipOrder
  static const auto* fields = new std::vector<FieldSpec>{IdField("order", "the order's id")};
  return *fields;
}

const std::vector<FieldSpec>& CancelOrderFields() {
  static const auto* fields = new std::vector<FieldSpec>{
      IdField("order", "the order's id"),
      {.name = "reason",
       .required = false,
       .description = "why, for the record",
       .max_length = kMaxTextBytes},
  };
  return *fields;
}

// qty * price overflowing int64 is bad input naming the line (`path`).
Status CheckLineTotal(const std::string& path, const Item& item) {
  return OrderTotal({item}).ok() ? Status::OK()
                                 : Status::InvalidArgument(path, "qty * price overflows");
}

// Each command as its JSON body, for the contract check of a typed dispatch.
json::object ToJson(const PlaceOrder& c) {
  return {{"order", c.order}, {"customer", c.customer}, {"items", EncodeItems(c.items)}};
}
json::object ToJson(const AddItem& c) { return {{"order", c.order}, {"item", EncodeItem(c.item)}}; }
json::object ToJson(const ConfirmOrder& c) { return {{"order", c.order}}; }
json::object ToJson(const ShipOrder& c) { return {{"order", c.order}}; }
json::object ToJson(const CancelOrder& c) {
  json::object body{{"order", c.order}};
  if (!c.reason.empty()) body["reason"] = c.reason;
  return body;
}

}  // namespace

Status ValidateCurrency(const std::string& field, std::string_view currency) {
  if (CurrencyPattern().Matches(currency)) return Status::OK();
  return Status::InvalidArgument(field, CurrencyPattern().hint());
}

Status Validate(const PlaceOrder& c) {
  for (size_t i = 0; i < c.items.size(); ++i) {
    DUET_RETURN_IF_ERROR(CheckLineTotal("items[" + std::to_string(i) + "]", c.items[i]));
  }
  return OrderTotal(c.items).status();
}

Status Validate(const AddItem& c) { return CheckLineTotal("item", c.item); }

Status Register(CommandBus& bus) {
  const OrderDecider& orders = Orders();
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<PlaceOrder>{
          .name = "PlaceOrder",
          .decode = [](JsonReader& f) -> Result<PlaceOrder> {
            return PlaceOrder{f.String("order"), f.String("customer"), ReadItems(f, "items", true)};
          },
          .validate = Validate,
          .fields = PlaceOrderFields(),
          .description = "Place an order with its first lines (refused if the id is taken).",
          .example =
              R"({"order":"o-1001","customer":"Carol","items":[{"sku":"tea-green","name":"Green tea","qty":2,"price":450,"currency":"EUR"}]})",
          .to_json = ToJson},
      DecideOn(orders, &PlaceOrder::order)));
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<AddItem>{
          .name = "AddItem",
          .decode = [](JsonReader& f) -> Result<AddItem> {
            return AddItem{f.String("order"), ReadItem(f, "item", true)};
          },
          .validate = Validate,
          .fields = AddItemFields(),
          .description = "Add a line to an order that is not yet confirmed.",
          .example =
              R"({"order":"o-1001","item":{"sku":"mug","name":"Mug","qty":1,"price":900,"currency":"EUR"}})",
          .to_json = ToJson},
      DecideOn(orders, &AddItem::order)));
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<ConfirmOrder>{
          .name = "ConfirmOrder",
          .decode = [](JsonReader& f) -> Result<ConfirmOrder> {
            return ConfirmOrder{f.String("order")};
          },
          .fields = OrderIdFields(),
          .description = "Confirm a placed order that has items; its total is fixed then.",
          .example = R"({"order":"o-1001"})",
          .to_json = ToJson},
      DecideOn(orders, &ConfirmOrder::order)));
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<ShipOrder>{
          .name = "ShipOrder",
          .decode = [](JsonReader& f) -> Result<ShipOrder> { return ShipOrder{f.String("order")}; },
          .fields = OrderIdFields(),
          .description = "Ship a confirmed order.",
          .example = R"({"order":"o-1001"})",
          .to_json = ToJson},
      DecideOn(orders, &ShipOrder::order)));
  return bus.Register(
      CommandType<CancelOrder>{
          .name = "CancelOrder",
          .decode = [](JsonReader& f) -> Result<CancelOrder> {
            return CancelOrder{f.String("order"), f.OptionalString("reason").value_or("")};
          },
          .fields = CancelOrderFields(),
          .description = "Cancel an order any time before it ships.",
          .example = R"({"order":"o-1002","reason":"changed my mind"})",
          .to_json = ToJson},
      DecideOn(orders, &CancelOrder::order));
}

}  // namespace duet::examples::orders
