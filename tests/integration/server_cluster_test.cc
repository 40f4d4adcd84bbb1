// Acceptance: one command node and two query nodes following it converge to
// identical read models; a query node SIGKILLed and restarted resumes from
// its checkpoints (answering while the command node is away) and converges
// again once the command node is back.
#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <vector>

#include "tests/integration/server_test_support.h"
#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {
namespace json = boost::json;

constexpr int kAccounts = 12;
constexpr int kOrders = 6;

class ServerClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    command_ = StartDuet(dir_ / "command", {"--role", "command"});
    ASSERT_NE(command_, nullptr);
    for (const char* name : {"query1", "query2"}) {
      queries_.push_back(StartDuet(dir_ / name, {"--role", "query", "--follow", command_->url()}));
      ASSERT_NE(queries_.back(), nullptr);
    }
    writer_ = std::make_unique<Api>(command_->port());
  }
  void TearDown() override {
    if (!HasFailure()) return;
    for (ServerProcess* p : {command_.get(), queries_.size() > 0 ? queries_[0].get() : nullptr,
                             queries_.size() > 1 ? queries_[1].get() : nullptr}) {
      if (p != nullptr) std::cerr << "--- " << p->url() << " ---\n" << p->log();
    }
  }

  // A round of commands on both domains; returns the last position.
  uint64_t Drive(int round) {
    uint64_t last = 0;
    auto expect_ok = [&](const Reply& reply) {
      EXPECT_EQ(reply.status, 200u) << reply.Describe();
      if (reply.status == 200) last = std::max(last, UintOf(reply["position"]));
    };
    for (int a = 0; a < kAccounts; ++a) {
      const std::string id = "acc" + std::to_string(a);
      if (round == 0)
        expect_ok(writer_->Command("OpenAccount", {{"account", id}, {"owner", "O" + id}}));
      expect_ok(writer_->Command(
          "Deposit", {{"account", id}, {"currency", "USD"}, {"amount", 100 + a + round}}));
      if (a > 0) {
        expect_ok(writer_->Command(
            "Transfer",
            {{"from", id}, {"to", "acc0"}, {"currency", "USD"}, {"amount", 1 + round}}));
      }
    }
    for (int o = 0; o < kOrders; ++o) {
      const std::string id = "r" + std::to_string(round) + "-o" + std::to_string(o);
      json::object item{{"sku", "s" + std::to_string(o)},
                        {"name", "Thing"},
                        {"qty", 1 + o},
                        {"price", 250},
                        {"currency", "EUR"}};
      expect_ok(writer_->Command(
          "PlaceOrder", {{"order", id}, {"customer", "Cust"}, {"items", json::array{item}}}));
      if (o % 2 == 0) expect_ok(writer_->Command("ConfirmOrder", {{"order", id}}));
    }
    return last;
  }

  // The answers of a fixed set of queries on one node, read at >= `position`.
  std::vector<std::string> Answers(uint16_t port, uint64_t position, int rounds) {
    Api api(port);
    std::vector<std::string> answers;
    auto add = [&](std::string_view name, const std::string& params) {
      Reply reply = api.Query(name, params, position);
      EXPECT_EQ(reply.status, 200u) << name << "?" << params << ": " << reply.Describe();
      answers.push_back(std::string(name) + "?" + params + " " + json::serialize(reply["data"]));
    };
    for (int a = 0; a < kAccounts; ++a) add("balance", "account=acc" + std::to_string(a));
    add("accounts", "limit=100");
    add("statement", "account=acc0&limit=100");
    for (int r = 0; r < rounds; ++r) {
      for (int o = 0; o < kOrders; ++o) {
        add("order-status", "order=r" + std::to_string(r) + "-o" + std::to_string(o));
      }
    }
    add("orders", "customer=Cust&limit=100");
    add("orders-per-status", "bucket=day");
    return answers;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> command_;
  std::vector<std::unique_ptr<ServerProcess>> queries_;
  std::unique_ptr<Api> writer_;
};

TEST_F(ServerClusterTest, QueryNodesConvergeToIdenticalReadModels) {
  const uint64_t position = Drive(0);
  ASSERT_GT(position, 0u);
  const std::vector<std::string> first = Answers(queries_[0]->port(), position, 1);
  const std::vector<std::string> second = Answers(queries_[1]->port(), position, 1);
  EXPECT_EQ(first, second);
  // acc0 received one transfer of 1 from each other account.
  Api api(queries_[0]->port());
  Reply acc0 = api.Query("balance", "account=acc0", position);
  EXPECT_EQ(acc0["data"].at("balances").at("USD"), 100 + (kAccounts - 1)) << acc0.Describe();
  // A query node refuses writes.
  Api query_node(queries_[0]->port());
  Reply refused = query_node.Command("OpenAccount", {{"account", "x"}, {"owner", "X"}});
  EXPECT_EQ(refused.status, 421u) << refused.Describe();
  EXPECT_EQ(refused["code"], "wrong_role") << refused.Describe();
  EXPECT_EQ(writer_->Head(), position);
}

TEST_F(ServerClusterTest, KilledQueryNodeResumesFromItsCheckpointAndConvergesAgain) {
  const uint64_t first_position = Drive(0);
  const std::vector<std::string> before = Answers(queries_[0]->port(), first_position, 1);
  ASSERT_EQ(before, Answers(queries_[1]->port(), first_position, 1));

  ASSERT_TRUE(queries_[0]->Kill().ok());
  const uint16_t command_port = command_->port();
  ASSERT_TRUE(command_->Terminate().ok());
  // With the command node away, the restarted query node can only answer
  // from what its data folder kept: its checkpoints reach first_position.
  ASSERT_TRUE(queries_[0]->Restart().ok()) << queries_[0]->log();
  EXPECT_EQ(Answers(queries_[0]->port(), first_position, 1), before);

  ASSERT_TRUE(command_->Restart(command_port).ok());  // same URL for the followers
  writer_->Reconnect(command_->port());
  const uint64_t second_position = Drive(1);
  ASSERT_GT(second_position, first_position);
  EXPECT_EQ(Answers(queries_[0]->port(), second_position, 2),
            Answers(queries_[1]->port(), second_position, 2));
}

}  // namespace
}  // namespace duet::testing
