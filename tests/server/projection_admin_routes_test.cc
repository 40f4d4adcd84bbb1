// POST /projections/{name}/verify, GET /projections/{name}/parked and
// POST /projections/{name}/parked/retry over real sockets on 127.0.0.1. The
// server runs in this process over an embedded store with test projections:
// a pure one (verify matches), an impure one (verify differs) and one that
// parks the events of type "Poison" while poisoned.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>

#include "follow/http_client.h"
#include "server/api_routes.h"
#include "server/http_server.h"
#include "tests/projection/test_projections.h"
#include "tests/support/temp_dir.h"

namespace duet::server {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;

struct Answer {
  unsigned status = 0;
  json::value body;
};

class ProjectionAdminRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = EmbeddedStore::Open(dir_ / "data", testing::FastStoreOptions());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(store).value();
    testing::AppendEvents(*store_, "s", 3);
    testing::AppendEvents(*store_, "bad", 1, "Poison");
    head_ = testing::AppendEvents(*store_, "t", 2);
    auto engine = ProjectionEngine::Open(store_.get(), dir_ / "readstores");
    ASSERT_TRUE(engine.ok()) << engine.status();
    engine_ = std::move(engine).value();
    ASSERT_TRUE(
        engine_->Add(std::make_unique<testing::CountingProjection>(testing::Info("counts"))).ok());
    ASSERT_TRUE(
        engine_->Add(std::make_unique<testing::ImpureProjection>(testing::Info("impure"))).ok());
    ASSERT_TRUE(engine_
                    ->Add(std::make_unique<testing::PoisonProjection>(
                        testing::Info("poison", 1, FailurePolicy::kPark), &poisoned_))
                    .ok());
    for (const char* name : {"counts", "impure", "poison"}) {
      ASSERT_TRUE(engine_->WaitFor(name, head_, milliseconds(60'000)).ok()) << name;
    }
    ApiBackends backends;
    backends.role = "all";
    backends.store = store_.get();
    backends.projections = engine_.get();
    AddApiRoutes(backends, &router_);
    auto server = HttpServer::Start(&router_, nullptr, nullptr, HttpServerOptions{});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    client_ = follow::HttpClient::Create(
        follow::HttpUrl{.host = "127.0.0.1", .port = server_->port(), .base_path = ""},
        milliseconds(60'000));
  }
  void TearDown() override {
    if (server_) server_->Stop(milliseconds(0));
    engine_.reset();
  }

  Answer Call(std::string_view method, std::string_view target) {
    auto reply = client_->Request(method, target);
    EXPECT_TRUE(reply.ok()) << reply.status();
    if (!reply.ok()) return {};
    Answer answer{.status = reply->status, .body = json::parse(reply->body)};
    return answer;
  }

  testing::TempDir dir_;
  std::atomic<bool> poisoned_{true};
  std::unique_ptr<EmbeddedStore> store_;
  std::unique_ptr<ProjectionEngine> engine_;
  GlobalPosition head_;
  Router router_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<follow::HttpClient> client_;
};

TEST_F(ProjectionAdminRoutesTest, VerifyOfAPureProjectionMatches) {
  Answer verify = Call("POST", "/projections/counts/verify");
  ASSERT_EQ(verify.status, 200u) << verify.body;
  EXPECT_EQ(verify.body.at("matches"), true);
  EXPECT_EQ(verify.body.at("position").to_number<uint64_t>(), head_.value);
  EXPECT_EQ(verify.body.at("entries").to_number<uint64_t>(), 3u);  // streams s, bad and t
  EXPECT_EQ(verify.body.at("live_digest"), verify.body.at("rebuilt_digest"));
  EXPECT_FALSE(verify.body.at("live_digest").as_string().empty());
  EXPECT_TRUE(verify.body.at("differing_keys").as_array().empty());
}

TEST_F(ProjectionAdminRoutesTest, VerifyOfAnImpureProjectionNamesTheKeysThatDiffer) {
  Answer verify = Call("POST", "/projections/impure/verify");
  ASSERT_EQ(verify.status, 200u) << verify.body;
  EXPECT_EQ(verify.body.at("matches"), false);
  EXPECT_NE(verify.body.at("live_digest"), verify.body.at("rebuilt_digest"));
  EXPECT_EQ(verify.body.at("differing_keys"), (json::array{"bad", "s", "t"}));
}

TEST_F(ProjectionAdminRoutesTest, UnknownProjectionIs404OnEveryRoute) {
  for (auto [method, target] :
       {std::pair{"POST", "/projections/nope/verify"}, std::pair{"GET", "/projections/nope/parked"},
        std::pair{"POST", "/projections/nope/parked/retry"}}) {
    SCOPED_TRACE(target);
    Answer answer = Call(method, target);
    EXPECT_EQ(answer.status, 404u) << answer.body;
    EXPECT_EQ(answer.body.at("code"), "not_found");
  }
  EXPECT_EQ(Call("GET", "/projections/counts/verify").status, 405u);
}

TEST_F(ProjectionAdminRoutesTest, AHealthyProjectionHasNothingParked) {
  Answer parked = Call("GET", "/projections/counts/parked");
  ASSERT_EQ(parked.status, 200u) << parked.body;
  EXPECT_TRUE(parked.body.at("parked").as_array().empty());
  EXPECT_EQ(parked.body.at("total").to_number<uint64_t>(), 0u);
  Answer retry = Call("POST", "/projections/counts/parked/retry");
  ASSERT_EQ(retry.status, 200u) << retry.body;
  EXPECT_EQ(retry.body.at("remaining").to_number<uint64_t>(), 0u);
}

TEST_F(ProjectionAdminRoutesTest, ParkedEventIsListedAndRetriedOnceItApplies) {
  Answer parked = Call("GET", "/projections/poison/parked");
  ASSERT_EQ(parked.status, 200u) << parked.body;
  ASSERT_EQ(parked.body.at("total").to_number<uint64_t>(), 1u) << parked.body;
  const json::value& event = parked.body.at("parked").as_array().at(0);
  EXPECT_EQ(event.at("position").to_number<uint64_t>(), 4u);
  EXPECT_EQ(event.at("stream"), "bad");
  EXPECT_EQ(event.at("type"), "Poison");
  EXPECT_NE(event.at("error").as_string().find("cannot apply bad"), json::string::npos);

  Answer still_failing = Call("POST", "/projections/poison/parked/retry");
  ASSERT_EQ(still_failing.status, 200u) << still_failing.body;
  EXPECT_EQ(still_failing.body.at("remaining").to_number<uint64_t>(), 1u);

  poisoned_ = false;
  Answer retried = Call("POST", "/projections/poison/parked/retry");
  ASSERT_EQ(retried.status, 200u) << retried.body;
  EXPECT_EQ(retried.body.at("remaining").to_number<uint64_t>(), 0u);
  Answer after = Call("GET", "/projections/poison/parked");
  EXPECT_TRUE(after.body.at("parked").as_array().empty()) << after.body;
  EXPECT_EQ(after.body.at("total").to_number<uint64_t>(), 0u);
}

}  // namespace
}  // namespace duet::server
