// JSON of order items, shared by the event codec and the command decoders.
#ifndef DUET_EXAMPLES_ORDERS_ORDERS_JSON_H_
#define DUET_EXAMPLES_ORDERS_ORDERS_JSON_H_

#include <duet/json_reader.h>

#include <boost/json.hpp>
#include <string_view>
#include <vector>

#include "orders/orders.h"

namespace duet::examples::orders {

boost::json::object EncodeItem(const Item& item);
boost::json::array EncodeItems(const std::vector<Item>& items);

// Reads object field `field` of `f` as an item; errors are recorded in `f`
// with the item's path ("item.qty"). `strict`: unknown fields are errors
// (commands), else ignored (events).
Item ReadItem(JsonReader& f, std::string_view field, bool strict);
// Reads array field `field` of items ("items[2].price").
std::vector<Item> ReadItems(JsonReader& f, std::string_view field, bool strict);

// OK if `currency` is 3 upper-case ASCII letters, else InvalidArgument(field).
// One rule for command fields and query parameters.
Status ValidateCurrency(const std::string& field, std::string_view currency);

}  // namespace duet::examples::orders

#endif  // DUET_EXAMPLES_ORDERS_ORDERS_JSON_H_
