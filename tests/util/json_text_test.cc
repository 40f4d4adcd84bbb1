#include "util/json_text.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace duet {
namespace {

namespace json = boost::json;

// The issue's example: Boost.JSON writes 9.924513244171866E-1.
TEST(JsonTextTest, FractionIsPlainDecimal) {
  EXPECT_EQ(JsonText(json::value(0.9924513244171866)), "0.9924513244171866");
}

TEST(JsonTextTest, SmallNumberHasNoExponent) {
  EXPECT_EQ(JsonText(json::value(1e-7)), "0.0000001");
}

TEST(JsonTextTest, LargeNumberHasNoExponent) {
  EXPECT_EQ(JsonText(json::value(1e21)), "1000000000000000000000.0");
}

// A whole double keeps a fraction, so a reader sees a double again.
TEST(JsonTextTest, WholeDoubleKeepsAFraction) {
  EXPECT_EQ(JsonText(json::value(2.0)), "2.0");
  EXPECT_TRUE(json::parse(JsonText(json::value(2.0))).is_double());
}

TEST(JsonTextTest, IntegersAsBoostWritesThem) {
  EXPECT_EQ(JsonText(json::value(int64_t{-42})), "-42");
  EXPECT_EQ(JsonText(json::value(uint64_t{18446744073709551615u})), "18446744073709551615");
  EXPECT_EQ(JsonText(json::value(int64_t{0})), "0");
}

TEST(JsonTextTest, NegativeZeroKeepsItsSign) {
  const std::string text = JsonText(json::value(-0.0));
  EXPECT_EQ(text, "-0.0");
  EXPECT_TRUE(std::signbit(json::parse(text).as_double()));
}

// JSON has no NaN or infinity: null keeps the document parseable.
TEST(JsonTextTest, NonFiniteIsNull) {
  EXPECT_EQ(JsonText(json::value(std::nan(""))), "null");
  EXPECT_EQ(JsonText(json::value(std::numeric_limits<double>::infinity())), "null");
  EXPECT_EQ(JsonText(json::value(-std::numeric_limits<double>::infinity())), "null");
}

TEST(JsonTextTest, ExtremeDoublesRoundTrip) {
  for (double d : {std::numeric_limits<double>::max(), std::numeric_limits<double>::denorm_min(),
                   -std::numeric_limits<double>::min(), 0.1, 123456.789, 1e-300}) {
    const std::string text = JsonText(json::value(d));
    EXPECT_EQ(text.find_first_of("eE"), std::string::npos) << text;
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), d) << text;
  }
}

TEST(JsonTextTest, NestedDocumentMatchesBoostButForDoubles) {
  const json::value doc =
      json::parse(R"({"name":"a\"b\n\u0001","items":[1,true,null,{"x":-3}],"empty":{},"list":[]})");
  EXPECT_EQ(JsonText(doc), json::serialize(doc));
  const json::value with_double{{"lag", 0.5}, {"rates", json::array{1.5, 1e-9}}};
  EXPECT_EQ(JsonText(with_double), R"({"lag":0.5,"rates":[1.5,0.000000001]})");
}

}  // namespace
}  // namespace duet
