// The library's projections and queries (library_views.h).
//
// A book's document (read model "books"):
//   {book, title, author, status: "available"|"on-loan", borrower ("" when
//    available), holds: [member, ...], times_lent}
// listed under index "borrower" (the member who has it) while on loan.
// The catalogue (read model "catalogue") indexes title and author as text
// and the status as a filter.
#include "library_views.h"

#include <boost/json.hpp>
#include <string>
#include <utility>
#include <variant>

#include "library.h"

namespace library {
namespace {

namespace json = boost::json;
using duet::DocumentStore;
using duet::DocumentTxn;
using duet::ParamType;
using duet::QueryParam;
using duet::QueryParams;
using duet::QueryResult;
using duet::RecordedEvent;
using duet::Result;
using duet::SearchStore;
using duet::SearchTxn;
using duet::Status;

constexpr char kAvailable[] = "available";
constexpr char kOnLoan[] = "on-loan";
const std::vector<std::string> kEventTypes{"BookAdded", "BookLent", "BookReturned", "HoldPlaced",
                                           "HoldCancelled"};

duet::ProjectionInfo Info(std::string name, duet::ReadStoreKind store,
                          std::vector<std::string> event_types) {
  duet::ProjectionInfo info;
  info.name = std::move(name);
  info.version = 1;
  info.event_types = std::move(event_types);
  info.store = store;
  return info;
}

Result<BookEvent> Decode(const RecordedEvent& event) {
  return BookCodec().Decode(event.type, event.data);
}

const std::string& BookOf(const BookEvent& event) {
  return std::visit([](const auto& e) -> const std::string& { return e.book; }, event);
}

// -------------------------------------------------------------------- books

json::array WithoutMember(const json::array& holds, const std::string& member) {
  json::array out;
  for (const json::value& hold : holds) {
    if (!hold.is_string() || hold.get_string() != member) out.push_back(hold);
  }
  return out;
}

// Applies a loan or hold event to a book's document.
Status ApplyToBook(const BookEvent& event, json::object& doc) {
  json::array* holds = doc["holds"].if_array();
  if (holds == nullptr) return Status::Corruption("book document without holds");
  if (const auto* lent = std::get_if<BookLent>(&event)) {
    doc["status"] = kOnLoan;
    doc["borrower"] = lent->member;
    *holds = WithoutMember(*holds, lent->member);
    const json::value& times = doc["times_lent"];
    doc["times_lent"] = (times.is_int64() ? times.get_int64() : 0) + 1;
  } else if (std::holds_alternative<BookReturned>(event)) {
    doc["status"] = kAvailable;
    doc["borrower"] = "";
  } else if (const auto* placed = std::get_if<HoldPlaced>(&event)) {
    holds->push_back(json::value(placed->member));
  } else if (const auto* cancelled = std::get_if<HoldCancelled>(&event)) {
    *holds = WithoutMember(*holds, cancelled->member);
  }
  return Status::OK();
}

class BooksProjection final : public duet::DocumentProjection {
 public:
  const duet::ProjectionInfo& info() const override { return info_; }

  Status Apply(const RecordedEvent& event, DocumentTxn& txn) const override {
    DUET_ASSIGN_OR_RETURN(BookEvent decoded, Decode(event));
    const std::string& book = BookOf(decoded);
    json::object doc;
    if (const auto* added = std::get_if<BookAdded>(&decoded)) {
      doc = json::object{{"book", added->book},  {"title", added->title}, {"author", added->author},
                         {"status", kAvailable}, {"borrower", ""},        {"holds", json::array()},
                         {"times_lent", 0}};
    } else {
      DUET_ASSIGN_OR_RETURN(const json::object* stored, txn.Get(book));
      if (stored == nullptr) return Status::NotFound("book", "'" + book + "' was never added");
      doc = *stored;
      DUET_RETURN_IF_ERROR(ApplyToBook(decoded, doc));
    }
    std::vector<duet::IndexEntry> indexes;
    const json::value& borrower = doc["borrower"];
    if (borrower.is_string() && !borrower.get_string().empty()) {
      // Sorted by book id: a member's loans list in a stable order.
      indexes.push_back(
          {.index = "borrower", .value = std::string(borrower.get_string()), .sort_key = book});
    }
    return txn.Put(book, std::move(doc), std::move(indexes));
  }

 private:
  duet::ProjectionInfo info_ = Info(kBooksView, duet::ReadStoreKind::kDocument, kEventTypes);
};

// ---------------------------------------------------------------- catalogue

class CatalogueProjection final : public duet::SearchProjection {
 public:
  const duet::ProjectionInfo& info() const override { return info_; }

  // Holds do not change what the catalogue shows: only additions and loans
  // reach it.
  Status Apply(const RecordedEvent& event, SearchTxn& txn) const override {
    DUET_ASSIGN_OR_RETURN(BookEvent decoded, Decode(event));
    if (const auto* added = std::get_if<BookAdded>(&decoded)) {
      duet::SearchDocument doc;
      doc.text = {{"title", added->title}, {"author", added->author}};
      doc.filters = {{"status", kAvailable}};
      doc.stored = json::object{{"book", added->book},
                                {"title", added->title},
                                {"author", added->author},
                                {"status", kAvailable}};
      return txn.Upsert(added->book, std::move(doc));
    }
    const std::string& book = BookOf(decoded);
    DUET_ASSIGN_OR_RETURN(std::optional<duet::SearchDocument> doc, txn.Get(book));
    if (!doc) return Status::NotFound("book", "'" + book + "' was never added");
    const std::string status = std::holds_alternative<BookLent>(decoded) ? kOnLoan : kAvailable;
    doc->filters = {{"status", status}};
    doc->stored["status"] = status;
    return txn.Upsert(book, std::move(*doc));
  }

 private:
  duet::ProjectionInfo info_ =
      Info(kCatalogueView, duet::ReadStoreKind::kSearch, {"BookAdded", "BookLent", "BookReturned"});
};

// ------------------------------------------------------------------ queries

Result<QueryResult> GetBook(const QueryParams& params, DocumentStore& store) {
  const std::string book = params.String("book");
  DUET_ASSIGN_OR_RETURN(duet::DocumentRead read, store.Get(book));
  if (!read.doc) return Status::NotFound("book", "no book '" + book + "'");
  return QueryResult{.value = std::move(*read.doc), .position = read.position};
}

Result<QueryResult> MemberLoans(const QueryParams& params, DocumentStore& store) {
  duet::ListRequest request{.index = "borrower",
                            .value = params.String("member"),
                            .cursor = params.String("cursor"),
                            .limit = static_cast<size_t>(params.Integer("limit"))};
  DUET_ASSIGN_OR_RETURN(duet::DocumentPage page, store.List(request));
  json::array books;
  for (duet::Document& d : page.items) books.push_back(std::move(d.doc));
  return QueryResult{.value = duet::PageAnswer(std::move(books), page.next_cursor, "books"),
                     .position = page.position};
}

Result<QueryResult> SearchBooks(const QueryParams& params, SearchStore& store) {
  duet::SearchQuery query;
  query.text = params.String("q");
  if (params.Has("status")) query.filters = {{"status", params.String("status")}};
  query.limit = static_cast<size_t>(params.Integer("limit"));
  DUET_ASSIGN_OR_RETURN(duet::SearchResult result, store.Search(query));
  return QueryResult{.value = duet::SearchHitsAnswer(std::move(result.hits)),
                     .position = result.position};
}

// JSON Schema helpers for the answers' declared shapes.
json::object StringSchema() { return json::object{{"type", "string"}}; }
json::object StatusSchema() {
  return json::object{{"type", "string"}, {"enum", json::array{kAvailable, kOnLoan}}};
}
json::object ObjectSchema(json::object properties) {
  json::array required;
  for (const auto& property : properties) required.push_back(json::string(property.key()));
  return json::object{
      {"type", "object"}, {"properties", std::move(properties)}, {"required", std::move(required)}};
}

json::object BookSchema() {
  return ObjectSchema(
      json::object{{"book", StringSchema()},
                   {"title", StringSchema()},
                   {"author", StringSchema()},
                   {"status", StatusSchema()},
                   {"borrower", StringSchema()},
                   {"holds", json::object{{"type", "array"}, {"items", StringSchema()}}},
                   {"times_lent", json::object{{"type", "integer"}, {"minimum", 0}}}});
}

json::object MemberLoansSchema() {
  json::object schema = ObjectSchema(
      json::object{{"books", json::object{{"type", "array"}, {"items", BookSchema()}}}});
  schema["properties"].as_object()["next_cursor"] = StringSchema();
  return schema;
}

json::object SearchBooksSchema() {
  json::object hit = ObjectSchema(json::object{{"book", StringSchema()},
                                               {"title", StringSchema()},
                                               {"author", StringSchema()},
                                               {"status", StatusSchema()},
                                               {"score", json::object{{"type", "number"}}}});
  return ObjectSchema(json::object{{"hits", json::object{{"type", "array"}, {"items", hit}}}});
}

QueryParam IdParam(std::string name, std::string description) {
  return {.name = std::move(name),
          .type = ParamType::kString,
          .max_length = 128,
          .description = std::move(description)};
}

}  // namespace

std::vector<std::unique_ptr<duet::Projection>> Projections() {
  std::vector<std::unique_ptr<duet::Projection>> projections;
  projections.push_back(std::make_unique<BooksProjection>());
  projections.push_back(std::make_unique<CatalogueProjection>());
  return projections;
}

Status RegisterQueries(duet::QueryBus& bus) {
  DUET_RETURN_IF_ERROR(bus.Register({.name = "book",
                                     .read_model = kBooksView,
                                     .params = {IdParam("book", "the book copy's id")},
                                     .handler = duet::On<DocumentStore>(GetBook),
                                     .description = "one book: its status, borrower and hold queue",
                                     .result_schema = BookSchema()}));
  DUET_RETURN_IF_ERROR(bus.Register(
      {.name = "member-loans",
       .read_model = kBooksView,
       .params = {IdParam("member", "the member's id"), duet::CursorParam(), duet::LimitParam()},
       .handler = duet::On<DocumentStore>(MemberLoans),
       .description = "the books a member has on loan, by book id",
       .result_schema = MemberLoansSchema()}));
  return bus.Register({.name = "search-books",
                       .read_model = kCatalogueView,
                       .params = {{.name = "q",
                                   .type = ParamType::kString,
                                   .max_length = 200,
                                   .description = "words of the title or author"},
                                  {.name = "status",
                                   .type = ParamType::kString,
                                   .required = false,
                                   .max_length = 16,
                                   .choices = {kAvailable, kOnLoan},
                                   .description = "only books in this status"},
                                  duet::LimitParam()},
                       .handler = duet::On<SearchStore>(SearchBooks),
                       .description = "books whose title or author match words, best first",
                       .result_schema = SearchBooksSchema()});
}

}  // namespace library
