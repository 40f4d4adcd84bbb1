// Acceptance: SIGTERM is graceful (exit 0, requests in flight answered), and
// SIGKILL of the command node under load from several client threads loses
// no acknowledged command: every 200 a client received is in the log after
// the restart, at the stream version and position it was acknowledged with.
#include <gtest/gtest.h>

#include <atomic>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/server_test_support.h"
#include "tests/support/temp_dir.h"

namespace duet::testing {
namespace {
namespace json = boost::json;

constexpr int kClients = 4;

struct Ack {
  std::string stream;
  uint64_t version = 0;
  uint64_t position = 0;
};

// Deposits into its own account until `stop` or the first transport error;
// records every acknowledgement.
void DepositLoop(uint16_t port, int client, const std::atomic<bool>& stop, std::atomic<int>& acked,
                 std::vector<Ack>& acks, std::vector<unsigned>& statuses) {
  Api api(port);
  const std::string account = "load" + std::to_string(client);
  while (!stop.load()) {
    Reply reply =
        api.Command("Deposit", {{"account", account}, {"currency", "USD"}, {"amount", 1}});
    if (reply.status == 0) return;  // the server is gone
    statuses.push_back(reply.status);
    if (reply.status != 200) continue;
    acks.push_back({std::string(reply["stream"].as_string()), UintOf(reply["version"]),
                    UintOf(reply["position"])});
    acked.fetch_add(1);
  }
}

class ServerCrashTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) std::cerr << "--- server log ---\n" << server_->log();
  }
  void OpenAccounts() {
    Api api(server_->port());
    for (int c = 0; c < kClients; ++c) {
      const std::string id = "load" + std::to_string(c);
      ASSERT_EQ(api.Command("OpenAccount", {{"account", id}, {"owner", "L"}}).status, 200u);
    }
  }
  // Runs the clients until `enough` acknowledgements, then calls `stop_server`.
  std::vector<Ack> RunLoad(int enough, const std::function<void()>& stop_server,
                           std::vector<unsigned>* all_statuses) {
    std::atomic<bool> stop{false};
    std::atomic<int> acked{0};
    std::vector<std::vector<Ack>> acks(kClients);
    std::vector<std::vector<unsigned>> statuses(kClients);
    std::vector<std::thread> threads;
    for (int c = 0; c < kClients; ++c) {
      threads.emplace_back(DepositLoop, server_->port(), c, std::cref(stop), std::ref(acked),
                           std::ref(acks[c]), std::ref(statuses[c]));
    }
    EXPECT_TRUE(Eventually([&] { return acked.load() >= enough; }));
    stop_server();
    stop.store(true);
    for (std::thread& t : threads) t.join();
    std::vector<Ack> all;
    for (int c = 0; c < kClients; ++c) {
      all.insert(all.end(), acks[c].begin(), acks[c].end());
      all_statuses->insert(all_statuses->end(), statuses[c].begin(), statuses[c].end());
    }
    return all;
  }
  // Every acknowledged deposit is in its stream at its version and position.
  void ExpectAllInTheLog(const std::vector<Ack>& acks) {
    Api api(server_->port());
    std::map<std::string, std::vector<json::object>> streams;
    for (int c = 0; c < kClients; ++c) {
      const std::string stream = "account-load" + std::to_string(c);
      streams[stream] = ReadStream(api, stream);
    }
    for (const Ack& ack : acks) {
      const std::vector<json::object>& events = streams[ack.stream];
      ASSERT_LT(ack.version, events.size()) << ack.stream << " lost version " << ack.version;
      EXPECT_EQ(UintOf(events[ack.version].at("position")), ack.position) << ack.stream;
      EXPECT_EQ(events[ack.version].at("type"), "MoneyDeposited");
    }
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
};

TEST_F(ServerCrashTest, SigkillUnderLoadLosesNoAcknowledgedCommand) {
  server_ = StartDuet(dir_ / "data", {"--role", "command"});
  ASSERT_NE(server_, nullptr);
  OpenAccounts();
  std::vector<unsigned> statuses;
  const std::vector<Ack> acks = RunLoad(
      400, [&] { ASSERT_TRUE(server_->Kill().ok()); }, &statuses);
  ASSERT_GE(acks.size(), 400u);
  ASSERT_TRUE(server_->Restart().ok()) << server_->log();
  ExpectAllInTheLog(acks);
}

TEST_F(ServerCrashTest, SigtermAnswersRequestsInFlightAndExitsZero) {
  server_ = StartDuet(dir_ / "data");
  ASSERT_NE(server_, nullptr);
  OpenAccounts();
  // A query waiting for a position that never comes is in flight at SIGTERM:
  // it must get an HTTP answer (200 or a problem), not a dropped connection.
  Reply waiting;
  std::thread waiter([&] {
    Api api(server_->port());
    waiting = api.Get("/queries/balance?account=load0&min_position=1000000000&timeout_ms=3000");
  });
  std::this_thread::sleep_for(std::chrono::seconds(1));  // let the query reach the server
  std::vector<unsigned> statuses;
  Result<int> exit_code = 0;
  const std::vector<Ack> acks = RunLoad(
      200, [&] { exit_code = server_->Terminate(); }, &statuses);
  waiter.join();
  ASSERT_TRUE(exit_code.ok()) << exit_code.status();
  EXPECT_EQ(*exit_code, 0);
  EXPECT_NE(waiting.status, 0u) << waiting.Describe();
  for (unsigned status : statuses) EXPECT_TRUE(status == 200 || status == 503) << status;
  ASSERT_TRUE(server_->Restart().ok()) << server_->log();
  ExpectAllInTheLog(acks);
}

}  // namespace
}  // namespace duet::testing
