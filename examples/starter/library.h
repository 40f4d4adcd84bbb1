// Library loans with holds: the starter domain, written only against the
// installed Duet package (<duet/...>), the way a user's own domain is.
//
// Each book copy is an aggregate in stream "book-<id>":
//   AddBook -> LendBook -> ReturnBook -> LendBook ...
//   PlaceHold while the book is out: members queue for it; when it comes
//   back, only the first member in the queue may borrow it.
//   CancelHold leaves the queue.
// Rules (DomainRuleViolated subjects):
//   book-already-exists   AddBook with an id already added
//   book-not-found        any other command on a book never added
//   book-on-loan          LendBook while someone has the book
//   book-reserved         LendBook to anyone but the first member holding it
//   book-not-on-loan      ReturnBook of a book on the shelf
//   not-the-borrower      ReturnBook by a member who does not have it
//   book-on-shelf         PlaceHold on a book nobody has or holds: borrow it
//   member-has-book       PlaceHold by the member who has the book
//   hold-already-placed   PlaceHold twice by one member
//   hold-queue-full       PlaceHold beyond kMaxHolds members
//   no-such-hold          CancelHold by a member not in the queue
#ifndef DUET_STARTER_LIBRARY_H_
#define DUET_STARTER_LIBRARY_H_

#include <duet/app.h>
#include <duet/codec.h>
#include <duet/command_bus.h>
#include <duet/decider.h>
#include <duet/result.h>

#include <cstddef>
#include <string>
#include <variant>
#include <vector>

namespace library {

// A longer queue means a wait of many loan periods: the library buys a copy.
inline constexpr size_t kMaxHolds = 5;

// --- Commands ---
struct AddBook {
  std::string book;
  std::string title;
  std::string author;
};
struct LendBook {
  std::string book;
  std::string member;
};
struct ReturnBook {
  std::string book;
  std::string member;
};
struct PlaceHold {
  std::string book;
  std::string member;
};
struct CancelHold {
  std::string book;
  std::string member;
};
using BookCommand = std::variant<AddBook, LendBook, ReturnBook, PlaceHold, CancelHold>;

// --- Events (their persisted names are in library_codec.cc) ---
struct BookAdded {
  std::string book;
  std::string title;
  std::string author;
  friend bool operator==(const BookAdded&, const BookAdded&) = default;
};
// Lending to the first member in the hold queue also takes them off it.
struct BookLent {
  std::string book;
  std::string member;
  friend bool operator==(const BookLent&, const BookLent&) = default;
};
struct BookReturned {
  std::string book;
  std::string member;
  friend bool operator==(const BookReturned&, const BookReturned&) = default;
};
struct HoldPlaced {
  std::string book;
  std::string member;
  friend bool operator==(const HoldPlaced&, const HoldPlaced&) = default;
};
struct HoldCancelled {
  std::string book;
  std::string member;
  friend bool operator==(const HoldCancelled&, const HoldCancelled&) = default;
};
using BookEvent = std::variant<BookAdded, BookLent, BookReturned, HoldPlaced, HoldCancelled>;

// --- State ---
struct BookState {
  bool added = false;
  std::string title;
  std::string borrower;            // empty: on the shelf
  std::vector<std::string> holds;  // first come, first served
  friend bool operator==(const BookState&, const BookState&) = default;
};

using BookDecider = duet::Decider<BookCommand, BookState, BookEvent>;

// The book aggregate (category "book").
const BookDecider& Books();
const duet::EventCodec<BookEvent>& BookCodec();

duet::Result<std::vector<BookEvent>> DecideBook(const BookCommand& command, const BookState& state);
BookState EvolveBook(BookState state, const BookEvent& event);

// Registers AddBook, LendBook, ReturnBook, PlaceHold and CancelHold, each
// with its contract.
duet::Status RegisterCommands(duet::CommandBus& bus);

// The library domain as one value: commands, projections, queries, tour.
duet::Domain Domain();

}  // namespace library

#endif  // DUET_STARTER_LIBRARY_H_
