// The library as one value (duet/app.h): what a program hands to duet::Main
// or duet::Server::Start to serve it.
#include "library.h"
#include "library_views.h"

namespace library {
namespace {

// `library demo`: a loan, a refused second loan, a hold, and the hold
// honoured when the book comes back.
std::vector<duet::SampleCommand> Tour() {
  return {
      {.type = "AddBook",
       .json = R"({"book":"b-1","title":"Dune","author":"Frank Herbert"})",
       .note = "Add two books"},
      {.type = "AddBook",
       .json =
           R"({"book":"b-2","title":"The Left Hand of Darkness","author":"Ursula K. Le Guin"})"},
      {.type = "LendBook", .json = R"({"book":"b-1","member":"ada"})", .note = "Ada borrows Dune"},
      {.type = "LendBook",
       .json = R"({"book":"b-1","member":"bob"})",
       .note = "Bob cannot: Ada has it (book-on-loan)"},
      {.type = "PlaceHold", .json = R"({"book":"b-1","member":"bob"})", .note = "Bob holds it"},
      {.type = "ReturnBook", .json = R"({"book":"b-1","member":"ada"})"},
      {.type = "LendBook",
       .json = R"({"book":"b-1","member":"carol"})",
       .note = "Carol cannot: it is held for Bob (book-reserved)"},
      {.type = "LendBook", .json = R"({"book":"b-1","member":"bob"})", .note = "Bob gets it"},
  };
}

}  // namespace

duet::Domain Domain() {
  return {.name = "library",
          .register_commands = RegisterCommands,
          .projections = Projections,
          .register_queries = RegisterQueries,
          .tour = Tour(),
          .tour_queries = {{.name = "book", .params_json = R"({"book":"b-1"})"},
                           {.name = "member-loans", .params_json = R"({"member":"bob"})"},
                           {.name = "search-books", .params_json = R"({"q":"dune"})"}}};
}

}  // namespace library
