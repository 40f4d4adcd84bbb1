// POST /projections/{name}/rebuild fired by many clients at once, over real
// sockets on 127.0.0.1: exactly one is answered 202, the others 409
// rebuild_running, never a 500. The server runs in this process over an
// embedded store and a projection whose rebuild a gate holds at its first
// event, so the rebuild cannot end before every request has been answered.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <thread>
#include <vector>

#include "follow/http_client.h"
#include "server/api_routes.h"
#include "server/http_server.h"
#include "tests/projection/test_projections.h"
#include "tests/support/temp_dir.h"

namespace duet::server {
namespace {

using std::chrono::milliseconds;

constexpr int kClients = 8;
constexpr int kRounds = 4;

class RebuildRaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = EmbeddedStore::Open(dir_ / "data", testing::FastStoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
    testing::AppendEvents(*store_, "s", 5);
    auto engine = ProjectionEngine::Open(store_.get(), dir_ / "readstores");
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(engine).value();
    ASSERT_TRUE(
        engine_->Add(std::make_unique<testing::CountingProjection>(testing::Info("counts"), &gate_))
            .ok());
    ApiBackends backends;
    backends.role = "all";
    backends.store = store_.get();
    backends.projections = engine_.get();
    AddApiRoutes(backends, &router_);
    auto server = HttpServer::Start(&router_, nullptr, nullptr, HttpServerOptions{});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
  }
  void TearDown() override {
    gate_.Open();
    if (server_) server_->Stop(milliseconds(0));
    engine_.reset();
  }

  std::unique_ptr<follow::HttpClient> Client() {
    return follow::HttpClient::Create(
        follow::HttpUrl{.host = "127.0.0.1", .port = server_->port(), .base_path = ""},
        milliseconds(60'000));
  }
  bool Rebuilding() {
    auto status = engine_->StatusOf("counts");
    return !status.ok() || status->rebuild.has_value();
  }

  testing::TempDir dir_;
  testing::Gate gate_;
  std::unique_ptr<EmbeddedStore> store_;
  std::unique_ptr<ProjectionEngine> engine_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(RebuildRaceTest, ConcurrentRebuildsAnswerOne202AndTheRest409) {
  std::vector<std::unique_ptr<follow::HttpClient>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(Client());
  ASSERT_TRUE(engine_->WaitFor("counts", GlobalPosition(5), milliseconds(60'000)).ok());
  for (int round = 0; round < kRounds; ++round) {
    gate_.Arm();
    std::atomic<bool> go{false};
    std::vector<Result<follow::HttpClientResponse>> answers(kClients,
                                                            Status::FailedPrecondition("not sent"));
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
      threads.emplace_back([&, i] {
        while (!go.load()) std::this_thread::yield();
        answers[i] = clients[i]->Request("POST", "/projections/counts/rebuild");
      });
    }
    go = true;
    for (std::thread& thread : threads) thread.join();
    int accepted = 0, refused = 0;
    for (const auto& answer : answers) {
      ASSERT_TRUE(answer.ok()) << answer.status();
      if (answer->status == 202) {
        ++accepted;
        EXPECT_EQ(boost::json::parse(answer->body).at("name"), "counts");
        continue;
      }
      ASSERT_EQ(answer->status, 409u) << answer->body;
      const boost::json::value problem = boost::json::parse(answer->body);
      EXPECT_EQ(problem.at("code"), "rebuild_running") << answer->body;
      EXPECT_EQ(problem.at("status"), 409);
      ++refused;
    }
    EXPECT_EQ(accepted, 1) << "round " << round;
    EXPECT_EQ(refused, kClients - 1) << "round " << round;
    gate_.Open();
    ASSERT_TRUE(testing::Eventually([&] { return !Rebuilding(); })) << "round " << round;
  }
}

}  // namespace
}  // namespace duet::server
