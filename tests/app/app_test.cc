// App (duet/app.h): any list of Domain values, opened in a role. The domain
// here is written in the test, not taken from the examples, so the App is
// shown to serve a domain the engine has never heard of.
#include "duet/app.h"

#include <gtest/gtest.h>

#include "tests/domain/counter_example.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

// Totals per counter stream: the read model of the test domain.
class CounterTotals final : public DocumentProjection {
 public:
  const ProjectionInfo& info() const override { return info_; }
  Status Apply(const RecordedEvent& event, DocumentTxn& txn) const override {
    DUET_ASSIGN_OR_RETURN(const boost::json::object* now, txn.Get(event.stream));
    int64_t total = now != nullptr ? now->at("total").as_int64() : 0;
    if (event.type == "Incremented") {
      total += boost::json::parse(event.data).at("by").as_int64();
    } else {
      total = 0;
    }
    return txn.Put(event.stream, {{"total", total}});
  }

 private:
  ProjectionInfo info_{.name = "counter-totals", .event_types = {"Incremented", "CounterReset"}};
};

Domain CounterDomain(std::string name = "counter") {
  return {.name = std::move(name),
          .register_commands = counter::Register,
          .projections =
              [] {
                std::vector<std::unique_ptr<Projection>> projections;
                projections.push_back(std::make_unique<CounterTotals>());
                return projections;
              },
          .register_queries =
              [](QueryBus& bus) {
                return bus.Register(
                    {.name = "total",
                     .read_model = "counter-totals",
                     .params = {{.name = "counter"}},
                     .handler = On<DocumentStore>([](const QueryParams& params,
                                                     DocumentStore& store) -> Result<QueryResult> {
                       DUET_ASSIGN_OR_RETURN(
                           DocumentRead read,
                           store.Get(StreamName("counter", params.String("counter"))));
                       return QueryResult{read.doc ? read.doc->at("total") : 0, read.position};
                     })});
              }};
}

class AppTest : public ::testing::Test {
 protected:
  AppOptions Options(AppRole role = AppRole::kAll) {
    AppOptions options;
    options.data = dir_.path();
    options.role = role;
    return options;
  }
  duet::testing::TempDir dir_;
};

TEST_F(AppTest, RoleAllRunsCommandsAndQueriesOfAnyDomain) {
  auto app = App::Open({CounterDomain()}, Options());
  ASSERT_TRUE(app.ok()) << app.status();
  ASSERT_NE((*app)->commands(), nullptr);
  ASSERT_NE((*app)->queries(), nullptr);
  auto done = (*app)->commands()->Dispatch("Increment", R"({"counter":"c1","by":5})");
  ASSERT_TRUE(done.ok()) << done.status();
  auto answer = (*app)->queries()->Execute({.name = "total",
                                            .params = {{"counter", "c1"}},
                                            .min_position = done->position,
                                            .timeout = std::chrono::seconds(10)});
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->result, 5);
  EXPECT_GE(answer->position, done->position);
  EXPECT_TRUE((*app)->WaitForProjections(std::chrono::seconds(10)).ok());
  EXPECT_TRUE((*app)->Readiness().ok());
  EXPECT_TRUE((*app)->Health().ok());
}

TEST_F(AppTest, DataOutlivesTheApp) {
  {
    auto app = App::Open({CounterDomain()}, Options());
    ASSERT_TRUE(app.ok()) << app.status();
    ASSERT_TRUE((*app)->commands()->Dispatch("Increment", R"({"counter":"c1","by":2})").ok());
  }
  auto app = App::Open({CounterDomain()}, Options());
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_EQ((*app)->store()->HeadPosition(), GlobalPosition(1));
  auto refused = (*app)->commands()->Dispatch("Increment", R"({"counter":"c1","by":999})");
  EXPECT_EQ(refused.status().subject(), "max-1000");
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "readstores" / "counter-totals"));
}

TEST_F(AppTest, RoleCommandHasNoReadSide) {
  auto app = App::Open({CounterDomain()}, Options(AppRole::kCommand));
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_NE((*app)->commands(), nullptr);
  EXPECT_EQ((*app)->projections(), nullptr);
  EXPECT_EQ((*app)->queries(), nullptr);
  EXPECT_EQ((*app)->WaitForProjections(std::chrono::seconds(1)).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "readstores"));
}

TEST_F(AppTest, WithoutTheReadSideOnlyTheBusRuns) {
  AppOptions options = Options();
  options.read_side = false;
  auto app = App::Open({CounterDomain()}, options);
  ASSERT_TRUE(app.ok()) << app.status();
  EXPECT_NE((*app)->commands(), nullptr);
  EXPECT_EQ((*app)->queries(), nullptr);
}

TEST_F(AppTest, BadOptionsAreNamed) {
  EXPECT_EQ(App::Open({CounterDomain(), CounterDomain()}, Options()).status().subject(), "domains");
  EXPECT_EQ(App::Open({CounterDomain()}, Options(AppRole::kQuery)).status().subject(), "follow");
  AppOptions following = Options();
  following.follow = "http://127.0.0.1:1";
  EXPECT_EQ(App::Open({CounterDomain()}, following).status().subject(), "follow");
}

TEST_F(AppTest, BadStoreOptionsAreNamed) {
  AppOptions other = Options();
  other.store_url = "mysql://duet@127.0.0.1/duet";
  EXPECT_EQ(App::Open({CounterDomain()}, other).status().subject(), "store");
  AppOptions both = Options(AppRole::kQuery);
  both.store_url = "postgresql://duet@127.0.0.1:1/duet";
  both.follow = "http://127.0.0.1:1";
  EXPECT_EQ(App::Open({CounterDomain()}, both).status().subject(), "follow");
  // Checked before anything is opened: nothing listens on port 1.
  AppOptions unreachable = Options(AppRole::kCommand);
  unreachable.store_url = "postgresql://duet@127.0.0.1:1/duet";
  unreachable.postgres.connect_timeout = std::chrono::milliseconds(2000);
  EXPECT_EQ(App::Open({CounterDomain()}, unreachable).status().code(), StatusCode::kUnavailable);
}

TEST_F(AppTest, TwoDomainsRegisteringOneCommandIsRefused) {
  auto app = App::Open({CounterDomain("a"), CounterDomain("b")}, Options());
  EXPECT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), StatusCode::kFailedPrecondition) << app.status();
}

TEST_F(AppTest, ASecondAppOnTheSameFolderIsBusy) {
  auto first = App::Open({CounterDomain()}, Options());
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = App::Open({CounterDomain()}, Options());
  EXPECT_EQ(second.status().code(), StatusCode::kBusy) << second.status();
}

TEST(AppRoleTest, NamesRoundTrip) {
  for (AppRole role : {AppRole::kAll, AppRole::kCommand, AppRole::kQuery}) {
    auto parsed = ParseAppRole(AppRoleName(role));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, role);
  }
  EXPECT_EQ(ParseAppRole("both").status().subject(), "role");
}

}  // namespace
}  // namespace duet
