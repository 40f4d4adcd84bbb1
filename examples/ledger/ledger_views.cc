// The ledger's projections and queries (ledger_views.h).
//
// Answers (JSON):
//   balance          {account, owner, status, balances: {currency: minor units}}
//   accounts         {items: [account documents], next_cursor?}
//   statement        {account, entries: [{position, kind, currency, amount,
//                    counterparty, transfer, timestamp}], next_cursor?}
//   search-accounts  {hits: [{account, owner, status, score}]}
//   volume           {currency, bucket, rows: [{bucket_start, count, sum, min, max}]}
// next_cursor is absent on the last page.
#include "ledger/ledger_views.h"

#include <boost/json.hpp>
#include <cstdio>
#include <string>
#include <utility>
#include <variant>

#include "ledger/ledger.h"

namespace duet::examples::ledger {
namespace {

namespace json = boost::json;

template <typename... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <typename... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

ProjectionInfo Info(std::string name, ReadStoreKind store, std::vector<std::string> types) {
  ProjectionInfo info;
  info.name = std::move(name);
  info.version = 1;
  info.event_types = std::move(types);
  info.store = store;
  // A ledger read model with a skipped event would show wrong money: stop.
  info.on_failure = FailurePolicy::kStop;
  return info;
}

Result<AccountEvent> Decode(const RecordedEvent& event) {
  return AccountCodec().Decode(event.type, event.data);
}

// ------------------------------------------------------------ ledger-accounts

std::vector<IndexEntry> AccountIndexes(const std::string& account, const std::string& owner) {
  return {{"owner", owner, account}, {"all", "", account}};
}

// The account's document, to change in place (its index entries stay).
Result<json::object*> AccountForUpdate(DocumentTxn& txn, const std::string& account) {
  DUET_ASSIGN_OR_RETURN(json::object * doc, txn.GetForUpdate(account));
  if (doc == nullptr) return Status::NotFound("account", "'" + account + "' was never opened");
  return doc;
}

Status PutAccount(DocumentTxn& txn, const std::string& account, json::object doc) {
  const json::string* owner = doc["owner"].if_string();
  if (owner == nullptr) return Status::Corruption("account '" + account + "' has no owner");
  std::vector<IndexEntry> indexes = AccountIndexes(account, std::string(*owner));
  return txn.Put(account, std::move(doc), std::move(indexes));
}

Status AddToBalance(DocumentTxn& txn, const std::string& account, const std::string& currency,
                    int64_t delta) {
  DUET_ASSIGN_OR_RETURN(json::object * doc, AccountForUpdate(txn, account));
  json::value* field = doc->if_contains("balances");
  json::object* balances = field ? field->if_object() : nullptr;
  if (balances == nullptr) return Status::Corruption("account '" + account + "' has no balances");
  const json::value* current = balances->if_contains(currency);
  const int64_t before = current && current->is_int64() ? current->get_int64() : 0;
  int64_t after = 0;
  if (__builtin_add_overflow(before, delta, &after)) {
    return Status::DomainRuleViolated("balance-overflow", account + " " + currency);
  }
  (*balances)[currency] = after;
  return Status::OK();
}

class AccountsProjection final : public DocumentProjection {
 public:
  const ProjectionInfo& info() const override { return info_; }

  Status Apply(const RecordedEvent& event, DocumentTxn& txn) const override {
    DUET_ASSIGN_OR_RETURN(AccountEvent decoded, Decode(event));
    return std::visit(Overloaded{[&](const AccountOpened& e) {
                                   return PutAccount(txn, e.account,
                                                     json::object{{"account", e.account},
                                                                  {"owner", e.owner},
                                                                  {"status", "open"},
                                                                  {"balances", json::object{}}});
                                 },
                                 [&](const MoneyDeposited& e) {
                                   return AddToBalance(txn, e.account, e.currency, e.amount);
                                 },
                                 [&](const MoneyWithdrawn& e) {
                                   return AddToBalance(txn, e.account, e.currency, -e.amount);
                                 },
                                 [&](const TransferDebited& e) {
                                   return AddToBalance(txn, e.account, e.currency, -e.amount);
                                 },
                                 [&](const TransferCredited& e) {
                                   return AddToBalance(txn, e.account, e.currency, e.amount);
                                 },
                                 [&](const AccountClosed& e) -> Status {
                                   DUET_ASSIGN_OR_RETURN(json::object * doc,
                                                         AccountForUpdate(txn, e.account));
                                   (*doc)["status"] = "closed";
                                   return Status::OK();
                                 }},
                      decoded);
  }

 private:
  ProjectionInfo info_ = Info(kAccountsView, ReadStoreKind::kDocument,
                              {"AccountOpened", "MoneyDeposited", "MoneyWithdrawn",
                               "TransferDebited", "TransferCredited", "AccountClosed"});
};

// ----------------------------------------------------------- ledger-statement
//
// One document per movement, "<account>/<padded position>", listed under
// ("account", account) in position order; plus one header document per
// account, "<account>", so the statement of an unknown account is NotFound
// rather than empty. Account ids never contain '/' (ValidateId).

json::object Movement(const RecordedEvent& event, const std::string& kind,
                      const std::string& account, const std::string& currency, int64_t amount,
                      json::value counterparty, json::value transfer) {
  return json::object{{"account", account},
                      {"position", event.position.value},
                      {"kind", kind},
                      {"currency", currency},
                      {"amount", amount},
                      {"counterparty", std::move(counterparty)},
                      {"transfer", std::move(transfer)},
                      {"timestamp", FormatUtcTimestamp(event.timestamp_us)}};
}

Status PutMovement(DocumentTxn& txn, const RecordedEvent& event, const std::string& account,
                   json::object movement) {
  const std::string padded = PositionSortKey(event.position);
  return txn.Put(account + "/" + padded, std::move(movement), {{"account", account, padded}});
}

class StatementProjection final : public DocumentProjection {
 public:
  const ProjectionInfo& info() const override { return info_; }

  Status Apply(const RecordedEvent& event, DocumentTxn& txn) const override {
    DUET_ASSIGN_OR_RETURN(AccountEvent decoded, Decode(event));
    const json::value none(nullptr);
    return std::visit(
        Overloaded{
            [&](const AccountOpened& e) {
              return txn.Put(e.account, json::object{{"account", e.account}, {"owner", e.owner}});
            },
            [&](const MoneyDeposited& e) {
              return PutMovement(
                  txn, event, e.account,
                  Movement(event, "deposit", e.account, e.currency, e.amount, none, none));
            },
            [&](const MoneyWithdrawn& e) {
              return PutMovement(
                  txn, event, e.account,
                  Movement(event, "withdrawal", e.account, e.currency, -e.amount, none, none));
            },
            [&](const TransferDebited& e) {
              return PutMovement(txn, event, e.account,
                                 Movement(event, "transfer-debit", e.account, e.currency, -e.amount,
                                          json::value(e.to), json::value(e.transfer)));
            },
            [&](const TransferCredited& e) {
              return PutMovement(txn, event, e.account,
                                 Movement(event, "transfer-credit", e.account, e.currency, e.amount,
                                          json::value(e.from), json::value(e.transfer)));
            },
            [&](const AccountClosed&) { return Status::OK(); }},
        decoded);
  }

 private:
  ProjectionInfo info_ = Info(
      kStatementView, ReadStoreKind::kDocument,
      {"AccountOpened", "MoneyDeposited", "MoneyWithdrawn", "TransferDebited", "TransferCredited"});
};

// -------------------------------------------------------------- ledger-search

SearchDocument AccountSearchDocument(const std::string& account, const std::string& owner,
                                     const std::string& status) {
  SearchDocument doc;
  doc.text = {{"account", account}, {"owner", owner}};
  doc.filters = {{"status", status}};
  doc.stored = json::object{{"account", account}, {"owner", owner}, {"status", status}};
  return doc;
}

class SearchAccountsProjection final : public SearchProjection {
 public:
  const ProjectionInfo& info() const override { return info_; }

  Status Apply(const RecordedEvent& event, SearchTxn& txn) const override {
    DUET_ASSIGN_OR_RETURN(AccountEvent decoded, Decode(event));
    if (const auto* opened = std::get_if<AccountOpened>(&decoded)) {
      return txn.Upsert(opened->account,
                        AccountSearchDocument(opened->account, opened->owner, "open"));
    }
    const auto* closed = std::get_if<AccountClosed>(&decoded);
    if (closed == nullptr) return Status::OK();
    DUET_ASSIGN_OR_RETURN(std::optional<SearchDocument> doc, txn.Get(closed->account));
    if (!doc) return Status::NotFound("account", "'" + closed->account + "' was never opened");
    doc->filters = {{"status", "closed"}};
    doc->stored["status"] = "closed";
    return txn.Upsert(closed->account, std::move(*doc));
  }

 private:
  ProjectionInfo info_ =
      Info(kSearchView, ReadStoreKind::kSearch, {"AccountOpened", "AccountClosed"});
};

// -------------------------------------------------------------- ledger-volume
//
// Measure "volume": one observation per movement of money, dimensions
// currency and kind (deposit, withdrawal, transfer: a transfer counts once,
// at its debit).

class VolumeProjection final : public AnalyticsProjection {
 public:
  const ProjectionInfo& info() const override { return info_; }

  Status Apply(const RecordedEvent& event, AnalyticsTxn& txn) const override {
    DUET_ASSIGN_OR_RETURN(AccountEvent decoded, Decode(event));
    const auto record = [&](const std::string& currency, const char* kind, int64_t amount) {
      return txn.Record("volume", {{"currency", currency}, {"kind", kind}}, event.timestamp_us,
                        amount);
    };
    return std::visit(
        Overloaded{
            [&](const MoneyDeposited& e) { return record(e.currency, "deposit", e.amount); },
            [&](const MoneyWithdrawn& e) { return record(e.currency, "withdrawal", e.amount); },
            [&](const TransferDebited& e) { return record(e.currency, "transfer", e.amount); },
            [&](const auto&) { return Status::OK(); }},
        decoded);
  }

 private:
  ProjectionInfo info_ = Info(kVolumeView, ReadStoreKind::kAnalytics,
                              {"MoneyDeposited", "MoneyWithdrawn", "TransferDebited"});
};

// -------------------------------------------------------------------- queries

QueryParam Id(std::string name, std::string description) {
  return {.name = std::move(name), .max_length = 128, .description = std::move(description)};
}

// JSON Schemas of the answers (QueryDefinition::result_schema), built from
// what the handlers above and PageAnswer/SearchHitsAnswer/AnalyticsRowsAnswer
// produce: every member they always write is required, none other is allowed.
using answer_schema::ArrayOf;
using answer_schema::Enum;
using answer_schema::Int64;
using answer_schema::Object;
using answer_schema::String;
using answer_schema::Timestamp;

json::object AccountSchema() {
  return Object({{"account", String("the account's id")},
                 {"owner", String("the account holder")},
                 {"status", Enum({"open", "closed"}, "the account's state")},
                 {"balances",
                  {{"type", "object"},
                   {"description", "minor units per currency held (zero balances kept)"},
                   {"additionalProperties", Int64("minor units")}}}},
                {"account", "owner", "status", "balances"});
}

json::object NextCursor() {
  return String("pass as `cursor` for the next page; absent on the last page");
}

json::object MovementSchema() {
  const json::object nullable_text{{"type", json::array{"string", "null"}}};
  json::object counterparty = nullable_text, transfer = nullable_text;
  counterparty["description"] = "the other account of a transfer; null otherwise";
  transfer["description"] = "the transfer's id; null for deposits and withdrawals";
  return Object(
      {{"position", Int64("the event's global position")},
       {"kind", Enum({"deposit", "withdrawal", "transfer-debit", "transfer-credit"}, "")},
       {"currency", String("3 upper-case letters")},
       {"amount", Int64("minor units: positive in, negative out")},
       {"counterparty", std::move(counterparty)},
       {"transfer", std::move(transfer)},
       {"timestamp", Timestamp()}},
      {"position", "kind", "currency", "amount", "counterparty", "transfer", "timestamp"});
}

json::object BucketRowsSchema(std::string_view currency_description) {
  json::object row = Object({{"bucket_start", Timestamp()},
                             {"count", Int64("observations in the bucket")},
                             {"sum", Int64("minor units")},
                             {"min", Int64("minor units")},
                             {"max", Int64("minor units")}},
                            {"bucket_start", "count", "sum", "min", "max"});
  return Object({{"currency", String(currency_description)},
                 {"bucket", Enum({"minute", "hour", "day"}, "the bucket size")},
                 {"rows", ArrayOf(std::move(row))}},
                {"currency", "bucket", "rows"});
}

Result<QueryResult> Balance(const QueryParams& params, DocumentStore& store) {
  const std::string account = params.String("account");
  DUET_ASSIGN_OR_RETURN(DocumentRead read, store.Get(account));
  if (!read.doc) return Status::NotFound("account", "no account '" + account + "'");
  return QueryResult{std::move(*read.doc), read.position};
}

Result<QueryResult> ListAccounts(const QueryParams& params, DocumentStore& store) {
  ListRequest request;
  request.index = params.Has("owner") ? "owner" : "all";
  request.value = params.String("owner");
  request.cursor = params.String("cursor");
  request.limit = static_cast<size_t>(params.Integer("limit"));
  DUET_ASSIGN_OR_RETURN(DocumentPage page, store.List(request));
  json::array items;
  for (Document& d : page.items) items.push_back(std::move(d.doc));
  return QueryResult{PageAnswer(std::move(items), page.next_cursor), page.position};
}

Result<QueryResult> Statement(const QueryParams& params, DocumentStore& store) {
  const std::string account = params.String("account");
  DUET_ASSIGN_OR_RETURN(DocumentRead header, store.Get(account));
  if (!header.doc) return Status::NotFound("account", "no account '" + account + "'");
  // Two reads: the answer reports the later one's position, which the header
  // also holds at (accounts are never removed from this read model).
  ListRequest request{"account", account, params.String("cursor"),
                      static_cast<size_t>(params.Integer("limit"))};
  DUET_ASSIGN_OR_RETURN(DocumentPage page, store.List(request));
  json::array entries;
  for (Document& d : page.items) {
    d.doc.erase("account");
    entries.push_back(std::move(d.doc));
  }
  json::object out = PageAnswer(std::move(entries), page.next_cursor, "entries");
  out["account"] = account;
  return QueryResult{std::move(out), page.position};
}

Result<QueryResult> SearchAccounts(const QueryParams& params, SearchStore& store) {
  SearchQuery query;
  query.text = params.String("q");
  if (params.Has("status")) query.filters = {{"status", params.String("status")}};
  query.limit = static_cast<size_t>(params.Integer("limit"));
  DUET_ASSIGN_OR_RETURN(SearchResult result, store.Search(query));
  return QueryResult{SearchHitsAnswer(std::move(result.hits)), result.position};
}

Result<QueryResult> Volume(const QueryParams& params, AnalyticsStore& store) {
  const std::string currency = params.String("currency");
  DUET_RETURN_IF_ERROR(ValidateCurrency("currency", currency));
  AnalyticsQuery query;
  query.measure = "volume";
  query.filters = {{"currency", currency}};
  if (params.Has("kind")) query.filters.emplace_back("kind", params.String("kind"));
  query.bucket = params.Bucket("bucket");
  DUET_ASSIGN_OR_RETURN(AnalyticsResult result, store.Aggregate(query));
  return QueryResult{json::object{{"currency", currency},
                                  {"bucket", TimeBucketName(query.bucket)},
                                  {"rows", AnalyticsRowsAnswer(result.rows)}},
                     result.position};
}

}  // namespace

std::vector<std::unique_ptr<Projection>> LedgerProjections() {
  std::vector<std::unique_ptr<Projection>> projections;
  projections.push_back(std::make_unique<AccountsProjection>());
  projections.push_back(std::make_unique<StatementProjection>());
  projections.push_back(std::make_unique<SearchAccountsProjection>());
  projections.push_back(std::make_unique<VolumeProjection>());
  return projections;
}

Status RegisterLedgerQueries(QueryBus& bus) {
  DUET_RETURN_IF_ERROR(bus.Register({.name = "balance",
                                     .read_model = kAccountsView,
                                     .params = {Id("account", "the account's id")},
                                     .handler = On<DocumentStore>(Balance),
                                     .description = "an account's balance per currency",
                                     .result_schema = AccountSchema()}));
  DUET_RETURN_IF_ERROR(bus.Register(
      {.name = "accounts",
       .read_model = kAccountsView,
       .params = {{.name = "owner",
                   .required = false,
                   .max_length = 200,
                   .description = "only this owner's accounts"},
                  CursorParam(),
                  LimitParam()},
       .handler = On<DocumentStore>(ListAccounts),
       .description = "accounts, all or one owner's, by account id",
       .result_schema = Object({{"items", ArrayOf(AccountSchema())}, {"next_cursor", NextCursor()}},
                               {"items"})}));
  DUET_RETURN_IF_ERROR(
      bus.Register({.name = "statement",
                    .read_model = kStatementView,
                    .params = {Id("account", "the account's id"), CursorParam(), LimitParam()},
                    .handler = On<DocumentStore>(Statement),
                    .description = "an account's movements, oldest first",
                    .result_schema = Object({{"account", String("the account's id")},
                                             {"entries", ArrayOf(MovementSchema())},
                                             {"next_cursor", NextCursor()}},
                                            {"account", "entries"})}));
  json::object hit =
      Object({{"account", String("the account's id")},
              {"owner", String("the account holder")},
              {"status", Enum({"open", "closed"}, "the account's state")},
              {"score", {{"type", "number"}, {"description", "higher ranks first"}}}},
             {"account", "owner", "status", "score"});
  DUET_RETURN_IF_ERROR(
      bus.Register({.name = "search-accounts",
                    .read_model = kSearchView,
                    .params = {{.name = "q",
                                .max_length = 200,
                                .description = "words to find in ids and owners"},
                               {.name = "status",
                                .required = false,
                                .max_length = 16,
                                .choices = {"open", "closed"},
                                .description = "only accounts in this state"},
                               LimitParam()},
                    .handler = On<SearchStore>(SearchAccounts),
                    .description = "accounts whose id or owner match words",
                    .result_schema = Object({{"hits", ArrayOf(std::move(hit))}}, {"hits"})}));
  return bus.Register({.name = "volume",
                       .read_model = kVolumeView,
                       .params = {{.name = "currency",
                                   .max_length = 3,
                                   .description = "3 upper-case letters, e.g. USD"},
                                  {.name = "bucket",
                                   .type = ParamType::kBucket,
                                   .description = "the time bucket: minute, hour or day"},
                                  {.name = "kind",
                                   .required = false,
                                   .max_length = 16,
                                   .choices = {"deposit", "withdrawal", "transfer"},
                                   .description = "only this kind of movement"}},
                       .handler = On<AnalyticsStore>(Volume),
                       .description = "money moved per time bucket in one currency",
                       .result_schema = BucketRowsSchema("the currency asked for")});
}

}  // namespace duet::examples::ledger
