// The library's read side: two projections in two kinds of read store, and
// the queries that answer from them.
//
// Read models (projection names) and their queries:
//   books      (document)  book {book}; member-loans {member, cursor?, limit?}
//   catalogue  (search)    search-books {q, status?, limit?}
// The answers' shapes are declared with each query (result_schema) in
// library_views.cc and published at /openapi.json.
#ifndef DUET_STARTER_LIBRARY_VIEWS_H_
#define DUET_STARTER_LIBRARY_VIEWS_H_

#include <duet/projection.h>
#include <duet/query_bus.h>
#include <duet/status.h>

#include <memory>
#include <vector>

namespace library {

inline constexpr char kBooksView[] = "books";
inline constexpr char kCatalogueView[] = "catalogue";

// The two projections above, new instances on every call.
std::vector<std::unique_ptr<duet::Projection>> Projections();

// Registers book, member-loans and search-books.
duet::Status RegisterQueries(duet::QueryBus& bus);

}  // namespace library

#endif  // DUET_STARTER_LIBRARY_VIEWS_H_
