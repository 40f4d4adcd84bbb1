// The wallet domain of today (tests/upcast/wallet.h) on the history its
// first version stored (tests/fixtures/wallet-v1/, written by
// wallet_v1_generator.cc against the engine before schema versions): the
// aggregate decides on the upcast history, snapshots keep working, the read
// model built live equals a rebuild, and a server on the fixture answers
// over HTTP. Without the chain, or with a broken one, the failure is named.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "duet/app.h"
#include "duet/embedded_store.h"
#include "duet/projection_engine.h"
#include "duet/query_bus.h"
#include "duet/repository.h"
#include "duet/server.h"
#include "duet/upcast.h"
#include "follow/http_client.h"
#include "tests/support/temp_dir.h"
#include "tests/upcast/wallet.h"

namespace duet::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr uint64_t kFixtureEvents = 20;  // 10 commands, each with its $command record

// A copy of the fixture to open (opening a store writes to its folder).
fs::path CopyFixture(const fs::path& to) {
  fs::copy(fs::path(DUET_FIXTURES_DIR) / "wallet-v1", to, fs::copy_options::recursive);
  return to;
}

std::vector<RecordedEvent> ReadLog(EventStore& store) {
  Result<std::vector<RecordedEvent>> events = store.ReadAll(GlobalPosition(1), 10'000);
  EXPECT_TRUE(events.ok()) << events.status();
  return events.ok() ? *std::move(events) : std::vector<RecordedEvent>{};
}

std::unique_ptr<App> OpenApp(const fs::path& data, duet::Domain domain = wallet::Domain()) {
  AppOptions options;
  options.data = data;
  std::vector<duet::Domain> domains;
  domains.push_back(std::move(domain));
  Result<std::unique_ptr<App>> app = App::Open(std::move(domains), std::move(options));
  EXPECT_TRUE(app.ok()) << app.status();
  return app.ok() ? *std::move(app) : nullptr;
}

json::value WalletAnswer(App& app, std::string_view wallet) {
  QueryRequest request;
  request.name = "wallet";
  request.params = json::object{{"wallet", wallet}};
  Result<QueryAnswer> answer = app.queries()->Execute(request);
  EXPECT_TRUE(answer.ok()) << answer.status();
  return answer.ok() ? answer->result : json::value();
}

// What the fixture's history means: ada deposited 12.50, 10.00 (paying a
// 0.50 fee) and 0.05 and withdrew 3.00; bob deposited 100.00, withdrew 40.00.
const json::value kAda = json::object{{"wallet", "ada"},
                                      {"owner", "Ada Lovelace"},
                                      {"balances", json::object{{"EUR", 1905}}},
                                      {"fees_minor", 50},
                                      {"deposits", 3}};
const json::value kBob = json::object{{"wallet", "bob"},
                                      {"owner", "Bob Babbage"},
                                      {"balances", json::object{{"EUR", 6000}}},
                                      {"fees_minor", 0},
                                      {"deposits", 1}};

Result<CommandResult> Send(App& app, std::string_view type, const json::object& body) {
  return app.commands()->Dispatch(type, json::serialize(body));
}

json::object Move(std::string_view wallet, int64_t minor, std::string_view currency) {
  return json::object{{"wallet", wallet}, {"amount_minor", minor}, {"currency", currency}};
}

TEST(UpcastFixtureTest, TheFixtureHoldsVersionOneEventsAsTheOldProgramStoredThem) {
  TempDir dir;
  auto store = EmbeddedStore::Open(CopyFixture(dir.path() / "data"), StoreOptions{});
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<RecordedEvent> events = ReadLog(**store);
  ASSERT_EQ(events.size(), kFixtureEvents);
  std::vector<std::string> wallet_types;
  for (const RecordedEvent& event : events) {
    EXPECT_EQ(event.metadata.find(kSchemaVersionKey), std::string::npos) << event.metadata;
    if (event.stream.starts_with("wallet-")) wallet_types.push_back(event.type);
  }
  EXPECT_EQ(wallet_types, (std::vector<std::string>{
                              "WalletOpened", "MoneyDeposited", "WalletOpened", "DepositWithFee",
                              "WalletViewed", "MoneyDeposited", "FundsWithdrawn", "WalletViewed",
                              "FundsWithdrawn", "MoneyDeposited"}));
  EXPECT_EQ(json::parse(events[2].data), (json::object{{"wallet", "ada"}, {"amount", "12.50"}}));
}

TEST(UpcastFixtureTest, TheAggregateDecidesOnTheUpcastHistory) {
  TempDir dir;
  auto app = OpenApp(CopyFixture(dir.path() / "data"));
  ASSERT_NE(app, nullptr);
  Result<CommandResult> too_much = Send(*app, "Withdraw", Move("ada", 1906, "EUR"));
  ASSERT_FALSE(too_much.ok());
  EXPECT_EQ(too_much.status().subject(), "no-overdraft") << too_much.status();
  Result<CommandResult> all = Send(*app, "Withdraw", Move("ada", 1905, "EUR"));
  ASSERT_TRUE(all.ok()) << all.status();
  Result<CommandResult> deposit = Send(*app, "Deposit", Move("ada", 100, "USD"));
  ASSERT_TRUE(deposit.ok()) << deposit.status();
  Result<CommandResult> nothing_left = Send(*app, "Withdraw", Move("ada", 1, "EUR"));
  EXPECT_EQ(nothing_left.status().subject(), "no-overdraft") << nothing_left.status();
  Result<CommandResult> bob = Send(*app, "Withdraw", Move("bob", 6000, "EUR"));
  EXPECT_TRUE(bob.ok()) << bob.status();

  // The new events are stored in today's shapes, each with its version:
  // MoneyDeposited v2 says so, MoneyWithdrawn v1 stores nothing new.
  Result<std::vector<RecordedEvent>> tail =
      app->store()->ReadStream("wallet-ada", StreamVersion(6), 10, ReadDirection::kForward);
  ASSERT_TRUE(tail.ok()) << tail.status();
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0].type, "MoneyWithdrawn");
  EXPECT_EQ(StoredSchemaVersion((*tail)[0].metadata).value(), 1u);
  EXPECT_EQ((*tail)[0].metadata.find(kSchemaVersionKey), std::string::npos);
  EXPECT_EQ((*tail)[1].type, "MoneyDeposited");
  EXPECT_EQ(StoredSchemaVersion((*tail)[1].metadata).value(), 2u);
  EXPECT_EQ(json::parse((*tail)[1].data),
            (json::object{{"wallet", "ada"}, {"amount_minor", 100}, {"currency", "USD"}}));

  // A stream of old and new shapes loads from scratch (no cache) alike.
  RepositoryOptions options;
  options.upcasters = UpcasterChain::Make(wallet::WalletUpcasters()).value();
  Repository fresh(app->store(), options);
  Result<Aggregate<wallet::WalletState>> ada = fresh.Load(wallet::Wallets(), "ada");
  ASSERT_TRUE(ada.ok()) << ada.status();
  EXPECT_EQ(ada->state.balances, (std::map<std::string, int64_t>{{"EUR", 0}, {"USD", 100}}));
  EXPECT_EQ(ada->state.owner, "Ada Lovelace");
  EXPECT_EQ(ada->version, StreamVersion(7));
}

TEST(UpcastFixtureTest, SnapshotsHoldStateAndTheEventsAfterThemAreUpcast) {
  TempDir dir;
  auto store = EmbeddedStore::Open(CopyFixture(dir.path() / "data"), StoreOptions{});
  ASSERT_TRUE(store.ok()) << store.status();
  RepositoryOptions options;
  options.snapshot_dir = dir.path() / "snapshots";
  options.snapshot_every = 1;
  options.cache_capacity = 0;
  options.upcasters = UpcasterChain::Make(wallet::WalletUpcasters()).value();
  {
    Repository first(store->get(), options);
    Result<Aggregate<wallet::WalletState>> ada = first.Load(wallet::Wallets(), "ada");
    ASSERT_TRUE(ada.ok()) << ada.status();
    EXPECT_EQ(ada->state.balances.at("EUR"), 1905);
    EXPECT_EQ(first.Stats().snapshots_written, 1u);
  }
  // An old program still writing: two more version 1 events after the snapshot.
  const std::vector<EventData> old_events{
      {EventId::Random(), "DepositWithFee", R"({"wallet":"ada","amount":"5.00","fee":"0.25"})",
       "{}"},
      {EventId::Random(), "WalletViewed", R"({"wallet":"ada"})", "{}"}};
  ASSERT_TRUE((*store)->Append("wallet-ada", ExpectedVersion::Any(), old_events).ok());

  Repository second(store->get(), options);
  Result<Aggregate<wallet::WalletState>> ada = second.Load(wallet::Wallets(), "ada");
  ASSERT_TRUE(ada.ok()) << ada.status();
  EXPECT_EQ(second.Stats().snapshots_loaded, 1u);
  EXPECT_EQ(second.Stats().events_replayed, 2u);  // stored events, as replayed
  EXPECT_EQ(ada->state.balances.at("EUR"), 1905 + 500 - 25);
  EXPECT_EQ(ada->version, StreamVersion(7));  // the dropped WalletViewed's
}

TEST(UpcastFixtureTest, WithoutTheUpcastersAnOldEventIsANamedError) {
  TempDir dir;
  auto store = EmbeddedStore::Open(CopyFixture(dir.path() / "data"), StoreOptions{});
  ASSERT_TRUE(store.ok()) << store.status();
  Repository repository(store->get(), RepositoryOptions{});
  Result<Aggregate<wallet::WalletState>> ada = repository.Load(wallet::Wallets(), "ada");
  ASSERT_FALSE(ada.ok());
  EXPECT_EQ(ada.status().code(), StatusCode::kUpcastFailed) << ada.status();
  EXPECT_EQ(ada.status().subject(), "MoneyDeposited");
  EXPECT_NE(ada.status().message().find("wallet-ada@1 is schema version 1 but the codec reads "
                                        "version 2"),
            std::string::npos)
      << ada.status();
}

TEST(UpcastFixtureTest, AReadModelBuiltLiveEqualsItsRebuild) {
  TempDir dir;
  std::vector<RecordedEvent> history;
  {
    auto fixture = EmbeddedStore::Open(CopyFixture(dir.path() / "fixture"), StoreOptions{});
    ASSERT_TRUE(fixture.ok()) << fixture.status();
    history = ReadLog(**fixture);
  }
  ASSERT_EQ(history.size(), kFixtureEvents);
  auto app = OpenApp(dir.path() / "data");
  ASSERT_NE(app, nullptr);
  // The live runner sees the old events arrive one by one, as they were
  // first appended, each with its stored id, data and metadata.
  for (const RecordedEvent& event : history) {
    const EventData data{event.id, event.type, event.data, event.metadata};
    ASSERT_TRUE(app->store()->Append(event.stream, ExpectedVersion::Any(), {&data, 1}).ok());
  }
  ASSERT_TRUE(app->WaitForProjections(120s).ok());
  const json::value live_ada = WalletAnswer(*app, "ada");
  const json::value live_bob = WalletAnswer(*app, "bob");
  EXPECT_EQ(live_ada, kAda);
  EXPECT_EQ(live_bob, kBob);

  Result<VerifyReport> verified = app->projections()->Verify(wallet::kWalletsView);
  ASSERT_TRUE(verified.ok()) << verified.status();
  EXPECT_TRUE(verified->matches()) << verified->live_digest << " " << verified->rebuilt_digest;

  Result<ProjectionStatus> rebuilt =
      RebuildAndWait(*app->projections(), wallet::kWalletsView, 10ms, nullptr);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->state, ProjectionState::kLive) << rebuilt->error;
  EXPECT_EQ(WalletAnswer(*app, "ada"), live_ada);
  EXPECT_EQ(WalletAnswer(*app, "bob"), live_bob);
}

TEST(UpcastFixtureTest, AnAppOpenedOnTheStoredHistoryCatchesUpThroughTheChain) {
  TempDir dir;
  auto app = OpenApp(CopyFixture(dir.path() / "data"));
  ASSERT_NE(app, nullptr);
  ASSERT_TRUE(app->WaitForProjections(120s).ok());
  EXPECT_EQ(WalletAnswer(*app, "ada"), kAda);
  EXPECT_EQ(WalletAnswer(*app, "bob"), kBob);
}

duet::Domain WithUpcasters(std::vector<Upcaster> upcasters) {
  duet::Domain domain = wallet::Domain();
  domain.upcasters = std::move(upcasters);
  return domain;
}

Result<std::vector<UpcastEvent>> ThrowingDeposit(const UpcastEvent&) {
  throw std::runtime_error("cannot read the amount");
}

std::vector<Upcaster> BrokenUpcasters() {
  std::vector<Upcaster> upcasters = wallet::WalletUpcasters();
  for (Upcaster& upcaster : upcasters) {
    if (upcaster.type == "MoneyDeposited") upcaster.upcast = ThrowingDeposit;
  }
  return upcasters;
}

TEST(UpcastFixtureTest, AGapInTheDomainsChainFailsTheOpen) {
  TempDir dir;
  std::vector<Upcaster> upcasters = wallet::WalletUpcasters();
  upcasters.push_back(
      {"WalletOpened", 2, [](const UpcastEvent& e) -> Result<std::vector<UpcastEvent>> {
         return std::vector<UpcastEvent>{{"WalletOpened", 3, e.data}};
       }});
  AppOptions options;
  options.data = CopyFixture(dir.path() / "data");
  Result<std::unique_ptr<App>> app = App::Open({WithUpcasters(std::move(upcasters))}, options);
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), StatusCode::kUpcastFailed) << app.status();
  EXPECT_EQ(app.status().subject(), "WalletOpened");
}

TEST(UpcastFixtureTest, AThrowingUpcasterStopsTheProjectionAndRefusesTheCommandByName) {
  TempDir dir;
  auto app = OpenApp(CopyFixture(dir.path() / "data"), WithUpcasters(BrokenUpcasters()));
  ASSERT_NE(app, nullptr);
  Result<CommandResult> refused = Send(*app, "Withdraw", Move("ada", 1, "EUR"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUpcastFailed) << refused.status();
  EXPECT_NE(refused.status().message().find("cannot read the amount"), std::string::npos);

  // The projection (stop policy) stops at the first old deposit, saying why.
  Result<ProjectionStatus> status = Status::NotFound("status");
  for (int i = 0; i < 12'000; ++i) {  // up to two minutes on a noisy machine
    status = app->projections()->StatusOf(wallet::kWalletsView);
    ASSERT_TRUE(status.ok()) << status.status();
    if (status->state == ProjectionState::kFailed) break;
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_EQ(status->state, ProjectionState::kFailed);
  ASSERT_TRUE(status->failed_at.has_value());
  EXPECT_EQ(*status->failed_at, GlobalPosition(3));  // ada's first deposit
  EXPECT_NE(status->error.find("upcast_failed"), std::string::npos) << status->error;
}

// ----------------------------------------------------------------- HTTP

class UpcastHttpTest : public ::testing::Test {
 protected:
  void Start(duet::Domain domain) {
    ServerConfig config;
    config.port = 0;
    config.data = CopyFixture(dir_.path() / "data");
    config.worker_threads = 4;
    Result<std::unique_ptr<Server>> server = Server::Start({std::move(domain)}, config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(server).value();
    Result<follow::HttpUrl> url = follow::ParseHttpUrl(server_->url());
    ASSERT_TRUE(url.ok()) << url.status();
    client_ = follow::HttpClient::Create(*url, 60s);
  }
  void TearDown() override {
    client_.reset();
    if (server_) server_->Stop(5s);
  }

  follow::HttpClientResponse Request(std::string_view method, std::string_view target,
                                     std::string_view body = {}) {
    follow::HttpHeaders headers;
    if (!body.empty()) headers.emplace_back("content-type", "application/json");
    Result<follow::HttpClientResponse> response = client_->Request(method, target, body, headers);
    EXPECT_TRUE(response.ok()) << response.status();
    return response.ok() ? *std::move(response) : follow::HttpClientResponse{};
  }

  TempDir dir_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<follow::HttpClient> client_;
};

TEST_F(UpcastHttpTest, AServerOnTheStoredHistoryAnswersInTodaysShapes) {
  Start(wallet::Domain());
  follow::HttpClientResponse ada =
      Request("GET", "/queries/wallet?wallet=ada&min_position=" + std::to_string(kFixtureEvents) +
                         "&timeout_ms=30000");
  ASSERT_EQ(ada.status, 200u) << ada.body;
  EXPECT_EQ(json::parse(ada.body).at("data"), kAda);

  follow::HttpClientResponse refused =
      Request("POST", "/commands/Withdraw", json::serialize(Move("ada", 1906, "EUR")));
  ASSERT_EQ(refused.status, 422u) << refused.body;
  EXPECT_EQ(json::parse(refused.body).at("subject"), "no-overdraft");
  follow::HttpClientResponse accepted =
      Request("POST", "/commands/Withdraw", json::serialize(Move("ada", 1905, "EUR")));
  EXPECT_EQ(accepted.status / 100, 2u) << accepted.body;

  // The stored events read as stored: the log is never rewritten.
  follow::HttpClientResponse stream = Request("GET", "/streams/wallet-ada");
  ASSERT_EQ(stream.status, 200u) << stream.body;
  EXPECT_NE(stream.body.find("\"DepositWithFee\""), std::string::npos);
  EXPECT_NE(stream.body.find("\"12.50\""), std::string::npos);
}

TEST_F(UpcastHttpTest, ABrokenUpcasterIsAProblemNamedUpcastFailed) {
  Start(WithUpcasters(BrokenUpcasters()));
  follow::HttpClientResponse refused =
      Request("POST", "/commands/Withdraw", json::serialize(Move("ada", 1, "EUR")));
  ASSERT_EQ(refused.status, 500u) << refused.body;
  EXPECT_EQ(refused.Header("content-type"), "application/problem+json");
  const json::value problem = json::parse(refused.body);
  EXPECT_EQ(problem.at("code"), "upcast_failed");
  EXPECT_EQ(problem.at("subject"), "MoneyDeposited");
}

}  // namespace
}  // namespace duet::testing
