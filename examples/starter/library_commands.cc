// The library's commands as the outside world sends them: each one's
// contract (its fields, declared once: the bus checks bodies against it, the
// server documents it at /openapi.json, `help command` prints it), its JSON
// decoder, and the decider that handles it.
#include <duet/contract.h>
#include <duet/json_reader.h>

#include "library.h"

namespace library {
namespace {

using duet::CommandType;
using duet::DecideOn;
using duet::FieldSpec;
using duet::FieldType;
using duet::JsonReader;
using duet::Result;
using duet::Status;

FieldSpec BookField() {
  return {.name = "book",
          .type = FieldType::kString,
          .description = "the book copy's id",
          .pattern = {duet::kIdPattern, "must be 1..128 of A-Z a-z 0-9 . _ : @ -"}};
}

FieldSpec MemberField() {
  return {.name = "member",
          .type = FieldType::kString,
          .description = "the library member's id",
          .pattern = {duet::kIdPattern, "must be 1..128 of A-Z a-z 0-9 . _ : @ -"}};
}

FieldSpec TextField(std::string name, std::string description) {
  return {.name = std::move(name),
          .type = FieldType::kString,
          .description = std::move(description),
          .min_length = 1,
          .max_length = 200};
}

// The four (book, member) commands share their fields and their decoder.
template <typename Cmd>
Result<Cmd> DecodeBookAndMember(JsonReader& f) {
  return Cmd{f.String("book"), f.String("member")};
}

template <typename Cmd>
CommandType<Cmd> BookAndMemberCommand(std::string_view name, std::string description,
                                      std::string example) {
  return {.name = name,
          .decode = DecodeBookAndMember<Cmd>,
          .fields = {BookField(), MemberField()},
          .description = std::move(description),
          .example = std::move(example)};
}

}  // namespace

Status RegisterCommands(duet::CommandBus& bus) {
  const BookDecider& books = Books();
  DUET_RETURN_IF_ERROR(bus.Register(
      CommandType<AddBook>{
          .name = "AddBook",
          .decode = [](JsonReader& f) -> Result<AddBook> {
            return AddBook{f.String("book"), f.String("title"), f.String("author")};
          },
          .fields = {BookField(), TextField("title", "the book's title"),
                     TextField("author", "who wrote it")},
          .description = "adds a book copy to the library's shelves",
          .example = R"({"book":"b-1","title":"Dune","author":"Frank Herbert"})"},
      DecideOn(books, &AddBook::book)));
  DUET_RETURN_IF_ERROR(bus.Register(
      BookAndMemberCommand<LendBook>("LendBook",
                                     "lends a book on the shelf to a member (the first holder, "
                                     "if it is held)",
                                     R"({"book":"b-1","member":"ada"})"),
      DecideOn(books, &LendBook::book)));
  DUET_RETURN_IF_ERROR(
      bus.Register(BookAndMemberCommand<ReturnBook>("ReturnBook", "the borrower brings a book back",
                                                    R"({"book":"b-1","member":"ada"})"),
                   DecideOn(books, &ReturnBook::book)));
  DUET_RETURN_IF_ERROR(bus.Register(
      BookAndMemberCommand<PlaceHold>("PlaceHold", "a member queues for a book that is out",
                                      R"({"book":"b-1","member":"bob"})"),
      DecideOn(books, &PlaceHold::book)));
  return bus.Register(
      BookAndMemberCommand<CancelHold>("CancelHold", "a member leaves a book's hold queue",
                                       R"({"book":"b-1","member":"bob"})"),
      DecideOn(books, &CancelHold::book));
}

}  // namespace library
