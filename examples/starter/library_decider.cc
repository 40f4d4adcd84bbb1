// The pure part of the library: decide and evolve. No clock, no I/O.
#include <algorithm>
#include <type_traits>

#include "library.h"

namespace library {
namespace {

using duet::Result;
using duet::Status;
using Events = std::vector<BookEvent>;

Status Rule(std::string_view rule, const std::string& book, std::string_view what) {
  return Status::DomainRuleViolated(rule, "book '" + book + "' " + std::string(what));
}

bool Holds(const BookState& s, const std::string& member) {
  return std::find(s.holds.begin(), s.holds.end(), member) != s.holds.end();
}

// Every command but AddBook needs a book the library has.
Status RequireAdded(const BookState& s, const std::string& book) {
  return s.added ? Status::OK() : Rule("book-not-found", book, "is not in the library");
}

Result<Events> Add(const AddBook& c, const BookState& s) {
  if (s.added) return Rule("book-already-exists", c.book, "is already in the library");
  return Events{BookAdded{c.book, c.title, c.author}};
}

Result<Events> Lend(const LendBook& c, const BookState& s) {
  DUET_RETURN_IF_ERROR(RequireAdded(s, c.book));
  if (!s.borrower.empty()) return Rule("book-on-loan", c.book, "is on loan to " + s.borrower);
  if (!s.holds.empty() && s.holds.front() != c.member) {
    return Rule("book-reserved", c.book, "is held for " + s.holds.front());
  }
  return Events{BookLent{c.book, c.member}};
}

Result<Events> Return(const ReturnBook& c, const BookState& s) {
  DUET_RETURN_IF_ERROR(RequireAdded(s, c.book));
  if (s.borrower.empty()) return Rule("book-not-on-loan", c.book, "is on the shelf");
  if (s.borrower != c.member) {
    return Rule("not-the-borrower", c.book, "is on loan to another member");
  }
  return Events{BookReturned{c.book, c.member}};
}

Result<Events> Hold(const PlaceHold& c, const BookState& s) {
  DUET_RETURN_IF_ERROR(RequireAdded(s, c.book));
  if (s.borrower.empty() && s.holds.empty()) {
    return Rule("book-on-shelf", c.book, "is on the shelf: borrow it instead");
  }
  if (s.borrower == c.member) return Rule("member-has-book", c.book, "is on loan to them");
  if (Holds(s, c.member)) return Rule("hold-already-placed", c.book, "is already held by them");
  if (s.holds.size() >= kMaxHolds) {
    return Rule("hold-queue-full", c.book, "has " + std::to_string(kMaxHolds) + " holds");
  }
  return Events{HoldPlaced{c.book, c.member}};
}

Result<Events> Cancel(const CancelHold& c, const BookState& s) {
  DUET_RETURN_IF_ERROR(RequireAdded(s, c.book));
  if (!Holds(s, c.member)) return Rule("no-such-hold", c.book, "is not held by " + c.member);
  return Events{HoldCancelled{c.book, c.member}};
}

void RemoveHold(BookState& s, const std::string& member) {
  s.holds.erase(std::remove(s.holds.begin(), s.holds.end(), member), s.holds.end());
}

}  // namespace

Result<std::vector<BookEvent>> DecideBook(const BookCommand& command, const BookState& state) {
  return std::visit(
      [&state](const auto& c) -> Result<Events> {
        using C = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<C, AddBook>) return Add(c, state);
        if constexpr (std::is_same_v<C, LendBook>) return Lend(c, state);
        if constexpr (std::is_same_v<C, ReturnBook>) return Return(c, state);
        if constexpr (std::is_same_v<C, PlaceHold>) return Hold(c, state);
        if constexpr (std::is_same_v<C, CancelHold>) return Cancel(c, state);
      },
      command);
}

BookState EvolveBook(BookState s, const BookEvent& event) {
  std::visit(
      [&s](const auto& e) {
        using E = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<E, BookAdded>) {
          s.added = true;
          s.title = e.title;
        } else if constexpr (std::is_same_v<E, BookLent>) {
          s.borrower = e.member;
          RemoveHold(s, e.member);
        } else if constexpr (std::is_same_v<E, BookReturned>) {
          s.borrower.clear();
        } else if constexpr (std::is_same_v<E, HoldPlaced>) {
          s.holds.push_back(e.member);
        } else if constexpr (std::is_same_v<E, HoldCancelled>) {
          RemoveHold(s, e.member);
        }
      },
      event);
  return s;
}

}  // namespace library
