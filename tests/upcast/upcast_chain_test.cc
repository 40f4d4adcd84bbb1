// UpcasterChain (duet/upcast.h): reshape, multi-step, split, drop and rename;
// ill-formed chains and failing upcasters as kUpcastFailed; the schema
// version in metadata; the codec's schema versions and what the writer stores.
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include "duet/codec.h"
#include "duet/upcast.h"

namespace duet {
namespace {

namespace json = boost::json;

RecordedEvent Stored(std::string type, std::string data, std::string metadata = "{}") {
  RecordedEvent event;
  event.stream = "thing-1";
  event.version = StreamVersion(4);
  event.position = GlobalPosition(17);
  event.timestamp_us = 1'700'000'000'000'000;
  event.id = EventId{0x1234, 0x5678};
  event.type = std::move(type);
  event.data = std::move(data);
  event.metadata = std::move(metadata);
  return event;
}

std::shared_ptr<const UpcasterChain> MakeChain(std::vector<Upcaster> upcasters) {
  Result<std::shared_ptr<const UpcasterChain>> chain = UpcasterChain::Make(std::move(upcasters));
  EXPECT_TRUE(chain.ok()) << chain.status();
  return chain.ok() ? *chain : nullptr;
}

json::value Data(const RecordedEvent& event) { return json::parse(event.data); }

// Thing v1 {"n": "7"} -> v2 {"n": 7}.
Result<std::vector<UpcastEvent>> NumberFromText(const UpcastEvent& event) {
  const json::object& v1 = event.data.as_object();
  return std::vector<UpcastEvent>{
      {"Thing", 2, json::object{{"n", std::stoll(std::string(v1.at("n").as_string()))}}}};
}
// Thing v2 {"n": 7} -> v3 {"n": 7, "unit": "pcs"}.
Result<std::vector<UpcastEvent>> AddUnit(const UpcastEvent& event) {
  json::object v3 = event.data.as_object();
  v3["unit"] = "pcs";
  return std::vector<UpcastEvent>{{"Thing", 3, std::move(v3)}};
}

TEST(UpcasterChainTest, ReshapesAnOldEventAndKeepsWhereItWasStored) {
  auto chain = MakeChain({{"Thing", 1, NumberFromText}});
  const RecordedEvent stored = Stored("Thing", R"({"n":"7"})", R"({"command_id":"c-1"})");
  ASSERT_TRUE(chain->NeedsUpcast(stored));
  Result<std::vector<RecordedEvent>> upcast = chain->Upcast(stored);
  ASSERT_TRUE(upcast.ok()) << upcast.status();
  ASSERT_EQ(upcast->size(), 1u);
  const RecordedEvent& event = upcast->front();
  EXPECT_EQ(event.type, "Thing");
  EXPECT_EQ(Data(event), (json::object{{"n", 7}}));
  EXPECT_EQ(json::parse(event.metadata),
            (json::object{{"command_id", "c-1"}, {"$schema_version", 2}}));
  EXPECT_EQ(event.stream, stored.stream);
  EXPECT_EQ(event.version, stored.version);
  EXPECT_EQ(event.position, stored.position);
  EXPECT_EQ(event.timestamp_us, stored.timestamp_us);
  EXPECT_EQ(event.id, stored.id);
}

TEST(UpcasterChainTest, GoesThroughEveryVersionInTurn) {
  auto chain = MakeChain({{"Thing", 2, AddUnit}, {"Thing", 1, NumberFromText}});
  EXPECT_EQ(chain->CurrentVersion("Thing"), 3u);
  Result<std::vector<RecordedEvent>> from_v1 = chain->Upcast(Stored("Thing", R"({"n":"7"})"));
  ASSERT_TRUE(from_v1.ok()) << from_v1.status();
  ASSERT_EQ(from_v1->size(), 1u);
  EXPECT_EQ(Data(from_v1->front()), (json::object{{"n", 7}, {"unit", "pcs"}}));
  EXPECT_EQ(StoredSchemaVersion(from_v1->front().metadata).value(), 3u);
  // A v2 event starts at v2's upcaster.
  Result<std::vector<RecordedEvent>> from_v2 =
      chain->Upcast(Stored("Thing", R"({"n":5})", R"({"$schema_version":2})"));
  ASSERT_TRUE(from_v2.ok()) << from_v2.status();
  EXPECT_EQ(Data(from_v2->front()), (json::object{{"n", 5}, {"unit", "pcs"}}));
}

TEST(UpcasterChainTest, CurrentAndNewerEventsAndOtherTypesNeedNoUpcast) {
  auto chain = MakeChain({{"Thing", 1, NumberFromText}});
  EXPECT_FALSE(chain->NeedsUpcast(Stored("Thing", R"({"n":7})", R"({"$schema_version":2})")));
  EXPECT_FALSE(chain->NeedsUpcast(Stored("Thing", R"({"n":7})", R"({"$schema_version":9})")));
  EXPECT_FALSE(chain->NeedsUpcast(Stored("Other", R"({"n":"7"})")));
  EXPECT_EQ(chain->CurrentVersion("Other"), 1u);
  // Upcast of an event that needs none returns it as it is.
  Result<std::vector<RecordedEvent>> same =
      chain->Upcast(Stored("Thing", R"({"n":7})", R"({"$schema_version":2})"));
  ASSERT_TRUE(same.ok()) << same.status();
  ASSERT_EQ(same->size(), 1u);
  EXPECT_EQ(Data(same->front()), (json::object{{"n", 7}}));
}

TEST(UpcasterChainTest, SplitsOneEventIntoSeveralInOrder) {
  auto chain =
      MakeChain({{"PairAdded", 1, [](const UpcastEvent& e) -> Result<std::vector<UpcastEvent>> {
                    const json::object& v1 = e.data.as_object();
                    return std::vector<UpcastEvent>{
                        {"ItemAdded", 1, json::object{{"item", v1.at("first")}}},
                        {"ItemAdded", 1, json::object{{"item", v1.at("second")}}}};
                  }}});
  Result<std::vector<RecordedEvent>> upcast =
      chain->Upcast(Stored("PairAdded", R"({"first":"a","second":"b"})"));
  ASSERT_TRUE(upcast.ok()) << upcast.status();
  ASSERT_EQ(upcast->size(), 2u);
  EXPECT_EQ((*upcast)[0].type, "ItemAdded");
  EXPECT_EQ(Data((*upcast)[0]), (json::object{{"item", "a"}}));
  EXPECT_EQ(Data((*upcast)[1]), (json::object{{"item", "b"}}));
  EXPECT_EQ((*upcast)[0].position, (*upcast)[1].position);
  // Version 1 of ItemAdded: the metadata stays as stored.
  EXPECT_EQ((*upcast)[1].metadata, "{}");
}

TEST(UpcasterChainTest, DropsAnEventNothingReadsAnyMore) {
  auto chain = MakeChain({{"Viewed", 1, [](const UpcastEvent&) -> Result<std::vector<UpcastEvent>> {
                             return std::vector<UpcastEvent>{};
                           }}});
  Result<std::vector<RecordedEvent>> upcast = chain->Upcast(Stored("Viewed", R"({})"));
  ASSERT_TRUE(upcast.ok()) << upcast.status();
  EXPECT_TRUE(upcast->empty());
}

TEST(UpcasterChainTest, RenamedTypeGoesOnThroughItsOwnChain) {
  auto chain = MakeChain({{"OldThing", 1,
                           [](const UpcastEvent& e) -> Result<std::vector<UpcastEvent>> {
                             return std::vector<UpcastEvent>{{"Thing", 1, e.data}};
                           }},
                          {"Thing", 1, NumberFromText},
                          {"Thing", 2, AddUnit}});
  Result<std::vector<RecordedEvent>> upcast = chain->Upcast(Stored("OldThing", R"({"n":"3"})"));
  ASSERT_TRUE(upcast.ok()) << upcast.status();
  ASSERT_EQ(upcast->size(), 1u);
  EXPECT_EQ(upcast->front().type, "Thing");
  EXPECT_EQ(Data(upcast->front()), (json::object{{"n", 3}, {"unit", "pcs"}}));
  EXPECT_EQ(StoredSchemaVersion(upcast->front().metadata).value(), 3u);
}

void ExpectUpcastFailed(const Status& status, std::string_view subject, std::string_view text) {
  EXPECT_EQ(status.code(), StatusCode::kUpcastFailed) << status;
  EXPECT_EQ(status.subject(), subject) << status;
  EXPECT_NE(status.message().find(text), std::string::npos) << status;
}

TEST(UpcasterChainTest, AGapInAChainIsRefusedWhenItIsMade) {
  auto chain = UpcasterChain::Make({{"Thing", 1, NumberFromText}, {"Thing", 3, AddUnit}});
  ASSERT_FALSE(chain.ok());
  ExpectUpcastFailed(chain.status(), "Thing", "no upcaster of Thing v2");
}

TEST(UpcasterChainTest, IllDeclaredUpcastersAreRefusedWhenTheChainIsMade) {
  ExpectUpcastFailed(
      UpcasterChain::Make({{"Thing", 1, NumberFromText}, {"Thing", 1, AddUnit}}).status(), "Thing",
      "Thing v1 has two upcasters");
  ExpectUpcastFailed(UpcasterChain::Make({{"Thing", 0, NumberFromText}}).status(), "Thing",
                     "from_version must be at least 1");
  ExpectUpcastFailed(UpcasterChain::Make({{"Thing", 1, nullptr}}).status(), "Thing",
                     "has no function");
  ExpectUpcastFailed(UpcasterChain::Make({{"", 1, NumberFromText}}).status(), "",
                     "not a valid event type");
  EXPECT_TRUE(UpcasterChain::Make({}).ok());
}

TEST(UpcasterChainTest, ALoopThroughRenamesIsANamedError) {
  auto chain = MakeChain({{"Ping", 1,
                           [](const UpcastEvent& e) -> Result<std::vector<UpcastEvent>> {
                             return std::vector<UpcastEvent>{{"Pong", 1, e.data}};
                           }},
                          {"Pong", 1, [](const UpcastEvent& e) -> Result<std::vector<UpcastEvent>> {
                             return std::vector<UpcastEvent>{{"Ping", 1, e.data}};
                           }}});
  Result<std::vector<RecordedEvent>> upcast = chain->Upcast(Stored("Ping", "{}"));
  ASSERT_FALSE(upcast.ok());
  ExpectUpcastFailed(upcast.status(), "Ping", "loop in the chain: Ping v1 -> Pong v1 -> Ping v1");
  EXPECT_NE(upcast.status().message().find("thing-1@4"), std::string::npos) << upcast.status();
}

TEST(UpcasterChainTest, AnUpcasterThatThrowsIsANamedError) {
  auto chain = MakeChain({{"Thing", 1, [](const UpcastEvent&) -> Result<std::vector<UpcastEvent>> {
                             throw std::runtime_error("bad amount");
                           }}});
  Result<std::vector<RecordedEvent>> upcast = chain->Upcast(Stored("Thing", "{}"));
  ASSERT_FALSE(upcast.ok());
  ExpectUpcastFailed(upcast.status(), "Thing", "upcaster of Thing v1 threw: bad amount");
}

TEST(UpcasterChainTest, AnUpcasterThatFailsIsANamedErrorWithItsReason) {
  auto chain = MakeChain({{"Thing", 1, [](const UpcastEvent&) -> Result<std::vector<UpcastEvent>> {
                             return Status::InvalidArgument("n", "not a number");
                           }}});
  Result<std::vector<RecordedEvent>> upcast = chain->Upcast(Stored("Thing", R"({"n":"x"})"));
  ASSERT_FALSE(upcast.ok());
  ExpectUpcastFailed(upcast.status(), "Thing", "invalid_argument: n: not a number");
}

TEST(UpcasterChainTest, DataThatIsNotAJsonObjectIsANamedError) {
  auto chain = MakeChain({{"Thing", 1, [](const UpcastEvent&) -> Result<std::vector<UpcastEvent>> {
                             return std::vector<UpcastEvent>{{"Thing", 2, json::array{1, 2}}};
                           }}});
  Result<std::vector<RecordedEvent>> upcast = chain->Upcast(Stored("Thing", "{}"));
  ASSERT_FALSE(upcast.ok());
  ExpectUpcastFailed(upcast.status(), "Thing", "data that is not a JSON object");
  // The stored data itself must be a JSON object to be upcast.
  Result<std::vector<RecordedEvent>> stored = chain->Upcast(Stored("Thing", "not json"));
  ASSERT_FALSE(stored.ok());
  ExpectUpcastFailed(stored.status(), "Thing", "its data is not a JSON object");
}

TEST(UpcasterChainTest, VersionsOfOneTypeGoOneAtATime) {
  auto skips =
      MakeChain({{"Thing", 1, [](const UpcastEvent& e) -> Result<std::vector<UpcastEvent>> {
                    return std::vector<UpcastEvent>{{"Thing", 3, e.data}};
                  }}});
  Result<std::vector<RecordedEvent>> upcast = skips->Upcast(Stored("Thing", "{}"));
  ASSERT_FALSE(upcast.ok());
  ExpectUpcastFailed(upcast.status(), "Thing", "returned Thing v3");
  auto unnamed =
      MakeChain({{"Thing", 1, [](const UpcastEvent& e) -> Result<std::vector<UpcastEvent>> {
                    return std::vector<UpcastEvent>{{"has space", 1, e.data}};
                  }}});
  Result<std::vector<RecordedEvent>> renamed = unnamed->Upcast(Stored("Thing", "{}"));
  ASSERT_FALSE(renamed.ok());
  ExpectUpcastFailed(renamed.status(), "Thing", "returned event type 'has space'");
}

TEST(UpcasterChainTest, AnUpcasterYieldingTooManyEventsIsStopped) {
  auto chain =
      MakeChain({{"Batch", 1, [](const UpcastEvent& e) -> Result<std::vector<UpcastEvent>> {
                    return std::vector<UpcastEvent>(5000, UpcastEvent{"Item", 1, e.data});
                  }}});
  Result<std::vector<RecordedEvent>> upcast = chain->Upcast(Stored("Batch", "{}"));
  ASSERT_FALSE(upcast.ok());
  ExpectUpcastFailed(upcast.status(), "Item", "more than 1024 events");
}

TEST(UpcasterChainTest, BadStoredSchemaVersionIsANamedError) {
  auto chain = MakeChain({{"Thing", 1, NumberFromText}});
  const RecordedEvent stored = Stored("Thing", R"({"n":"7"})", R"({"$schema_version":"two"})");
  EXPECT_TRUE(chain->NeedsUpcast(stored));  // so that Upcast reports it
  Result<std::vector<RecordedEvent>> upcast = chain->Upcast(stored);
  ASSERT_FALSE(upcast.ok());
  ExpectUpcastFailed(upcast.status(), "Thing", "not a schema version");
  EXPECT_FALSE(StoredSchemaVersion(R"({"$schema_version":0})").ok());
  EXPECT_FALSE(StoredSchemaVersion(R"({"$schema_version":4294967296})").ok());
}

TEST(SchemaVersionMetadataTest, AbsentMeansVersionOne) {
  EXPECT_EQ(StoredSchemaVersion("").value(), 1u);
  EXPECT_EQ(StoredSchemaVersion("{}").value(), 1u);
  EXPECT_EQ(StoredSchemaVersion(R"({"command_id":"x"})").value(), 1u);
  EXPECT_EQ(StoredSchemaVersion("not json").value(), 1u);
  EXPECT_EQ(StoredSchemaVersion(R"({"$schema_version":12})").value(), 12u);
}

TEST(SchemaVersionMetadataTest, VersionOneLeavesMetadataAsItWas) {
  EXPECT_EQ(WithSchemaVersion(R"({"a":1})", 1), R"({"a":1})");
  EXPECT_EQ(WithSchemaVersion("", 1), "");
  EXPECT_EQ(json::parse(WithSchemaVersion(R"({"a":1})", 2)),
            (json::object{{"a", 1}, {"$schema_version", 2}}));
  EXPECT_EQ(json::parse(WithSchemaVersion(R"({"a":1,"$schema_version":3})", 1)),
            (json::object{{"a", 1}, {"$schema_version", 1}}));
  EXPECT_EQ(json::parse(WithSchemaVersion("", 2)), (json::object{{"$schema_version", 2}}));
}

struct Old {
  int n = 0;
};
struct New {
  int n = 0;
};

TEST(CodecSchemaVersionTest, EventTypesDefaultToVersionOne) {
  const EventCodec<std::variant<Old, New>> codec{
      EventType<Old>{
          "Old",
          [](const Old& e) {
            return json::object{{"n", e.n}};
          },
          [](JsonReader& f) -> Result<Old> { return Old{static_cast<int>(f.Int64("n"))}; }},
      EventType<New>{
          "New",
          [](const New& e) {
            return json::object{{"n", e.n}};
          },
          [](JsonReader& f) -> Result<New> { return New{static_cast<int>(f.Int64("n"))}; }, 4}};
  EXPECT_TRUE(codec.status().ok());
  EXPECT_EQ(codec.SchemaVersion<Old>(), 1u);
  EXPECT_EQ(codec.SchemaVersion<New>(), 4u);
  EXPECT_EQ(codec.SchemaVersion(std::variant<Old, New>(New{})), 4u);
  EXPECT_EQ(codec.SchemaVersion("New"), 4u);
  EXPECT_EQ(codec.SchemaVersion("Unknown"), 0u);
}

TEST(CodecSchemaVersionTest, VersionZeroIsRefused) {
  const EventCodec<std::variant<Old>> codec{EventType<Old>{
      "Old",
      [](const Old& e) {
        return json::object{{"n", e.n}};
      },
      [](JsonReader& f) -> Result<Old> { return Old{static_cast<int>(f.Int64("n"))}; }, 0}};
  EXPECT_TRUE(codec.status().IsInvalidArgument()) << codec.status();
}

}  // namespace
}  // namespace duet
