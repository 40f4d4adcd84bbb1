// How the library's events are persisted. The event names are the stable
// persisted types: never rename them, whatever the C++ types become.
#include <boost/json.hpp>

#include "library.h"

namespace library {
namespace {

namespace json = boost::json;
using duet::EventType;
using duet::JsonReader;
using duet::Result;

// Four of the five events are (book, member): one encoder and decoder each.
template <typename E>
json::object EncodeLoan(const E& e) {
  return json::object{{"book", e.book}, {"member", e.member}};
}
template <typename E>
Result<E> DecodeLoan(JsonReader& f) {
  return E{f.String("book"), f.String("member")};
}

duet::EventCodec<BookEvent> MakeCodec() {
  return duet::EventCodec<BookEvent>{
      EventType<BookAdded>{
          "BookAdded",
          [](const BookAdded& e) {
            return json::object{{"book", e.book}, {"title", e.title}, {"author", e.author}};
          },
          [](JsonReader& f) -> Result<BookAdded> {
            return BookAdded{f.String("book"), f.String("title"), f.String("author")};
          }},
      EventType<BookLent>{"BookLent", EncodeLoan<BookLent>, DecodeLoan<BookLent>},
      EventType<BookReturned>{"BookReturned", EncodeLoan<BookReturned>, DecodeLoan<BookReturned>},
      EventType<HoldPlaced>{"HoldPlaced", EncodeLoan<HoldPlaced>, DecodeLoan<HoldPlaced>},
      EventType<HoldCancelled>{"HoldCancelled", EncodeLoan<HoldCancelled>,
                               DecodeLoan<HoldCancelled>},
  };
}

}  // namespace

const duet::EventCodec<BookEvent>& BookCodec() {
  static const duet::EventCodec<BookEvent> codec = MakeCodec();
  return codec;
}

const BookDecider& Books() {
  // No state codec: a book's history is short, so it is never snapshotted.
  static const BookDecider books{.category = "book",
                                 .initial = BookState{},
                                 .decide = DecideBook,
                                 .evolve = EvolveBook,
                                 .codec = &BookCodec()};
  return books;
}

}  // namespace library
