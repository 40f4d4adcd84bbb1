#include "duet/codec.h"

#include <gtest/gtest.h>

#include "tests/domain/counter_example.h"
#include "tests/domain/tally.h"

namespace duet {
namespace {

TEST(EventCodecTest, RoundTripsEveryEventType) {
  for (const counter::Event& event :
       {counter::Event(counter::Incremented{42}), counter::Event(counter::WasReset{})}) {
    const std::string type(counter::kCodec.Name(event));
    auto decoded = counter::kCodec.Decode(type, counter::kCodec.EncodeData(event));
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(*decoded, event);
  }
}

TEST(EventCodecTest, PersistedNameIsTheRegisteredOneNotTheCppName) {
  EXPECT_EQ(counter::kCodec.Name(counter::Event(counter::WasReset{})), "CounterReset");
  EXPECT_EQ(counter::kCodec.Name<counter::Incremented>(), "Incremented");
}

TEST(EventCodecTest, EncodesDataAsJson) {
  EXPECT_EQ(counter::kCodec.EncodeData(counter::Incremented{7}), R"({"by":7})");
}

TEST(EventCodecTest, UnknownTypeIsNotFoundNamingTheType) {
  auto decoded = counter::kCodec.Decode("Decremented", R"({"by":1})");
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(decoded.status().IsNotFound());
  EXPECT_EQ(decoded.status().subject(), "Decremented");
  EXPECT_FALSE(counter::kCodec.Knows("Decremented"));
  EXPECT_TRUE(counter::kCodec.Knows("CounterReset"));
}

TEST(EventCodecTest, MalformedDataIsInvalidArgument) {
  auto decoded = counter::kCodec.Decode("Incremented", "{not json");
  ASSERT_FALSE(decoded.ok());
  EXPECT_TRUE(decoded.status().IsInvalidArgument());
  EXPECT_EQ(decoded.status().subject(), "data");
}

TEST(EventCodecTest, MissingFieldInDataIsNamed) {
  auto decoded = counter::kCodec.Decode("Incremented", R"({"amount":1})");
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().subject(), "by");
}

TEST(EventCodecTest, UnknownFieldsInDataAreIgnored) {
  auto decoded = counter::kCodec.Decode("Incremented", R"({"by":3,"added_later":true})");
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(std::get<counter::Incremented>(*decoded).by, 3);
}

TEST(EventCodecTest, ListsItsNames) {
  EXPECT_EQ(counter::kCodec.Names(),
            (std::vector<std::string_view>{"Incremented", "CounterReset"}));
  EXPECT_TRUE(counter::kCodec.status().ok());
}

struct A {};
struct B {};
using AB = std::variant<A, B>;
boost::json::object EncodeNothing(const A&) { return {}; }
boost::json::object EncodeNothingB(const B&) { return {}; }
Result<A> DecodeA(JsonReader&) { return A{}; }
Result<B> DecodeB(JsonReader&) { return B{}; }

TEST(EventCodecTest, RepeatedNameIsReported) {
  EventCodec<AB> codec{EventType<A>{"Same", EncodeNothing, DecodeA},
                       EventType<B>{"Same", EncodeNothingB, DecodeB}};
  EXPECT_TRUE(codec.status().IsInvalidArgument());
  EXPECT_EQ(codec.status().subject(), "Same");
}

TEST(EventCodecTest, NameWithSpaceIsReported) {
  EventCodec<AB> codec{EventType<A>{"Has space", EncodeNothing, DecodeA},
                       EventType<B>{"B", EncodeNothingB, DecodeB}};
  EXPECT_TRUE(codec.status().IsInvalidArgument());
}

TEST(StateCodecTest, TallyStateRoundTrips) {
  testing::tally::State state{123, 4};
  const std::string json = ToJsonText(testing::tally::kStateV1.encode(state));
  auto object = ParseJsonObject(json);
  ASSERT_TRUE(object.ok());
  JsonReader fields(*object);
  auto decoded = testing::tally::kStateV1.decode(fields);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, state);
}

TEST(DeciderTest, FoldAndDecideAfterAreGivenWhenThen) {
  std::vector<counter::Event> given{counter::Incremented{600}, counter::Incremented{300}};
  EXPECT_EQ(Fold(counter::kCounter, std::span<const counter::Event>(given)).value, 900);
  auto then = DecideAfter(counter::kCounter, std::span<const counter::Event>(given),
                          counter::Command(counter::Increment{"c", 101}));
  ASSERT_FALSE(then.ok());
  EXPECT_EQ(then.status().subject(), "max-1000");
}

TEST(DeciderTest, StreamNameIsCategoryDashId) {
  EXPECT_EQ(StreamName("account", "a1"), "account-a1");
}

TEST(DeciderTest, ValidateIdNamesTheField) {
  EXPECT_TRUE(ValidateId("account", "a-1_b.c:d@e").ok());
  EXPECT_EQ(ValidateId("account", "").subject(), "account");
  EXPECT_TRUE(ValidateId("account", "has space").IsInvalidArgument());
  EXPECT_TRUE(ValidateId("account", "a/b").IsInvalidArgument());
  EXPECT_TRUE(ValidateId("account", std::string(129, 'a')).IsInvalidArgument());
  EXPECT_TRUE(ValidateId("account", std::string(128, 'a')).ok());
}

}  // namespace
}  // namespace duet
