#include "util/canonical_json.h"

#include <gtest/gtest.h>

namespace duet {
namespace {

TEST(CanonicalJsonTest, SortsObjectKeysAtEveryDepth) {
  boost::json::object inner{{"z", 1}, {"a", 2}};
  boost::json::object doc{{"b", inner}, {"a", boost::json::array{3, "x"}}};
  EXPECT_EQ(CanonicalJson(doc), R"({"a":[3,"x"],"b":{"a":2,"z":1}})");
}

TEST(CanonicalJsonTest, EqualContentGivesEqualBytesWhateverTheInsertionOrder) {
  boost::json::object one;
  one["owner"] = "ada";
  one["balances"] = boost::json::object{{"EUR", 5}, {"USD", 7}};
  boost::json::object two;
  two["balances"] = boost::json::object{{"USD", 7}, {"EUR", 5}};
  two["owner"] = "ada";
  EXPECT_EQ(CanonicalJson(one), CanonicalJson(two));
  two["owner"] = "bob";
  EXPECT_NE(CanonicalJson(one), CanonicalJson(two));
}

TEST(CanonicalJsonTest, KeepsArrayOrderAndEscapesStrings) {
  boost::json::value v = boost::json::array{2, 1, "a\"b\n", nullptr, true, 1.5};
  EXPECT_EQ(CanonicalJson(v), R"([2,1,"a\"b\n",null,true,1.5E0])");
}

TEST(CanonicalJsonTest, EscapesKeys) {
  boost::json::object doc{{"q\"k", 1}};
  EXPECT_EQ(CanonicalJson(doc), R"({"q\"k":1})");
}

}  // namespace
}  // namespace duet
