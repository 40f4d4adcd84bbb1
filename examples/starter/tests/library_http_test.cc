// The starter's own binary over HTTP, as it is deployed: a command node and a
// query node following it (`library serve --role command|query`), each on
// port 0 with its own data folder. Commands go to the command node; queries
// to the query node with min_position (read-your-writes), so the answer must
// hold what the command wrote however far the follower lags.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "child_process.h"
#include "http_client.h"

namespace library {
namespace {

using namespace std::chrono_literals;
using testing::ChildProcess;
using testing::HttpAnswer;
using testing::HttpRequest;

class LibraryHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "library-http-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto command = ChildProcess::Start({LIBRARY_BINARY, "serve", "--role", "command", "--port", "0",
                                        "--data", (dir_ / "command").string()});
    ASSERT_TRUE(command.ok()) << command.status();
    command_ = std::move(command).value();
    auto command_port = command_->WaitForServingPort(60s);
    ASSERT_TRUE(command_port.ok()) << command_port.status();
    command_port_ = *command_port;

    const std::string follow = "http://127.0.0.1:" + std::to_string(command_port_);
    auto query = ChildProcess::Start({LIBRARY_BINARY, "serve", "--role", "query", "--follow",
                                      follow, "--port", "0", "--data", (dir_ / "query").string()});
    ASSERT_TRUE(query.ok()) << query.status();
    query_ = std::move(query).value();
    auto query_port = query_->WaitForServingPort(60s);
    ASSERT_TRUE(query_port.ok()) << query_port.status();
    query_port_ = *query_port;
  }

  void TearDown() override {
    // Both nodes stop cleanly on SIGTERM (exit code 0), the query node first
    // so that it does not retry a vanished feed.
    for (auto* node : {&query_, &command_}) {
      if (*node == nullptr) continue;
      auto exit_code = (*node)->Stop(30s);
      EXPECT_TRUE(exit_code.ok()) << exit_code.status();
      if (exit_code.ok()) {
        EXPECT_EQ(*exit_code, 0);
      }
      node->reset();
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // POSTs a command; the answer's JSON object (with "status" added).
  boost::json::object Post(std::string_view type, std::string_view body) {
    auto answer = HttpRequest(command_port_, "POST", "/commands/" + std::string(type), body);
    EXPECT_TRUE(answer.ok()) << answer.status();
    if (!answer.ok()) return {};
    return Parse(*answer);
  }

  boost::json::object Get(uint16_t port, const std::string& target) {
    auto answer = HttpRequest(port, "GET", target);
    EXPECT_TRUE(answer.ok()) << answer.status();
    if (!answer.ok()) return {};
    return Parse(*answer);
  }

  static boost::json::object Parse(const HttpAnswer& answer) {
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(answer.body, ec);
    EXPECT_FALSE(ec) << answer.body;
    boost::json::object object = value.is_object() ? value.get_object() : boost::json::object{};
    object["http_status"] = answer.status;
    return object;
  }

  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> command_;
  std::unique_ptr<ChildProcess> query_;
  uint16_t command_port_ = 0;
  uint16_t query_port_ = 0;
};

TEST_F(LibraryHttpTest, QueryNodeAnswersWhatTheCommandNodeWroteAtItsPosition) {
  EXPECT_EQ(
      Post("AddBook", R"({"book":"b-1","title":"Dune","author":"Frank Herbert"})")["http_status"],
      200);
  EXPECT_EQ(Post("LendBook", R"({"book":"b-1","member":"ada"})")["http_status"], 200);
  boost::json::object held = Post("PlaceHold", R"({"book":"b-1","member":"bob"})");
  ASSERT_EQ(held["http_status"], 200) << held;
  const uint64_t position = held.at("position").to_number<uint64_t>();

  boost::json::object answer =
      Get(query_port_,
          "/queries/book?book=b-1&min_position=" + std::to_string(position) + "&timeout_ms=20000");
  ASSERT_EQ(answer["http_status"], 200) << answer;
  EXPECT_GE(answer.at("position").to_number<uint64_t>(), position);
  EXPECT_EQ(answer.at("read_model"), "books");
  const boost::json::object& book = answer.at("data").as_object();
  EXPECT_EQ(book.at("status"), "on-loan");
  EXPECT_EQ(book.at("borrower"), "ada");
  EXPECT_EQ(book.at("holds"), boost::json::array{"bob"});
}

TEST_F(LibraryHttpTest, CommandNodeRefusesBadInputAndBrokenRulesAsProblems) {
  boost::json::object bad = Post("LendBook", R"({"book":"b-1"})");
  EXPECT_EQ(bad["http_status"], 400) << bad;
  EXPECT_EQ(bad["subject"], "member") << bad;

  boost::json::object unknown = Post("LendBook", R"({"book":"b-1","member":"ada"})");
  EXPECT_EQ(unknown["http_status"], 422) << unknown;
  EXPECT_EQ(unknown["subject"], "book-not-found") << unknown;
}

}  // namespace
}  // namespace library
