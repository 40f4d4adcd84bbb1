// The orders' projections and queries (orders_views.h).
//
// Answers (JSON):
//   order-status       {order, customer, status, items: [{sku, name, qty, price,
//                      currency}], total, currency, placed_at, updated_at, reason?}
//   orders             {items: [order documents as above], next_cursor?}
//   search-orders      {hits: [{order, customer, status, score}]}
//   revenue            {currency, bucket, rows: [{bucket_start, count, sum, min, max}]}
//   orders-per-status  {bucket, rows: [{bucket_start, status, count}]}
// Lists are in the order the orders were placed; next_cursor is absent on the
// last page. Statuses: placed, confirmed, shipped, cancelled.
#include "orders/orders_views.h"

#include <boost/json.hpp>
#include <cstdio>
#include <string>
#include <utility>
#include <variant>

#include "orders/orders.h"
#include "orders/orders_json.h"

namespace duet::examples::orders {
namespace {

namespace json = boost::json;

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

constexpr std::string_view kStatuses[] = {"placed", "confirmed", "shipped", "cancelled"};

ProjectionInfo Info(std::string name, ReadStoreKind store, std::vector<std::string> types) {
  ProjectionInfo info;
  info.name = std::move(name);
  info.version = 1;
  info.event_types = std::move(types);
  info.store = store;
  info.on_failure = FailurePolicy::kStop;
  return info;
}

Result<OrderEvent> Decode(const RecordedEvent& event) {
  return OrderCodec().Decode(event.type, event.data);
}

// The status an event moves its order to; empty for ItemAdded.
std::string_view StatusAfter(const OrderEvent& event) {
  return std::visit(Overloaded{[](const OrderPlaced&) { return kStatuses[0]; },
                               [](const ItemAdded&) { return std::string_view(); },
                               [](const OrderConfirmed&) { return kStatuses[1]; },
                               [](const OrderShipped&) { return kStatuses[2]; },
                               [](const OrderCancelled&) { return kStatuses[3]; }},
                    event);
}

// --------------------------------------------------------------------- orders

std::string StringField(const json::object& doc, std::string_view field) {
  const json::value* value = doc.if_contains(field);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

// Every order is listed under all four indexes, ordered by when it was
// placed. "customer-status" joins the two with '|': statuses have none, so
// the last '|' separates them whatever the customer name holds.
Status PutOrder(DocumentTxn& txn, const std::string& order, json::object doc) {
  const std::string customer = StringField(doc, "customer");
  const std::string status = StringField(doc, "status");
  // A number read back from a persistent store's JSON is int64 when it fits,
  // whatever kind it was written as: accept both.
  const json::value* placed = doc.if_contains("placed_position");
  uint64_t placed_position = 0;
  if (placed != nullptr && placed->is_uint64()) {
    placed_position = placed->get_uint64();
  } else if (placed != nullptr && placed->is_int64() && placed->get_int64() > 0) {
    placed_position = static_cast<uint64_t>(placed->get_int64());
  } else {
    return Status::Corruption("order '" + order + "' has no placed_position");
  }
  const std::string sort = PositionSortKey(GlobalPosition(placed_position));
  std::vector<IndexEntry> indexes{{"customer", customer, sort},
                                  {"status", status, sort},
                                  {"customer-status", customer + "|" + status, sort},
                                  {"all", "", sort}};
  return txn.Put(order, std::move(doc), std::move(indexes));
}

Result<json::object> LoadOrder(DocumentTxn& txn, const std::string& order) {
  DUET_ASSIGN_OR_RETURN(const json::object* doc, txn.Get(order));
  if (doc == nullptr) return Status::NotFound("order", "'" + order + "' was never placed");
  return *doc;
}

json::object PlacedOrder(const RecordedEvent& event, const OrderPlaced& e, int64_t total) {
  const std::string when = FormatUtcTimestamp(event.timestamp_us);
  return json::object{{"order", e.order},
                      {"customer", e.customer},
                      {"status", kStatuses[0]},
                      {"items", EncodeItems(e.items)},
                      {"total", total},
                      {"currency", e.items.empty() ? std::string() : e.items[0].currency},
                      {"placed_at", when},
                      {"updated_at", when},
                      {"placed_position", event.position.value}};
}

Status AddItem(json::object& doc, const Item& item) {
  DUET_ASSIGN_OR_RETURN(int64_t line, OrderTotal({item}));
  const json::value& total = doc["total"];
  int64_t sum = 0;
  if (!total.is_int64() || __builtin_add_overflow(total.get_int64(), line, &sum)) {
    return Status::InvalidArgument("items", "order total overflows a 64-bit integer");
  }
  doc["total"] = sum;
  json::array* items = doc["items"].if_array();
  if (items == nullptr) return Status::Corruption("order has no items array");
  items->push_back(EncodeItem(item));
  if (StringField(doc, "currency").empty()) doc["currency"] = item.currency;
  return Status::OK();
}

class OrdersProjection final : public DocumentProjection {
 public:
  const ProjectionInfo& info() const override { return info_; }

  Status Apply(const RecordedEvent& event, DocumentTxn& txn) const override {
    DUET_ASSIGN_OR_RETURN(OrderEvent decoded, Decode(event));
    if (const auto* placed = std::get_if<OrderPlaced>(&decoded)) {
      DUET_ASSIGN_OR_RETURN(int64_t total, OrderTotal(placed->items));
      return PutOrder(txn, placed->order, PlacedOrder(event, *placed, total));
    }
    const std::string order = std::visit([](const auto& e) { return e.order; }, decoded);
    DUET_ASSIGN_OR_RETURN(json::object doc, LoadOrder(txn, order));
    doc["updated_at"] = FormatUtcTimestamp(event.timestamp_us);
    if (const auto* added = std::get_if<ItemAdded>(&decoded)) {
      DUET_RETURN_IF_ERROR(AddItem(doc, added->item));
    } else {
      doc["status"] = StatusAfter(decoded);
    }
    if (const auto* confirmed = std::get_if<OrderConfirmed>(&decoded)) {
      doc["total"] = confirmed->total;  // the decider's figure is authoritative
      doc["currency"] = confirmed->currency;
    }
    if (const auto* cancelled = std::get_if<OrderCancelled>(&decoded)) {
      doc["reason"] = cancelled->reason;
    }
    return PutOrder(txn, order, std::move(doc));
  }

 private:
  ProjectionInfo info_ =
      Info(kOrdersView, ReadStoreKind::kDocument,
           {"OrderPlaced", "ItemAdded", "OrderConfirmed", "OrderShipped", "OrderCancelled"});
};

// -------------------------------------------------------------- orders-search

std::string ItemNames(const std::vector<Item>& items) {
  std::string names;
  for (const Item& item : items) {
    if (!names.empty()) names += ' ';
    names += item.name;
  }
  return names;
}

class OrdersSearchProjection final : public SearchProjection {
 public:
  const ProjectionInfo& info() const override { return info_; }

  Status Apply(const RecordedEvent& event, SearchTxn& txn) const override {
    DUET_ASSIGN_OR_RETURN(OrderEvent decoded, Decode(event));
    if (const auto* placed = std::get_if<OrderPlaced>(&decoded)) {
      SearchDocument doc;
      doc.text = {{"customer", placed->customer}, {"items", ItemNames(placed->items)}};
      doc.filters = {{"status", std::string(kStatuses[0])}};
      doc.stored = json::object{
          {"order", placed->order}, {"customer", placed->customer}, {"status", kStatuses[0]}};
      return txn.Upsert(placed->order, std::move(doc));
    }
    const std::string order = std::visit([](const auto& e) { return e.order; }, decoded);
    DUET_ASSIGN_OR_RETURN(std::optional<SearchDocument> doc, txn.Get(order));
    if (!doc) return Status::NotFound("order", "'" + order + "' was never placed");
    if (const auto* added = std::get_if<ItemAdded>(&decoded)) {
      for (auto& [field, text] : doc->text) {
        if (field == "items") text += (text.empty() ? "" : " ") + added->item.name;
      }
    } else {
      const std::string status(StatusAfter(decoded));
      doc->filters = {{"status", status}};
      doc->stored["status"] = status;
    }
    return txn.Upsert(order, std::move(*doc));
  }

 private:
  ProjectionInfo info_ =
      Info(kOrdersSearchView, ReadStoreKind::kSearch,
           {"OrderPlaced", "ItemAdded", "OrderConfirmed", "OrderShipped", "OrderCancelled"});
};

// ------------------------------------------------------------- orders-revenue
//
// Measure "revenue": each confirmed order's total, dimension currency.
// Measure "orders": 1 at every status change, dimension status (the status
// entered), so its count per bucket is how many orders entered each status.

class RevenueProjection final : public AnalyticsProjection {
 public:
  const ProjectionInfo& info() const override { return info_; }

  Status Apply(const RecordedEvent& event, AnalyticsTxn& txn) const override {
    DUET_ASSIGN_OR_RETURN(OrderEvent decoded, Decode(event));
    if (const auto* confirmed = std::get_if<OrderConfirmed>(&decoded)) {
      DUET_RETURN_IF_ERROR(txn.Record("revenue", {{"currency", confirmed->currency}},
                                      event.timestamp_us, confirmed->total));
    }
    const std::string status(StatusAfter(decoded));
    if (status.empty()) return Status::OK();
    return txn.Record("orders", {{"status", status}}, event.timestamp_us, 1);
  }

 private:
  ProjectionInfo info_ = Info(kRevenueView, ReadStoreKind::kAnalytics,
                              {"OrderPlaced", "OrderConfirmed", "OrderShipped", "OrderCancelled"});
};

// -------------------------------------------------------------------- queries

QueryParam StatusParam() {
  return {.name = "status",
          .required = false,
          .max_length = 16,
          .choices = std::vector<std::string>(std::begin(kStatuses), std::end(kStatuses)),
          .description = "only orders in this status"};
}

QueryParam BucketParam() {
  return {.name = "bucket",
          .type = ParamType::kBucket,
          .description = "the time bucket: minute, hour or day"};
}

// JSON Schemas of the answers (QueryDefinition::result_schema), built from
// what the handlers below and PageAnswer/SearchHitsAnswer/AnalyticsRowsAnswer
// produce: every member they always write is required, none other is allowed.
using answer_schema::ArrayOf;
using answer_schema::Enum;
using answer_schema::Int64;
using answer_schema::Object;
using answer_schema::String;
using answer_schema::Timestamp;

json::object StatusSchema() {
  return Enum({kStatuses[0], kStatuses[1], kStatuses[2], kStatuses[3]});
}
json::object OrderSchema() {
  json::object item = Object({{"sku", String("the product's id")},
                              {"name", String("the product's name")},
                              {"qty", Int64("units")},
                              {"price", Int64("per unit, minor units")},
                              {"currency", String("3 upper-case letters")}},
                             {"sku", "name", "qty", "price", "currency"});
  return Object(
      {{"order", String("the order's id")},
       {"customer", String("who ordered")},
       {"status", StatusSchema()},
       {"items", ArrayOf(std::move(item))},
       {"total", Int64("sum of qty * price, minor units")},
       {"currency", String("the order's currency; empty while it has no items")},
       {"placed_at", Timestamp("when it was placed")},
       {"updated_at", Timestamp("when it last changed")},
       {"reason", String("why it was cancelled (cancelled orders only)")}},
      {"order", "customer", "status", "items", "total", "currency", "placed_at", "updated_at"});
}

json::object BucketStart() { return Timestamp("the bucket's start (UTC)"); }

json::object BucketSchema() { return Enum({"minute", "hour", "day"}, "the bucket size asked for"); }
json::object OrderAnswer(json::object doc) {
  doc.erase("placed_position");  // the read model's sort key, not part of the answer
  return doc;
}

Result<QueryResult> OrderStatus(const QueryParams& params, DocumentStore& store) {
  const std::string order = params.String("order");
  DUET_ASSIGN_OR_RETURN(DocumentRead read, store.Get(order));
  if (!read.doc) return Status::NotFound("order", "no order '" + order + "'");
  return QueryResult{OrderAnswer(std::move(*read.doc)), read.position};
}

ListRequest OrdersListRequest(const QueryParams& params) {
  ListRequest request;
  const bool by_customer = params.Has("customer");
  const bool by_status = params.Has("status");
  if (by_customer && by_status) {
    request.index = "customer-status";
    request.value = params.String("customer") + "|" + params.String("status");
  } else if (by_customer || by_status) {
    request.index = by_customer ? "customer" : "status";
    request.value = params.String(request.index);
  } else {
    request.index = "all";
  }
  request.cursor = params.String("cursor");
  request.limit = static_cast<size_t>(params.Integer("limit"));
  return request;
}

Result<QueryResult> ListOrders(const QueryParams& params, DocumentStore& store) {
  DUET_ASSIGN_OR_RETURN(DocumentPage page, store.List(OrdersListRequest(params)));
  json::array items;
  for (Document& d : page.items) items.push_back(OrderAnswer(std::move(d.doc)));
  return QueryResult{PageAnswer(std::move(items), page.next_cursor), page.position};
}

Result<QueryResult> SearchOrders(const QueryParams& params, SearchStore& store) {
  SearchQuery query;
  query.text = params.String("q");
  if (params.Has("status")) query.filters = {{"status", params.String("status")}};
  query.limit = static_cast<size_t>(params.Integer("limit"));
  DUET_ASSIGN_OR_RETURN(SearchResult result, store.Search(query));
  return QueryResult{SearchHitsAnswer(std::move(result.hits)), result.position};
}

Result<QueryResult> Revenue(const QueryParams& params, AnalyticsStore& store) {
  const std::string currency = params.String("currency");
  DUET_RETURN_IF_ERROR(ValidateCurrency("currency", currency));
  AnalyticsQuery query;
  query.measure = "revenue";
  query.filters = {{"currency", currency}};
  query.bucket = params.Bucket("bucket");
  DUET_ASSIGN_OR_RETURN(AnalyticsResult result, store.Aggregate(query));
  return QueryResult{json::object{{"currency", currency},
                                  {"bucket", TimeBucketName(query.bucket)},
                                  {"rows", AnalyticsRowsAnswer(result.rows)}},
                     result.position};
}

Result<QueryResult> OrdersPerStatus(const QueryParams& params, AnalyticsStore& store) {
  AnalyticsQuery query;
  query.measure = "orders";
  if (params.Has("status")) query.filters = {{"status", params.String("status")}};
  query.group_by = {"status"};
  query.bucket = params.Bucket("bucket");
  DUET_ASSIGN_OR_RETURN(AnalyticsResult result, store.Aggregate(query));
  json::array rows;
  for (const AnalyticsRow& row : result.rows) {
    rows.push_back(json::object{{"bucket_start", FormatUtcTimestamp(row.bucket_start_us)},
                                {"status", row.group.empty() ? std::string() : row.group[0]},
                                {"count", row.count}});
  }
  return QueryResult{
      json::object{{"bucket", TimeBucketName(query.bucket)}, {"rows", std::move(rows)}},
      result.position};
}

}  // namespace

std::vector<std::unique_ptr<Projection>> OrdersProjections() {
  std::vector<std::unique_ptr<Projection>> projections;
  projections.push_back(std::make_unique<OrdersProjection>());
  projections.push_back(std::make_unique<OrdersSearchProjection>());
  projections.push_back(std::make_unique<RevenueProjection>());
  return projections;
}

Status RegisterOrdersQueries(QueryBus& bus) {
  DUET_RETURN_IF_ERROR(bus.Register(
      {.name = "order-status",
       .read_model = kOrdersView,
       .params = {{.name = "order", .max_length = 128, .description = "the order's id"}},
       .handler = On<DocumentStore>(OrderStatus),
       .description = "one order: status, items, total",
       .result_schema = OrderSchema()}));
  DUET_RETURN_IF_ERROR(bus.Register(
      {.name = "orders",
       .read_model = kOrdersView,
       .params = {{.name = "customer",
                   .required = false,
                   .max_length = 200,
                   .description = "only this customer's orders"},
                  StatusParam(),
                  CursorParam(),
                  LimitParam()},
       .handler = On<DocumentStore>(ListOrders),
       .description = "orders, by customer and/or status, in placing order",
       .result_schema = Object(
           {{"items", ArrayOf(OrderSchema())},
            {"next_cursor", String("pass as `cursor` for the next page; absent on the last page")}},
           {"items"})}));
  json::object hit =
      Object({{"order", String("the order's id")},
              {"customer", String("who ordered")},
              {"status", StatusSchema()},
              {"score", {{"type", "number"}, {"description", "higher ranks first"}}}},
             {"order", "customer", "status", "score"});
  DUET_RETURN_IF_ERROR(
      bus.Register({.name = "search-orders",
                    .read_model = kOrdersSearchView,
                    .params = {{.name = "q",
                                .max_length = 200,
                                .description = "words to find in customers and item names"},
                               StatusParam(),
                               LimitParam()},
                    .handler = On<SearchStore>(SearchOrders),
                    .description = "orders whose customer or item names match words",
                    .result_schema = Object({{"hits", ArrayOf(std::move(hit))}}, {"hits"})}));
  json::object revenue_row = Object({{"bucket_start", BucketStart()},
                                     {"count", Int64("orders confirmed in the bucket")},
                                     {"sum", Int64("their revenue, minor units")},
                                     {"min", Int64("the smallest order, minor units")},
                                     {"max", Int64("the largest order, minor units")}},
                                    {"bucket_start", "count", "sum", "min", "max"});
  DUET_RETURN_IF_ERROR(
      bus.Register({.name = "revenue",
                    .read_model = kRevenueView,
                    .params = {{.name = "currency",
                                .max_length = 3,
                                .description = "3 upper-case letters, e.g. EUR"},
                               BucketParam()},
                    .handler = On<AnalyticsStore>(Revenue),
                    .description = "confirmed orders' revenue per time bucket in one currency",
                    .result_schema = Object({{"currency", String("the currency asked for")},
                                             {"bucket", BucketSchema()},
                                             {"rows", ArrayOf(std::move(revenue_row))}},
                                            {"currency", "bucket", "rows"})}));
  json::object status_row = Object({{"bucket_start", BucketStart()},
                                    {"status", StatusSchema()},
                                    {"count", Int64("orders that entered the status")}},
                                   {"bucket_start", "status", "count"});
  return bus.Register({.name = "orders-per-status",
                       .read_model = kRevenueView,
                       .params = {BucketParam(), StatusParam()},
                       .handler = On<AnalyticsStore>(OrdersPerStatus),
                       .description = "how many orders entered each status per time bucket",
                       .result_schema = Object(
                           {{"bucket", BucketSchema()}, {"rows", ArrayOf(std::move(status_row))}},
                           {"bucket", "rows"})});
}

}  // namespace duet::examples::orders
