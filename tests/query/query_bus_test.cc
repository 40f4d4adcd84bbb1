// QueryBus: registration, parameter validation, positions and the
// read-your-writes wait, against a fake engine over a memory document store.
#include "duet/query_bus.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/query/fake_projection_engine.h"

namespace duet {
namespace {

namespace json = boost::json;
using testing::FakeProjectionEngine;

// A handler that echoes its validated parameters and reports the checkpoint
// of a real store read (Get of "doc").
Result<QueryResult> Echo(const QueryParams& params, DocumentStore& store) {
  DUET_ASSIGN_OR_RETURN(DocumentRead read, store.Get("doc"));
  json::object out;
  for (const char* name : {"s", "cursor", "bucket"}) {
    if (params.Has(name)) out[name] = params.String(name);
  }
  for (const char* name : {"n", "limit"}) {
    if (params.Has(name)) out[name] = params.Integer(name);
  }
  out["found"] = read.doc.has_value();
  return QueryResult{out, read.position};
}

QueryDefinition EchoQuery(std::string name = "echo") {
  return QueryDefinition{std::move(name),
                         FakeProjectionEngine::kModel,
                         {{"s", ParamType::kString, true, 8},
                          {"n", ParamType::kInteger, false},
                          {"bucket", ParamType::kBucket, false},
                          {"cursor", ParamType::kCursor, false},
                          {"limit", ParamType::kLimit, false}},
                         On<DocumentStore>(Echo),
                         "echoes its parameters"};
}

class QueryBusTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(bus_.Register(EchoQuery()).ok()); }

  Result<QueryAnswer> Run(std::string_view params_json, GlobalPosition min = kNoPosition,
                          std::chrono::milliseconds timeout = std::chrono::milliseconds(0)) {
    return bus_.Execute(QueryRequest{"echo", json::parse(params_json).as_object(), min, timeout});
  }

  // The field an InvalidArgument names, or a description of what came back.
  std::string BadField(std::string_view params_json) {
    auto answer = Run(params_json);
    if (answer.ok()) return "<ok>";
    if (!answer.status().IsInvalidArgument()) return answer.status().ToString();
    return answer.status().subject();
  }

  FakeProjectionEngine engine_;
  QueryBus bus_{&engine_};
};

TEST_F(QueryBusTest, RegisterRefusesBadNames) {
  for (const char* name : {"", "Echo", "two words", "under_score", "slash/", "ümlaut"}) {
    Status s = bus_.Register(EchoQuery(name));
    EXPECT_TRUE(s.IsInvalidArgument()) << name;
    EXPECT_EQ(s.subject(), "name") << name;
  }
  EXPECT_TRUE(bus_.Register(EchoQuery(std::string(64, 'a'))).ok());
  EXPECT_EQ(bus_.Register(EchoQuery(std::string(65, 'a'))).subject(), "name");
  EXPECT_TRUE(bus_.Register(EchoQuery("orders-per-status-2")).ok());
}

TEST_F(QueryBusTest, RegisterRequiresAHandlerAndAReadModel) {
  QueryDefinition no_handler = EchoQuery("other");
  no_handler.handler = nullptr;
  EXPECT_EQ(bus_.Register(no_handler).subject(), "handler");
  QueryDefinition no_model = EchoQuery("other");
  no_model.read_model.clear();
  EXPECT_EQ(bus_.Register(no_model).subject(), "read_model");
}

TEST_F(QueryBusTest, RegisterRefusesParametersDeclaredTwiceOrUnnamed) {
  QueryDefinition twice = EchoQuery("other");
  twice.params.push_back({"n", ParamType::kString});
  EXPECT_EQ(bus_.Register(twice).subject(), "n");
  QueryDefinition unnamed = EchoQuery("other");
  unnamed.params.push_back({"", ParamType::kString});
  EXPECT_TRUE(bus_.Register(unnamed).IsInvalidArgument());
}

TEST_F(QueryBusTest, RegisterRefusesATakenName) {
  Status s = bus_.Register(EchoQuery());
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(bus_.definitions().size(), 1u);
}

TEST_F(QueryBusTest, UnknownQueryIsNotFound) {
  auto answer = bus_.Execute(QueryRequest{"nope", {}, kNoPosition, {}});
  ASSERT_TRUE(answer.status().IsNotFound());
  EXPECT_EQ(answer.status().subject(), "query");
}

TEST_F(QueryBusTest, ValidParametersReachTheHandlerConverted) {
  auto answer = Run(R"({"s":"abc","n":"-42","bucket":"hour","cursor":"","limit":"7"})");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->result.as_object().at("s"), "abc");
  EXPECT_EQ(answer->result.as_object().at("n"), -42);
  EXPECT_EQ(answer->result.as_object().at("bucket"), "hour");
  EXPECT_EQ(answer->result.as_object().at("cursor"), "");
  EXPECT_EQ(answer->result.as_object().at("limit"), 7);
  EXPECT_EQ(answer->read_model, "model");
}

TEST_F(QueryBusTest, AbsentOptionalsAreAbsentAndLimitDefaultsTo50) {
  auto answer = Run(R"({"s":"abc","n":null})");
  ASSERT_TRUE(answer.ok()) << answer.status();
  const json::object& out = answer->result.as_object();
  EXPECT_FALSE(out.contains("n"));
  EXPECT_FALSE(out.contains("bucket"));
  EXPECT_FALSE(out.contains("cursor"));
  EXPECT_EQ(out.at("limit"), 50);
}

TEST_F(QueryBusTest, MissingRequiredParameter) {
  EXPECT_EQ(BadField(R"({})"), "s");
  EXPECT_EQ(BadField(R"({"s":null})"), "s");
}

TEST_F(QueryBusTest, UnknownParameter) {
  EXPECT_EQ(BadField(R"({"s":"a","colour":"red"})"), "colour");
}

TEST_F(QueryBusTest, WrongJsonTypes) {
  EXPECT_EQ(BadField(R"({"s":5})"), "s");
  EXPECT_EQ(BadField(R"({"s":["a"]})"), "s");
  EXPECT_EQ(BadField(R"({"s":"a","n":true})"), "n");
  EXPECT_EQ(BadField(R"({"s":"a","n":{}})"), "n");
  EXPECT_EQ(BadField(R"({"s":"a","bucket":1})"), "bucket");
  EXPECT_EQ(BadField(R"({"s":"a","cursor":3})"), "cursor");
  EXPECT_EQ(BadField(R"({"s":"a","limit":[10]})"), "limit");
}

TEST_F(QueryBusTest, StringsMustBeNonEmptyBoundedUtf8) {
  EXPECT_EQ(BadField(R"({"s":""})"), "s");
  EXPECT_EQ(BadField(R"({"s":"123456789"})"), "s");  // max_length 8
  EXPECT_EQ(BadField(R"({"s":"12345678"})"), "<ok>");
  EXPECT_EQ(BadField(R"({"s":"h\u00e9"})"), "<ok>");
  json::object bad_utf8{{"s", json::string("\xC3\x28")}};
  auto answer = bus_.Execute(QueryRequest{"echo", bad_utf8, kNoPosition, {}});
  EXPECT_EQ(answer.status().subject(), "s");
}

TEST_F(QueryBusTest, IntegersFromNumbersOrDecimalStrings) {
  EXPECT_EQ(BadField(R"({"s":"a","n":9223372036854775807})"), "<ok>");
  EXPECT_EQ(BadField(R"({"s":"a","n":"-9223372036854775808"})"), "<ok>");
  EXPECT_EQ(BadField(R"({"s":"a","n":9223372036854775808})"), "n");  // past int64
  EXPECT_EQ(BadField(R"({"s":"a","n":"9223372036854775808"})"), "n");
  EXPECT_EQ(BadField(R"({"s":"a","n":1.5})"), "n");
  EXPECT_EQ(BadField(R"({"s":"a","n":1e3})"), "n");
  for (const char* text : {"", "12a", " 1", "1 ", "+1", "0x10", "1.0", "-"}) {
    json::object params{{"s", "a"}, {"n", text}};
    auto answer = bus_.Execute(QueryRequest{"echo", params, kNoPosition, {}});
    EXPECT_EQ(answer.status().subject(), "n") << "'" << text << "'";
  }
}

TEST_F(QueryBusTest, BucketMustBeMinuteHourOrDay) {
  EXPECT_EQ(BadField(R"({"s":"a","bucket":"week"})"), "bucket");
  EXPECT_EQ(BadField(R"({"s":"a","bucket":"Day"})"), "bucket");
  EXPECT_EQ(BadField(R"({"s":"a","bucket":""})"), "bucket");
  for (const char* bucket : {"minute", "hour", "day"}) {
    json::object params{{"s", "a"}, {"bucket", bucket}};
    EXPECT_TRUE(bus_.Execute(QueryRequest{"echo", params, kNoPosition, {}}).ok()) << bucket;
  }
}

TEST_F(QueryBusTest, LimitMustBeOneToOneThousand) {
  EXPECT_EQ(BadField(R"({"s":"a","limit":0})"), "limit");
  EXPECT_EQ(BadField(R"({"s":"a","limit":1001})"), "limit");
  EXPECT_EQ(BadField(R"({"s":"a","limit":-1})"), "limit");
  EXPECT_EQ(BadField(R"({"s":"a","limit":"0"})"), "limit");
  EXPECT_EQ(BadField(R"({"s":"a","limit":"ten"})"), "limit");
  EXPECT_EQ(BadField(R"({"s":"a","limit":1})"), "<ok>");
  EXPECT_EQ(BadField(R"({"s":"a","limit":"1000"})"), "<ok>");
}

TEST_F(QueryBusTest, ChoicesAreCheckedBeforeAnyWait) {
  QueryDefinition pick = EchoQuery("pick");
  pick.params[0].choices = {"red", "green"};
  ASSERT_TRUE(bus_.Register(pick).ok());
  auto bad =
      bus_.Execute(QueryRequest{"pick", {{"s", "blue"}}, GlobalPosition(9), QueryBus::kMaxWait});
  EXPECT_EQ(bad.status().subject(), "s");
  EXPECT_NE(bad.status().message().find("red green"), std::string::npos) << bad.status();
  EXPECT_EQ(engine_.wait_calls(), 0);
  EXPECT_TRUE(bus_.Execute(QueryRequest{"pick", {{"s", "green"}}, kNoPosition, {}}).ok());
}

TEST_F(QueryBusTest, ChoicesOnlyOnStrings) {
  QueryDefinition bad = EchoQuery("bad");
  bad.params[1].choices = {"1", "2"};  // "n", an integer
  EXPECT_EQ(bus_.Register(bad).subject(), "n");
}

TEST_F(QueryBusTest, OverlongCursorIsRefusedBeforeTheStoreSeesIt) {
  json::object params{{"s", "a"}, {"cursor", std::string(4096, 'A')}};
  EXPECT_EQ(bus_.Execute(QueryRequest{"echo", params, kNoPosition, {}}).status().subject(),
            "cursor");
}

TEST_F(QueryBusTest, QueryParamsAccessors) {
  QueryParams params;
  params.Set("s", "text");
  params.Set("n", 12);
  params.Set("b", "minute");
  EXPECT_TRUE(params.Has("s"));
  EXPECT_FALSE(params.Has("x"));
  EXPECT_EQ(params.String("s"), "text");
  EXPECT_EQ(params.String("x", "fallback"), "fallback");
  EXPECT_EQ(params.Integer("n"), 12);
  EXPECT_EQ(params.Integer("x", 3), 3);
  EXPECT_EQ(params.Bucket("b"), TimeBucket::kMinute);
  EXPECT_EQ(params.Bucket("x"), TimeBucket::kDay);
}

TEST_F(QueryBusTest, AnswerCarriesThePositionTheReadReflected) {
  engine_.Commit(GlobalPosition(4), {{"doc", json::object{{"v", 1}}}});
  auto answer = Run(R"({"s":"a"})");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->position, GlobalPosition(4));
  EXPECT_EQ(answer->result.as_object().at("found"), true);
  EXPECT_EQ(engine_.wait_calls(), 0);  // no min_position: no wait
}

TEST_F(QueryBusTest, ReachedMinPositionAnswersAtOnce) {
  engine_.Commit(GlobalPosition(9));
  auto answer = Run(R"({"s":"a"})", GlobalPosition(9), std::chrono::milliseconds(0));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->position, GlobalPosition(9));
}

TEST_F(QueryBusTest, NotReachedInTimeIsNotYetWithThePosition) {
  engine_.Commit(GlobalPosition(3));
  auto answer = Run(R"({"s":"a"})", GlobalPosition(5), std::chrono::milliseconds(1));
  ASSERT_FALSE(answer.ok());
  EXPECT_TRUE(answer.status().IsTimeout());
  EXPECT_EQ(answer.status().subject(), "model");
  EXPECT_EQ(answer.status().position(), 3u);
}

TEST_F(QueryBusTest, WaitIsCutToMaxWaitAndNeverNegative) {
  engine_.Commit(GlobalPosition(2));
  ASSERT_TRUE(Run(R"({"s":"a"})", GlobalPosition(1), std::chrono::hours(1)).ok());
  EXPECT_EQ(engine_.last_timeout(), QueryBus::kMaxWait);
  ASSERT_TRUE(Run(R"({"s":"a"})", GlobalPosition(1), std::chrono::milliseconds(-5)).ok());
  EXPECT_EQ(engine_.last_timeout(), std::chrono::milliseconds(0));
}

TEST_F(QueryBusTest, BadParametersFailBeforeAnyWait) {
  auto answer = Run(R"({})", GlobalPosition(100), std::chrono::hours(1));
  EXPECT_EQ(answer.status().subject(), "s");
  EXPECT_EQ(engine_.wait_calls(), 0);
}

TEST_F(QueryBusTest, ReadBehindMinPositionIsNotYet) {
  // A handler whose read reports less than min_position (say, it read another
  // store) must not be passed off as read-your-writes.
  QueryDefinition stale{"stale",
                        FakeProjectionEngine::kModel,
                        {},
                        [](const QueryParams&, ReadStore&) -> Result<QueryResult> {
                          return QueryResult{json::value(nullptr), GlobalPosition(1)};
                        }};
  ASSERT_TRUE(bus_.Register(stale).ok());
  engine_.Commit(GlobalPosition(5));
  auto answer = bus_.Execute(QueryRequest{"stale", {}, GlobalPosition(5), {}});
  EXPECT_TRUE(answer.status().IsTimeout());
  EXPECT_EQ(answer.status().position(), 1u);
}

TEST_F(QueryBusTest, UnknownReadModelIsTheEnginesNotFound) {
  QueryDefinition orphan = EchoQuery("orphan");
  orphan.read_model = "missing";
  ASSERT_TRUE(bus_.Register(orphan).ok());
  auto answer = bus_.Execute(QueryRequest{"orphan", {{"s", "a"}}, kNoPosition, {}});
  EXPECT_TRUE(answer.status().IsNotFound());
  answer = bus_.Execute(QueryRequest{"orphan", {{"s", "a"}}, GlobalPosition(1), {}});
  EXPECT_TRUE(answer.status().IsNotFound());
}

TEST_F(QueryBusTest, HandlerErrorsPassThroughAndExceptionsBecomeStatus) {
  QueryDefinition failing{"failing",
                          FakeProjectionEngine::kModel,
                          {},
                          [](const QueryParams&, ReadStore&) -> Result<QueryResult> {
                            return Status::NotFound("account", "a1");
                          }};
  QueryDefinition throwing{"throwing",
                           FakeProjectionEngine::kModel,
                           {},
                           [](const QueryParams&, ReadStore&) -> Result<QueryResult> {
                             return QueryResult{json::object().at("absent"), kNoPosition};
                           }};
  ASSERT_TRUE(bus_.Register(failing).ok());
  ASSERT_TRUE(bus_.Register(throwing).ok());
  auto a = bus_.Execute(QueryRequest{"failing", {}, kNoPosition, {}});
  EXPECT_TRUE(a.status().IsNotFound());
  EXPECT_EQ(a.status().subject(), "account");
  auto b = bus_.Execute(QueryRequest{"throwing", {}, kNoPosition, {}});
  EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(QueryBusTest, TypedHandlerOnAnotherStoreKindIsFailedPrecondition) {
  QueryDefinition search{
      "search",
      FakeProjectionEngine::kModel,
      {},
      On<SearchStore>([](const QueryParams&, SearchStore&) -> Result<QueryResult> {
        return QueryResult{json::value(nullptr), kNoPosition};
      })};
  ASSERT_TRUE(bus_.Register(search).ok());
  auto answer = bus_.Execute(QueryRequest{"search", {}, kNoPosition, {}});
  EXPECT_EQ(answer.status().code(), StatusCode::kFailedPrecondition);
}

TEST(FormatUtcTimestampTest, Iso8601Utc) {
  EXPECT_EQ(FormatUtcTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatUtcTimestamp(1'234'567), "1970-01-01T00:00:01.234567Z");
  EXPECT_EQ(FormatUtcTimestamp(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatUtcTimestamp(1'795'437'296'000'000), "2026-11-23T12:34:56Z");
  EXPECT_EQ(FormatUtcTimestamp(1'709'251'199'000'000), "2024-02-29T23:59:59Z");
  EXPECT_EQ(FormatUtcTimestamp(INT64_MAX), "9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatUtcTimestamp(INT64_MIN), "0000-01-01T00:00:00Z");
}

}  // namespace
}  // namespace duet
