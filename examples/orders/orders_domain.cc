// Orders as one value (duet/app.h): its commands, read side and demo tour,
// for the `duet` binary and any other host.
#include "orders/orders.h"
#include "orders/orders_views.h"

namespace duet::examples::orders {
namespace {

std::vector<SampleCommand> Tour() {
  return {
      {.type = "PlaceOrder",
       .json =
           R"({"order":"o-1","customer":"alice","items":[{"sku":"tea","name":"Green tea","qty":2,"price":450,"currency":"EUR"}]})",
       .note = "Place an order"},
      {.type = "AddItem",
       .json =
           R"({"order":"o-1","item":{"sku":"cup","name":"Tea cup","qty":1,"price":1200,"currency":"EUR"}})"},
      {.type = "ConfirmOrder", .json = R"({"order":"o-1"})"},
      {.type = "AddItem",
       .json =
           R"({"order":"o-1","item":{"sku":"pot","name":"Tea pot","qty":1,"price":3000,"currency":"EUR"}})",
       .note = "No items after confirmation"},
      {.type = "ShipOrder", .json = R"({"order":"o-1"})"},
      {.type = "CancelOrder",
       .json = R"({"order":"o-1"})",
       .note = "No cancelling a shipped order"},
  };
}

}  // namespace

duet::Domain Domain() {
  return {.name = "orders",
          .register_commands = Register,
          .projections = OrdersProjections,
          .register_queries = RegisterOrdersQueries,
          .tour = Tour(),
          .tour_queries = {{"order-status", R"({"order":"o-1"})"},
                           {"orders", R"({"customer":"alice"})"},
                           {"search-orders", R"({"q":"tea"})"},
                           {"revenue", R"({"currency":"EUR","bucket":"day"})"}}};
}

}  // namespace duet::examples::orders
