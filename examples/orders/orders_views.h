// The orders' read side: projections that build read models from the order
// events, and the queries that answer from them. Written on Duet's public API
// only, as a user would.
//
// Read models (projection names) and their queries:
//   orders          (document)  order-status {order};
//                               orders {customer?, status?, cursor?, limit?}
//   orders-search   (search)    search-orders {q, status?, limit?}
//   orders-revenue  (analytics) revenue {currency, bucket};
//                               orders-per-status {bucket, status?}
// The answers' JSON shapes are in orders_views.cc, next to the code that
// builds them.
#ifndef DUET_EXAMPLES_ORDERS_ORDERS_VIEWS_H_
#define DUET_EXAMPLES_ORDERS_ORDERS_VIEWS_H_

#include <duet/projection.h>
#include <duet/query_bus.h>
#include <duet/status.h>

#include <memory>
#include <vector>

namespace duet::examples::orders {

inline constexpr char kOrdersView[] = "orders";
inline constexpr char kOrdersSearchView[] = "orders-search";
inline constexpr char kRevenueView[] = "orders-revenue";

// The three projections above, for ProjectionEngine::Add.
std::vector<std::unique_ptr<Projection>> OrdersProjections();

// Registers order-status, orders, search-orders, revenue and orders-per-status.
Status RegisterOrdersQueries(QueryBus& bus);

}  // namespace duet::examples::orders

#endif  // DUET_EXAMPLES_ORDERS_ORDERS_VIEWS_H_
