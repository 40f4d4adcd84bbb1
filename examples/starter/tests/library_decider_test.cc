// The book decider, Given(history) / When(command) / Then(events or rule).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "library.h"

namespace library {
namespace {

using Events = std::vector<BookEvent>;

duet::Result<Events> When(const Events& given, const BookCommand& command) {
  return duet::DecideAfter(Books(), given, command);
}

void ExpectRule(const duet::Result<Events>& result, const std::string& rule) {
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsDomainRuleViolated()) << result.status();
  EXPECT_EQ(result.status().subject(), rule);
}

const BookAdded kDune{"b-1", "Dune", "Frank Herbert"};

TEST(BookDecider, AddsANewBook) {
  auto result = When({}, AddBook{"b-1", "Dune", "Frank Herbert"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, (Events{kDune}));
}

TEST(BookDecider, RefusesToAddABookTwice) {
  ExpectRule(When({kDune}, AddBook{"b-1", "Dune", "Frank Herbert"}), "book-already-exists");
}

TEST(BookDecider, RefusesToLendABookNeverAdded) {
  ExpectRule(When({}, LendBook{"b-1", "ada"}), "book-not-found");
}

TEST(BookDecider, LendsABookOnTheShelf) {
  auto result = When({kDune}, LendBook{"b-1", "ada"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, (Events{BookLent{"b-1", "ada"}}));
}

TEST(BookDecider, RefusesToLendABookOnLoan) {
  ExpectRule(When({kDune, BookLent{"b-1", "ada"}}, LendBook{"b-1", "bob"}), "book-on-loan");
}

TEST(BookDecider, LendsAReturnedBookOnlyToTheFirstHolder) {
  const Events given{kDune, BookLent{"b-1", "ada"}, HoldPlaced{"b-1", "bob"},
                     HoldPlaced{"b-1", "carol"}, BookReturned{"b-1", "ada"}};
  ExpectRule(When(given, LendBook{"b-1", "carol"}), "book-reserved");
  auto result = When(given, LendBook{"b-1", "bob"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, (Events{BookLent{"b-1", "bob"}}));
}

TEST(BookDecider, LendingToTheHolderTakesThemOffTheQueue) {
  const BookState state = duet::Fold(
      Books(), std::vector<BookEvent>{kDune, BookLent{"b-1", "ada"}, HoldPlaced{"b-1", "bob"},
                                      BookReturned{"b-1", "ada"}, BookLent{"b-1", "bob"}});
  EXPECT_EQ(state.borrower, "bob");
  EXPECT_TRUE(state.holds.empty());
}

TEST(BookDecider, ReturnsOnlyByTheBorrower) {
  const Events lent{kDune, BookLent{"b-1", "ada"}};
  ExpectRule(When(lent, ReturnBook{"b-1", "bob"}), "not-the-borrower");
  ExpectRule(When({kDune}, ReturnBook{"b-1", "ada"}), "book-not-on-loan");
  auto result = When(lent, ReturnBook{"b-1", "ada"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, (Events{BookReturned{"b-1", "ada"}}));
}

TEST(BookDecider, RefusesAHoldOnABookOnTheShelf) {
  ExpectRule(When({kDune}, PlaceHold{"b-1", "bob"}), "book-on-shelf");
}

TEST(BookDecider, RefusesAHoldByTheBorrowerOrTwice) {
  const Events held{kDune, BookLent{"b-1", "ada"}, HoldPlaced{"b-1", "bob"}};
  ExpectRule(When(held, PlaceHold{"b-1", "ada"}), "member-has-book");
  ExpectRule(When(held, PlaceHold{"b-1", "bob"}), "hold-already-placed");
}

TEST(BookDecider, RefusesAHoldBeyondTheQueueLimit) {
  Events given{kDune, BookLent{"b-1", "ada"}};
  for (size_t i = 0; i < kMaxHolds; ++i) {
    // Not "m" + std::to_string(i): g++ 12 warns falsely (-Wrestrict) on it.
    std::string member = "member-";
    member += std::to_string(i);
    given.push_back(HoldPlaced{"b-1", member});
  }
  ExpectRule(When(given, PlaceHold{"b-1", "late"}), "hold-queue-full");
}

TEST(BookDecider, CancelsOnlyAnExistingHold) {
  const Events held{kDune, BookLent{"b-1", "ada"}, HoldPlaced{"b-1", "bob"}};
  ExpectRule(When(held, CancelHold{"b-1", "carol"}), "no-such-hold");
  auto result = When(held, CancelHold{"b-1", "bob"});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(*result, (Events{HoldCancelled{"b-1", "bob"}}));
}

}  // namespace
}  // namespace library
