// Orders as one value (duet/app.h): its commands, read side, demo tour and
// benchmark workload, for the `duet` binary and any other host.
#include <iterator>
#include <random>

#include "orders/orders.h"
#include "orders/orders_bench_catalog.h"
#include "orders/orders_views.h"

namespace duet::examples::orders {
namespace {

constexpr const char* kBenchCurrencies[] = {"EUR", "USD", "GBP"};
constexpr uint64_t kBenchCustomers = 5000;

std::string BenchOrderId(uint64_t i) { return "bo-" + std::to_string(i); }
std::string BenchCustomer(uint64_t i) { return "Customer " + std::to_string(i % kBenchCustomers); }

// How order i of the bench history ends: 6 in 10 confirmed, 2 shipped, 1
// cancelled, 1 only placed (2.1 events per order).
uint64_t BenchOrderEvents(uint64_t i) {
  const uint64_t kind = i % 10;
  return kind < 6 ? 2 : kind < 8 ? 3 : kind == 8 ? 2 : 1;
}

std::vector<EventData> BenchOrder(uint64_t i, std::mt19937_64& rng) {
  const auto& codec = OrderCodec();
  auto encode = [&](const OrderEvent& e) {
    return EventData{{}, std::string(codec.Name(e)), codec.EncodeData(e), "{}"};
  };
  OrderPlaced placed{BenchOrderId(i), BenchCustomer(i), {}};
  const std::string currency = kBenchCurrencies[i % std::size(kBenchCurrencies)];
  int64_t total = 0;
  for (uint64_t n = 1 + rng() % 3; n > 0; --n) {
    const uint64_t p = rng() % std::size(kBenchProducts);
    const Item item{"sku-" + std::to_string(p), kBenchProducts[p], int64_t(1 + rng() % 3),
                    int64_t(100 + rng() % 5000), currency};
    total += item.qty * item.price;
    placed.items.push_back(item);
  }
  std::vector<EventData> events{encode(placed)};
  const uint64_t kind = i % 10;
  if (kind < 8) events.push_back(encode(OrderConfirmed{placed.order, total, currency}));
  if (kind == 6 || kind == 7) events.push_back(encode(OrderShipped{placed.order}));
  if (kind == 8) events.push_back(encode(OrderCancelled{placed.order, "changed my mind"}));
  return events;
}

// Appends bench orders 0, 1, ... (one append per order, its whole life) until
// the store holds `events` events or `orders` orders. Deterministic: order i
// is the same whatever the run, so a folder is resumed where it stopped.
Status AppendHistory(EventStore& store, uint64_t events, uint64_t orders) {
  const uint64_t head = store.HeadPosition().value;
  uint64_t have = 0;
  uint64_t i = 0;
  for (; i < orders && have + BenchOrderEvents(i) <= head; ++i) have += BenchOrderEvents(i);
  if (have != head) {
    return Status::FailedPrecondition("the data folder holds events other than the orders bench's");
  }
  for (; i < orders && have < events; ++i) {
    std::mt19937_64 rng(i);  // per order, so a resumed run appends the same orders
    std::vector<EventData> batch = BenchOrder(i, rng);
    DUET_RETURN_IF_ERROR(
        store.Append("order-" + BenchOrderId(i), ExpectedVersion::NoStream(), batch).status());
    have += batch.size();
  }
  return Status::OK();
}

DomainBench Bench() {
  DomainBench bench;
  bench.history = AppendHistory;
  auto order = [](uint64_t i, uint64_t keys) { return BenchOrderId((i * 2654435761u) % keys); };
  auto customer = [](uint64_t i, uint64_t keys) {
    return BenchCustomer((i * 40503u) % std::min(keys, kBenchCustomers));
  };
  bench.queries = {
      {.label = "order_status",
       .make =
           [order](uint64_t i, uint64_t keys) {
             return SampleQuery{"order-status", R"({"order":")" + order(i, keys) + "\"}"};
           }},
      {.label = "orders_by_customer",
       .make =
           [customer](uint64_t i, uint64_t keys) {
             return SampleQuery{"orders",
                                R"({"customer":")" + customer(i, keys) + R"(","limit":20})"};
           }},
      {.label = "orders_by_status",
       .make =
           [](uint64_t i, uint64_t) {
             constexpr const char* kStatuses[] = {"placed", "confirmed", "shipped", "cancelled"};
             return SampleQuery{
                 "orders", R"({"status":")" + std::string(kStatuses[i % 4]) + R"(","limit":20})"};
           }},
      {.label = "orders_all",
       .make =
           [](uint64_t, uint64_t) {
             return SampleQuery{"orders", R"({"limit":50})"};
           }},
      {.label = "search_chocolate",
       .make =
           [](uint64_t, uint64_t) {
             return SampleQuery{"search-orders", R"({"q":"chocolate"})"};
           }},
      {.label = "search_prefix",
       .make =
           [](uint64_t i, uint64_t) {
             constexpr const char* kPrefixes[] = {"choc", "tea", "cof", "dark choc"};
             return SampleQuery{"search-orders",
                                R"({"q":")" + std::string(kPrefixes[i % 4]) + "\"}"};
           }},
      {.label = "search_filtered",
       .make =
           [](uint64_t, uint64_t) {
             return SampleQuery{"search-orders", R"({"q":"chocolate","status":"cancelled"})"};
           }},
      {.label = "search_customer",
       .make =
           [customer](uint64_t i, uint64_t keys) {
             return SampleQuery{"search-orders", R"({"q":")" + customer(i, keys) + "\"}"};
           }},
      {.label = "revenue_day",
       .make =
           [](uint64_t i, uint64_t) {
             return SampleQuery{"revenue", R"({"currency":")" +
                                               std::string(kBenchCurrencies[i % 3]) +
                                               R"(","bucket":"day"})"};
           }},
      {.label = "revenue_minute",
       .make =
           [](uint64_t, uint64_t) {
             return SampleQuery{"revenue", R"({"currency":"EUR","bucket":"minute"})"};
           }},
      {.label = "orders_per_status_hour",
       .make =
           [](uint64_t, uint64_t) {
             return SampleQuery{"orders-per-status", R"({"bucket":"hour"})"};
           }},
  };
  return bench;
}

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
                           {"revenue", R"({"currency":"EUR","bucket":"day"})"}},
          .bench = Bench()};
}

}  // namespace duet::examples::orders
