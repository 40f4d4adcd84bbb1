// How orders' events and state are persisted. The event names are the stable
// persisted types: never rename them.
#include <boost/json.hpp>

#include "orders/orders.h"
#include "orders/orders_json.h"

namespace duet::examples::orders {
namespace json = boost::json;

namespace {

Item ReadItemFrom(JsonReader& f, const json::object& object, std::string path, bool strict) {
  JsonReader r(object, std::move(path));
  Item item{r.String("sku"), r.String("name"), r.Int64("qty"), r.Int64("price"),
            r.String("currency")};
  f.Merge(strict ? r.Finish() : r.status());
  return item;
}

EventCodec<OrderEvent> MakeCodec() {
  return EventCodec<OrderEvent>{
      EventType<OrderPlaced>{"OrderPlaced",
                             [](const OrderPlaced& e) {
                               return json::object{{"order", e.order},
                                                   {"customer", e.customer},
                                                   {"items", EncodeItems(e.items)}};
                             },
                             [](JsonReader& f) -> Result<OrderPlaced> {
                               return OrderPlaced{f.String("order"), f.String("customer"),
                                                  ReadItems(f, "items", false)};
                             }},
      EventType<ItemAdded>{"ItemAdded",
                           [](const ItemAdded& e) {
                             return json::object{{"order", e.order}, {"item", EncodeItem(e.item)}};
                           },
                           [](JsonReader& f) -> Result<ItemAdded> {
                             return ItemAdded{f.String("order"), ReadItem(f, "item", false)};
                           }},
      EventType<OrderConfirmed>{
          "OrderConfirmed",
          [](const OrderConfirmed& e) {
            return json::object{{"order", e.order}, {"total", e.total}, {"currency", e.currency}};
          },
          [](JsonReader& f) -> Result<OrderConfirmed> {
            return OrderConfirmed{f.String("order"), f.Int64("total"), f.String("currency")};
          }},
      EventType<OrderShipped>{
          "OrderShipped",
          [](const OrderShipped& e) {
            return json::object{{"order", e.order}};
          },
          [](JsonReader& f) -> Result<OrderShipped> { return OrderShipped{f.String("order")}; }},
      EventType<OrderCancelled>{"OrderCancelled",
                                [](const OrderCancelled& e) {
                                  return json::object{{"order", e.order}, {"reason", e.reason}};
                                },
                                [](JsonReader& f) -> Result<OrderCancelled> {
                                  return OrderCancelled{f.String("order"), f.String("reason")};
                                }},
  };
}

constexpr const char* kPhaseNames[] = {"new", "placed", "confirmed", "shipped", "cancelled"};

json::object EncodeState(const OrderState& s) {
  return json::object{{"phase", kPhaseNames[static_cast<size_t>(s.phase)]},
                      {"customer", s.customer},
                      {"currency", s.currency},
                      {"items", EncodeItems(s.items)}};
}

Result<OrderState> DecodeState(JsonReader& f) {
  OrderState s;
  const std::string phase = f.String("phase");
  s.customer = f.String("customer");
  s.currency = f.String("currency");
  s.items = ReadItems(f, "items", false);
  DUET_RETURN_IF_ERROR(f.status());
  for (size_t i = 0; i < std::size(kPhaseNames); ++i) {
    if (phase == kPhaseNames[i]) {
      s.phase = static_cast<OrderState::Phase>(i);
      return s;
    }
  }
  return Status::InvalidArgument("phase", "unknown phase '" + phase + "'");
}

}  // namespace

json::object EncodeItem(const Item& item) {
  return json::object{{"sku", item.sku},
                      {"name", item.name},
                      {"qty", item.qty},
                      {"price", item.price},
                      {"currency", item.currency}};
}

json::array EncodeItems(const std::vector<Item>& items) {
  json::array out;
  for (const Item& item : items) out.push_back(EncodeItem(item));
  return out;
}

Item ReadItem(JsonReader& f, std::string_view field, bool strict) {
  const json::object* object = f.Object(field);
  if (object == nullptr) return {};
  return ReadItemFrom(f, *object, f.FieldPath(field), strict);
}

std::vector<Item> ReadItems(JsonReader& f, std::string_view field, bool strict) {
  std::vector<Item> items;
  const json::array* array = f.Array(field);
  if (array == nullptr) return items;
  for (size_t i = 0; i < array->size() && f.status().ok(); ++i) {
    const json::value& value = (*array)[i];
    if (!value.is_object()) {
      f.Merge(Status::InvalidArgument(f.ElementPath(field, i), "must be an object"));
      break;
    }
    items.push_back(ReadItemFrom(f, value.get_object(), f.ElementPath(field, i), strict));
  }
  return items;
}

const EventCodec<OrderEvent>& OrderCodec() {
  static const EventCodec<OrderEvent> codec = MakeCodec();
  return codec;
}

const OrderDecider& Orders() {
  static const StateCodec<OrderState> state_codec{1, EncodeState, DecodeState};
  static const OrderDecider orders{"order",     OrderState{},  DecideOrder,
                                   EvolveOrder, &OrderCodec(), &state_codec};
  return orders;
}

}  // namespace duet::examples::orders
