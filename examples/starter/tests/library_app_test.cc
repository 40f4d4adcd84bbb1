// The library's commands and queries through App::Open (role all, a fresh
// data folder): the contracts refuse bad input naming the field, the rules
// refuse with their names, and the read models answer what was decided.
#include <duet/app.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "library.h"

namespace library {
namespace {

using namespace std::chrono_literals;

class LibraryAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "library-app-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto app = duet::App::Open({Domain()}, {.data = dir_ / "data", .role = duet::AppRole::kAll});
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = std::move(app).value();
  }
  void TearDown() override {
    app_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  duet::Result<duet::CommandResult> Send(std::string_view type, std::string_view json) {
    return app_->commands()->Dispatch(type, json);
  }

  // Answers `name` once its read model has reached `position`.
  duet::Result<duet::QueryAnswer> Ask(std::string name, std::string_view params,
                                      duet::GlobalPosition position) {
    auto object = duet::ParseJsonObject(params, "params");
    if (!object.ok()) return object.status();
    return app_->queries()->Execute(
        {.name = std::move(name), .params = *object, .min_position = position, .timeout = 10s});
  }

  std::filesystem::path dir_;
  std::unique_ptr<duet::App> app_;
};

TEST_F(LibraryAppTest, RefusesABodyThatBreaksTheContractNamingTheField) {
  auto missing = Send("LendBook", R"({"book":"b-1"})");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsInvalidArgument()) << missing.status();
  EXPECT_EQ(missing.status().subject(), "member");

  auto bad_id = Send("AddBook", R"({"book":"no spaces","title":"Dune","author":"F. H."})");
  ASSERT_FALSE(bad_id.ok());
  EXPECT_EQ(bad_id.status().subject(), "book");

  auto unknown = Send("AddBook", R"({"book":"b-1","title":"Dune","author":"F. H.","isbn":"1"})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().subject(), "isbn");
  // Nothing of the refused commands reached the log.
  EXPECT_EQ(app_->store()->HeadPosition(), duet::kNoPosition);
}

TEST_F(LibraryAppTest, RefusesALoanOfABookOnLoanByItsRuleName) {
  ASSERT_TRUE(Send("AddBook", R"({"book":"b-1","title":"Dune","author":"Frank Herbert"})").ok());
  ASSERT_TRUE(Send("LendBook", R"({"book":"b-1","member":"ada"})").ok());
  auto refused = Send("LendBook", R"({"book":"b-1","member":"bob"})");
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsDomainRuleViolated()) << refused.status();
  EXPECT_EQ(refused.status().subject(), "book-on-loan");
}

TEST_F(LibraryAppTest, ReadModelsAnswerWhatTheCommandsDecided) {
  ASSERT_TRUE(Send("AddBook", R"({"book":"b-1","title":"Dune","author":"Frank Herbert"})").ok());
  ASSERT_TRUE(Send("LendBook", R"({"book":"b-1","member":"ada"})").ok());
  auto held = Send("PlaceHold", R"({"book":"b-1","member":"bob"})");
  ASSERT_TRUE(held.ok()) << held.status();

  auto book = Ask("book", R"({"book":"b-1"})", held->position);
  ASSERT_TRUE(book.ok()) << book.status();
  EXPECT_GE(book->position, held->position);
  const auto& doc = book->result.as_object();
  EXPECT_EQ(doc.at("status"), "on-loan");
  EXPECT_EQ(doc.at("borrower"), "ada");
  EXPECT_EQ(doc.at("holds"), boost::json::array{"bob"});

  auto loans = Ask("member-loans", R"({"member":"ada"})", held->position);
  ASSERT_TRUE(loans.ok()) << loans.status();
  ASSERT_EQ(loans->result.at("books").as_array().size(), 1u);

  auto found = Ask("search-books", R"({"q":"herb","status":"on-loan"})", held->position);
  ASSERT_TRUE(found.ok()) << found.status();
  const auto& hits = found->result.at("hits").as_array();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].at("book"), "b-1");
}

TEST_F(LibraryAppTest, RefusesAQueryParameterOutsideItsChoices) {
  auto answer = Ask("search-books", R"({"q":"dune","status":"lost"})", duet::kNoPosition);
  ASSERT_FALSE(answer.ok());
  EXPECT_TRUE(answer.status().IsInvalidArgument()) << answer.status();
  EXPECT_EQ(answer.status().subject(), "status");
}

}  // namespace
}  // namespace library
