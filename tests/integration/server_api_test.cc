// Acceptance: a `duet serve --role all` process driven over HTTP. Commands
// then queries with read-your-writes for both example domains, idempotency,
// raw streams, the log, the live feed, and the operational routes.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/server_test_support.h"
#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {
namespace json = boost::json;

class ServerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = StartDuet(dir_ / "data");
    ASSERT_NE(server_, nullptr);
    api_ = std::make_unique<Api>(server_->port());
  }
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) std::cerr << "--- server log ---\n" << server_->log();
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<Api> api_;
};

TEST_F(ServerApiTest, LedgerCommandThenQueryReadsItsWrite) {
  Reply opened = api_->Command("OpenAccount", {{"account", "alice"}, {"owner", "Alice"}});
  ASSERT_EQ(opened.status, 200u) << opened.Describe();
  EXPECT_EQ(opened["stream"], "account-alice");
  EXPECT_EQ(opened["version"], 0);
  EXPECT_EQ(opened["duplicate"], false);
  ASSERT_TRUE(opened["streams"].is_array());
  uint64_t last = UintOf(opened["position"]);
  for (int64_t amount : {1000, 250}) {
    Reply deposit =
        api_->Command("Deposit", {{"account", "alice"}, {"currency", "USD"}, {"amount", amount}});
    ASSERT_EQ(deposit.status, 200u) << deposit.Describe();
    EXPECT_GT(UintOf(deposit["position"]), last);
    last = UintOf(deposit["position"]);
  }
  Reply withdraw =
      api_->Command("Withdraw", {{"account", "alice"}, {"currency", "USD"}, {"amount", 100}});
  ASSERT_EQ(withdraw.status, 200u) << withdraw.Describe();
  last = UintOf(withdraw["position"]);
  EXPECT_EQ(withdraw["version"], 3);

  Reply balance = api_->Query("balance", "account=alice", last);
  ASSERT_EQ(balance.status, 200u) << balance.Describe();
  EXPECT_GE(UintOf(balance["position"]), last);
  EXPECT_EQ(balance["read_model"], "ledger-accounts");
  EXPECT_EQ(balance["data"].at("balances").at("USD"), 1150) << balance.Describe();
  EXPECT_EQ(balance["data"].at("owner"), "Alice");

  Reply statement = api_->Query("statement", "account=alice&limit=10", last);
  ASSERT_EQ(statement.status, 200u) << statement.Describe();
  EXPECT_EQ(statement["data"].at("entries").as_array().size(), 3u) << statement.Describe();
}

TEST_F(ServerApiTest, TransferTouchesTwoStreamsAtomically) {
  for (const char* id : {"a1", "a2"}) {
    ASSERT_EQ(api_->Command("OpenAccount", {{"account", id}, {"owner", "Owner"}}).status, 200u);
  }
  ASSERT_EQ(
      api_->Command("Deposit", {{"account", "a1"}, {"currency", "EUR"}, {"amount", 70}}).status,
      200u);
  Reply transfer = api_->Command(
      "Transfer", {{"from", "a1"}, {"to", "a2"}, {"currency", "EUR"}, {"amount", 30}});
  ASSERT_EQ(transfer.status, 200u) << transfer.Describe();
  EXPECT_EQ(transfer["streams"].as_array().size(), 2u) << transfer.Describe();
  const uint64_t position = UintOf(transfer["position"]);
  EXPECT_EQ(api_->Query("balance", "account=a1", position)["data"].at("balances").at("EUR"), 40);
  EXPECT_EQ(api_->Query("balance", "account=a2", position)["data"].at("balances").at("EUR"), 30);
}

TEST_F(ServerApiTest, OrdersCommandThenQueryReadsItsWrite) {
  json::object item{
      {"sku", "tea"}, {"name", "Green tea"}, {"qty", 2}, {"price", 450}, {"currency", "EUR"}};
  Reply placed = api_->Command(
      "PlaceOrder", {{"order", "o-1"}, {"customer", "Carol"}, {"items", json::array{item}}});
  ASSERT_EQ(placed.status, 200u) << placed.Describe();
  EXPECT_EQ(placed["stream"], "order-o-1");
  Reply status = api_->Query("order-status", "order=o-1", UintOf(placed["position"]));
  ASSERT_EQ(status.status, 200u) << status.Describe();
  EXPECT_EQ(status["data"].at("status"), "placed");

  item["sku"] = "mug";
  item["qty"] = 1;
  item["price"] = 900;
  ASSERT_EQ(api_->Command("AddItem", {{"order", "o-1"}, {"item", item}}).status, 200u);
  Reply confirmed = api_->Command("ConfirmOrder", {{"order", "o-1"}});
  ASSERT_EQ(confirmed.status, 200u) << confirmed.Describe();
  status = api_->Query("order-status", "order=o-1", UintOf(confirmed["position"]));
  ASSERT_EQ(status.status, 200u) << status.Describe();
  EXPECT_EQ(status["data"].at("status"), "confirmed");
  EXPECT_EQ(status["data"].at("total"), 1800);
  EXPECT_EQ(status["data"].at("items").as_array().size(), 2u);
  EXPECT_EQ(status["read_model"], "orders");
}

TEST_F(ServerApiTest, IdempotencyKeyAppendsOnce) {
  ASSERT_EQ(api_->Command("OpenAccount", {{"account", "bob"}, {"owner", "Bob"}}).status, 200u);
  const follow::HttpHeaders key{{"Idempotency-Key", "3b1f6a52-8f0e-4c7d-9a11-5e2b7c9d0f44"}};
  json::object deposit{{"account", "bob"}, {"currency", "USD"}, {"amount", 5}};
  Reply first = api_->Command("Deposit", deposit, key);
  ASSERT_EQ(first.status, 200u) << first.Describe();
  const uint64_t head = api_->Head();
  Reply again = api_->Command("Deposit", deposit, key);
  ASSERT_EQ(again.status, 200u) << again.Describe();
  EXPECT_EQ(again["duplicate"], true);
  EXPECT_EQ(again["position"], first["position"]);
  EXPECT_EQ(api_->Head(), head);
  Reply balance = api_->Query("balance", "account=bob", head);
  EXPECT_EQ(balance["data"].at("balances").at("USD"), 5) << balance.Describe();
}

TEST_F(ServerApiTest, IdempotencyKeyReusedForAnotherRequestIs422AndAppendsNothing) {
  ASSERT_EQ(api_->Command("OpenAccount", {{"account", "cy"}, {"owner", "Cy"}}).status, 200u);
  const follow::HttpHeaders key{{"Idempotency-Key", "reused-key-1"}};
  Reply first =
      api_->Post("/commands/Deposit", R"({"account":"cy","currency":"USD","amount":5})", key);
  ASSERT_EQ(first.status, 200u) << first.Describe();
  const uint64_t head = api_->Head();
  // The same JSON value in another key order and spacing is the same request.
  Reply same = api_->Post("/commands/Deposit",
                          "{ \"amount\": 5, \"currency\": \"USD\", \"account\": \"cy\" }", key);
  ASSERT_EQ(same.status, 200u) << same.Describe();
  EXPECT_EQ(same["duplicate"], true);
  EXPECT_EQ(same["position"], first["position"]);
  // Another body, or another command type, under the same key.
  ExpectProblem(
      api_->Post("/commands/Deposit", R"({"account":"cy","currency":"USD","amount":6})", key), 422,
      "idempotency_key_reused", "command_id");
  ExpectProblem(
      api_->Post("/commands/Withdraw", R"({"account":"cy","currency":"USD","amount":5})", key), 422,
      "idempotency_key_reused", "command_id");
  EXPECT_EQ(api_->Head(), head);
  Reply balance = api_->Query("balance", "account=cy", head);
  EXPECT_EQ(balance["data"].at("balances").at("USD"), 5) << balance.Describe();
}

TEST_F(ServerApiTest, AppendsAndReadsRawStreamsAndTheLog) {
  const std::string batch =
      R"([{"type":"MessageReceived","data":{"text":"hi"},"metadata":{"source":"test"}},)"
      R"( {"type":"MessageRead","data":"plain text"}])";
  Reply appended = api_->Post("/streams/inbox-1", batch, {{"Expected-Version", "no_stream"}});
  ASSERT_EQ(appended.status, 200u) << appended.Describe();
  EXPECT_EQ(appended["stream"], "inbox-1");
  EXPECT_EQ(appended["version"], 1);
  const uint64_t position = UintOf(appended["position"]);

  Reply forward = api_->Get("/streams/inbox-1");
  ASSERT_EQ(forward.status, 200u) << forward.Describe();
  const json::array& events = forward["events"].as_array();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].at("type"), "MessageReceived");
  EXPECT_EQ(events[0].at("data").at("text"), "hi");
  EXPECT_EQ(events[0].at("metadata").at("source"), "test");
  EXPECT_EQ(events[1].at("data"), "plain text");
  EXPECT_EQ(UintOf(events[1].at("position")), position);

  Reply backward = api_->Get("/streams/inbox-1?direction=backward&limit=1");
  ASSERT_EQ(backward.status, 200u) << backward.Describe();
  ASSERT_EQ(backward["events"].as_array().size(), 1u);
  EXPECT_EQ(backward["events"].as_array()[0].at("version"), 1);

  Reply next = api_->Post("/streams/inbox-1", R"([{"type":"MessageRead","data":{}}])",
                          {{"Expected-Version", "1"}});
  EXPECT_EQ(next.status, 200u) << next.Describe();

  Reply all = api_->Get("/events?from=" + std::to_string(position - 1) + "&limit=2");
  ASSERT_EQ(all.status, 200u) << all.Describe();
  EXPECT_EQ(all["events"].as_array().size(), 2u);
  EXPECT_EQ(UintOf(all["head"]), position + 1);
  ExpectProblem(api_->Get("/streams/never-written"), 404, "not_found");
}

// Reads the live feed from `from` (or after Last-Event-ID) until `count`
// events arrived; returns their ids.
std::vector<uint64_t> FeedIds(uint16_t port, std::string_view target,
                              const follow::HttpHeaders& headers, size_t count) {
  auto client = follow::HttpClient::Create({"127.0.0.1", port, ""}, std::chrono::seconds(60));
  std::string buffer;
  std::vector<uint64_t> ids;
  bool saw_head = false;
  Status status =
      client->Stream(target, headers, std::chrono::seconds(60), [&](std::string_view b) {
        buffer.append(b);
        size_t end;
        while ((end = buffer.find("\n\n")) != std::string::npos) {
          const std::string message = buffer.substr(0, end);
          buffer.erase(0, end + 2);
          std::istringstream lines(message);
          for (std::string line; std::getline(lines, line);) {
            if (line == "event: head") saw_head = true;
            if (line.rfind("id: ", 0) == 0) ids.push_back(std::stoull(line.substr(4)));
          }
        }
        return ids.size() < count;
      });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_TRUE(saw_head || ids.size() >= count);
  return ids;
}

TEST_F(ServerApiTest, LiveFeedCatchesUpThenResumesAfterLastEventId) {
  ASSERT_EQ(api_->Command("OpenAccount", {{"account", "feed"}, {"owner", "F"}}).status, 200u);
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(
        api_->Command("Deposit", {{"account", "feed"}, {"currency", "USD"}, {"amount", 1}}).status,
        200u);
  }
  EXPECT_EQ(FeedIds(server_->port(), "/events/live?from=1", {}, 4),
            (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(FeedIds(server_->port(), "/events/live", {{"Last-Event-ID", "2"}}, 2),
            (std::vector<uint64_t>{3, 4}));
  // Live: an event appended while the feed is open arrives on it.
  std::thread writer([&] {
    Api other(server_->port());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(
        other.Command("Deposit", {{"account", "feed"}, {"currency", "USD"}, {"amount", 1}}).status,
        200u);
  });
  EXPECT_EQ(FeedIds(server_->port(), "/events/live?from=4", {}, 2), (std::vector<uint64_t>{4, 5}));
  writer.join();
}

TEST_F(ServerApiTest, NotYetIsA503WithThePositionAndRetryAfter) {
  const uint64_t far = api_->Head() + 1'000'000;
  Reply reply = api_->Get("/queries/balance?account=x&min_position=" + std::to_string(far) +
                          "&timeout_ms=100");
  ExpectProblem(reply, 503, "timeout");
  EXPECT_EQ(reply.Header("retry-after"), "1");
  EXPECT_TRUE(reply["position"].is_number()) << reply.Describe();
}

// The value of an unlabelled gauge in a Prometheus text body; -1 if absent.
double Gauge(const std::string& metrics, const std::string& name) {
  const size_t at = metrics.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(metrics.substr(at + name.size() + 2));
}

// Read-your-writes waits hold no thread: with 64 queries waiting (as many as
// the server has workers), a command is still decided, appended and answered.
TEST_F(ServerApiTest, SixtyFourWaitingQueriesDoNotDelayACommand) {
  constexpr int kWaiting = 64;
  ASSERT_EQ(api_->Command("OpenAccount", {{"account", "w"}, {"owner", "W"}}).status, 200u);
  // Two more events: the first command below, then the one that releases them.
  const uint64_t wanted = api_->Head() + 2;
  std::vector<unsigned> statuses(kWaiting, 0);
  std::vector<std::thread> queries;
  for (int i = 0; i < kWaiting; ++i) {
    queries.emplace_back([&, i] {
      Api api(server_->port());
      statuses[i] = api.Get("/queries/balance?account=w&min_position=" + std::to_string(wanted) +
                            "&timeout_ms=30000")
                        .status;
    });
  }
  auto waiting = [&] { return Gauge(api_->Get("/metrics").body, "duet_query_waiting"); };
  ASSERT_TRUE(Eventually([&] { return waiting() == kWaiting; })) << waiting();

  Reply deposit = api_->Command("Deposit", {{"account", "w"}, {"currency", "USD"}, {"amount", 5}});
  ASSERT_EQ(deposit.status, 200u) << deposit.Describe();
  EXPECT_EQ(waiting(), kWaiting) << "a query answered before the command did";

  Reply release = api_->Command("Deposit", {{"account", "w"}, {"currency", "USD"}, {"amount", 7}});
  ASSERT_EQ(release.status, 200u) << release.Describe();
  for (std::thread& query : queries) query.join();
  EXPECT_EQ(statuses, std::vector<unsigned>(kWaiting, 200u));
  EXPECT_EQ(waiting(), 0);
}

TEST_F(ServerApiTest, OperationalRoutes) {
  Reply health = api_->Get("/health");
  ASSERT_EQ(health.status, 200u) << health.Describe();
  EXPECT_EQ(health["status"], "ok");
  EXPECT_TRUE(Eventually([&] { return api_->Get("/ready").status == 200; }));

  // The example server serves exactly docs/openapi.json, its generated copy.
  Reply openapi = api_->Get("/openapi.json");
  ASSERT_EQ(openapi.status, 200u);
  EXPECT_EQ(openapi["openapi"], "3.1.0");
  EXPECT_TRUE(openapi["paths"].as_object().contains("/commands/Deposit"));
  std::ifstream checked_in(std::string(DUET_SOURCE_DIR) + "/docs/openapi.json");
  std::stringstream text;
  text << checked_in.rdbuf();
  EXPECT_EQ(openapi.json, json::parse(text.str()))
      << "the served /openapi.json differs from docs/openapi.json";

  Reply projections = api_->Get("/projections");
  ASSERT_EQ(projections.status, 200u) << projections.Describe();
  std::vector<std::string> names;
  for (const json::value& p : projections["projections"].as_array()) {
    names.emplace_back(p.at("name").as_string());
  }
  for (const char* expected : {"ledger-accounts", "orders", "orders-revenue"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }

  ASSERT_EQ(api_->Command("OpenAccount", {{"account", "m"}, {"owner", "M"}}).status, 200u);
  Reply metrics = api_->Get("/metrics");
  ASSERT_EQ(metrics.status, 200u);
  for (const char* name : {"duet_http_requests_total", "duet_http_request_duration_seconds",
                           "duet_http_open_connections", "duet_append_seconds",
                           "duet_group_commit_transactions", "duet_projection_lag_events"}) {
    EXPECT_NE(metrics.body.find(name), std::string::npos) << name;
  }
}

TEST_F(ServerApiTest, RebuildKeepsAnsweringAndEndsWithTheSameAnswer) {
  ASSERT_EQ(api_->Command("OpenAccount", {{"account", "r"}, {"owner", "R"}}).status, 200u);
  Reply deposit = api_->Command("Deposit", {{"account", "r"}, {"currency", "USD"}, {"amount", 9}});
  const uint64_t position = UintOf(deposit["position"]);
  const Reply before = api_->Query("balance", "account=r", position);
  ASSERT_EQ(before.status, 200u) << before.Describe();
  Reply rebuild = api_->Post("/projections/ledger-accounts/rebuild", "");
  ASSERT_EQ(rebuild.status, 202u) << rebuild.Describe();
  EXPECT_EQ(rebuild["name"], "ledger-accounts");
  ExpectProblem(api_->Post("/projections/no-such-projection/rebuild", ""), 404, "not_found");
  Reply after = api_->Query("balance", "account=r", position);
  ASSERT_EQ(after.status, 200u) << after.Describe();
  EXPECT_EQ(after["data"], before["data"]);
}

}  // namespace
}  // namespace duet::testing
