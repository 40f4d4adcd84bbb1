#include "duet/json_reader.h"

#include <gtest/gtest.h>

namespace duet {
namespace {

boost::json::object Parse(std::string_view text) { return ParseJsonObject(text).value(); }

TEST(JsonReaderTest, ReadsRequiredFields) {
  auto o = Parse(R"({"s":"x","i":-7,"b":true,"a":[1],"o":{}})");
  JsonReader r(o);
  EXPECT_EQ(r.String("s"), "x");
  EXPECT_EQ(r.Int64("i"), -7);
  EXPECT_TRUE(r.Bool("b"));
  ASSERT_NE(r.Array("a"), nullptr);
  ASSERT_NE(r.Object("o"), nullptr);
  EXPECT_TRUE(r.Finish().ok());
}

TEST(JsonReaderTest, MissingFieldIsNamed) {
  auto o = Parse(R"({"a":"x"})");
  JsonReader r(o);
  r.String("a");
  r.Int64("amount");
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(r.status().subject(), "amount");
  EXPECT_EQ(r.status().message(), "missing");
}

TEST(JsonReaderTest, WrongTypeIsNamed) {
  auto o = Parse(R"({"amount":"10"})");
  JsonReader r(o);
  r.Int64("amount");
  EXPECT_EQ(r.status().subject(), "amount");
  EXPECT_EQ(r.status().message(), "must be an integer");
}

TEST(JsonReaderTest, FractionalNumberIsNotAnInteger) {
  auto o = Parse(R"({"amount":10.5})");
  JsonReader r(o);
  r.Int64("amount");
  EXPECT_EQ(r.status().message(), "must be an integer");
}

TEST(JsonReaderTest, IntegerAboveInt64IsOutOfRange) {
  auto o = Parse(R"({"amount":9223372036854775808})");
  JsonReader r(o);
  r.Int64("amount");
  EXPECT_EQ(r.status().subject(), "amount");
  EXPECT_NE(r.status().message().find("out of range"), std::string::npos);
}

TEST(JsonReaderTest, LargestInt64IsAccepted) {
  auto o = Parse(R"({"amount":9223372036854775807})");
  JsonReader r(o);
  EXPECT_EQ(r.Int64("amount"), INT64_MAX);
  EXPECT_TRUE(r.status().ok());
}

TEST(JsonReaderTest, FirstErrorWins) {
  auto o = Parse(R"({})");
  JsonReader r(o);
  r.String("first");
  r.String("second");
  EXPECT_EQ(r.status().subject(), "first");
}

TEST(JsonReaderTest, FinishRejectsUnknownField) {
  auto o = Parse(R"({"account":"a","ammount":5})");
  JsonReader r(o);
  r.String("account");
  Status s = r.Finish();
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_EQ(s.subject(), "ammount");
  EXPECT_EQ(s.message(), "unknown field");
}

// Read members are tracked by their index in the object: past the first 64
// too, and whatever the order of the reads.
TEST(JsonReaderTest, FinishTracksMembersPastTheSixtyFourth) {
  boost::json::object o;
  for (int i = 0; i < 100; ++i) o["k" + std::to_string(i)] = i;
  JsonReader all(o);
  for (int i = 99; i >= 0; --i) EXPECT_EQ(all.Int64("k" + std::to_string(i)), i);
  EXPECT_TRUE(all.Finish().ok()) << all.Finish();
  for (int skipped : {3, 80}) {
    JsonReader r(o);
    for (int i = 0; i < 100; ++i) {
      if (i != skipped) r.Int64("k" + std::to_string(i));
    }
    EXPECT_EQ(r.Finish().subject(), "k" + std::to_string(skipped));
  }
}

TEST(ParseJsonObjectTest, ParsesIntoTheGivenMemoryResource) {
  unsigned char buffer[512];
  boost::json::monotonic_resource arena(buffer, sizeof buffer);
  auto o =
      ParseJsonObject(R"({"a":[1,2],"s":"a string longer than the small buffer"})", "data", &arena);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->storage().get(), &arena);
  EXPECT_EQ(o->at("s"), "a string longer than the small buffer");
}

TEST(ParseJsonObjectTest, AFailedParseIntoAResourceLeavesNothingForTheNext) {
  for (int round = 0; round < 2; ++round) {
    unsigned char buffer[256];
    boost::json::monotonic_resource arena(buffer, sizeof buffer);
    auto bad = ParseJsonObject(R"({"a":[1,{"b":"unterminated)", "data", &arena);
    EXPECT_EQ(bad.status().subject(), "data");
    auto good = ParseJsonObject(R"({"a":[1,{"b":"c"}]})", "data", &arena);
    ASSERT_TRUE(good.ok()) << good.status();
    EXPECT_EQ(good->at("a").at(1).at("b"), "c");
  }
}

TEST(JsonReaderTest, OptionalFieldsMayBeAbsentOrNull) {
  auto o = Parse(R"({"n":null})");
  JsonReader r(o);
  EXPECT_FALSE(r.OptionalString("n").has_value());
  EXPECT_FALSE(r.OptionalString("absent").has_value());
  EXPECT_FALSE(r.OptionalInt64("absent2").has_value());
  EXPECT_TRUE(r.Finish().ok());
}

TEST(JsonReaderTest, OptionalFieldOfWrongTypeIsAnError) {
  auto o = Parse(R"({"reason":5})");
  JsonReader r(o);
  r.OptionalString("reason");
  EXPECT_EQ(r.status().subject(), "reason");
}

TEST(JsonReaderTest, NestedPathsNameTheElement) {
  auto o = Parse(R"({"items":[{"qty":1},{"qty":"x"}]})");
  JsonReader r(o);
  const auto* items = r.Array("items");
  ASSERT_NE(items, nullptr);
  for (size_t i = 0; i < items->size(); ++i) {
    JsonReader item((*items)[i].get_object(), r.ElementPath("items", i));
    item.Int64("qty");
    r.Merge(item.Finish());
  }
  EXPECT_EQ(r.status().subject(), "items[1].qty");
}

TEST(ParseJsonObjectTest, MalformedTextIsBadBody) {
  auto r = ParseJsonObject("{\"a\":", "body");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(r.status().subject(), "body");
}

TEST(ParseJsonObjectTest, NonObjectIsBadBody) {
  auto r = ParseJsonObject("[1,2]", "body");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "must be a JSON object");
}

TEST(ParseJsonObjectTest, DeepNestingIsRejectedNotCrashed) {
  std::string deep = "{\"a\":" + std::string(10000, '[') + std::string(10000, ']') + "}";
  auto r = ParseJsonObject(deep, "body");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
}

}  // namespace
}  // namespace duet
