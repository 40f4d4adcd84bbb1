// The command contract (duet/contract.h): one declaration checks a body,
// becomes its JSON Schema and its --help lines.
#include "duet/contract.h"

#include <gtest/gtest.h>

namespace duet {
namespace {

const std::vector<FieldSpec>& Fields() {
  static const std::vector<FieldSpec> fields{
      {.name = "account", .pattern = FieldPattern(kIdPattern, "must be an id")},
      {.name = "currency", .pattern = FieldPattern("^[A-Z]{3}$", "must be 3 upper-case letters")},
      {.name = "amount", .type = FieldType::kInteger, .minimum = 1, .maximum = 1000},
      {.name = "note", .required = false, .max_length = 5},
      {.name = "urgent", .type = FieldType::kBoolean, .required = false},
      {.name = "items",
       .type = FieldType::kArray,
       .required = false,
       .min_items = 1,
       .max_items = 2,
       .fields = {{.name = "qty", .type = FieldType::kInteger, .minimum = 1}}},
  };
  return fields;
}

Status Check(std::string_view json) {
  return CheckFields(Fields(), boost::json::parse(json).as_object());
}

TEST(ContractTest, AValidBodyPasses) {
  EXPECT_TRUE(Check(R"({"account":"a-1","currency":"EUR","amount":5})").ok());
  EXPECT_TRUE(Check(R"({"account":"a","currency":"EUR","amount":1000,"note":"hi",)"
                    R"("urgent":true,"items":[{"qty":1},{"qty":2}]})")
                  .ok());
}

TEST(ContractTest, EachBreachNamesItsField) {
  struct Case {
    const char* body;
    const char* field;
    const char* reason;
  };
  const Case cases[] = {
      {R"({"currency":"EUR","amount":5})", "account", "missing"},
      {R"({"account":"a b","currency":"EUR","amount":5})", "account", "must be an id"},
      {R"({"account":"a","currency":"euro","amount":5})", "currency",
       "must be 3 upper-case letters"},
      {R"({"account":"a","currency":"EUR","amount":0})", "amount", "must be greater than 0"},
      {R"({"account":"a","currency":"EUR","amount":1001})", "amount", "must be at most 1000"},
      {R"({"account":"a","currency":"EUR","amount":"5"})", "amount", "must be an integer"},
      {R"({"account":"a","currency":"EUR","amount":1.5})", "amount", "must be an integer"},
      {R"({"account":"a","currency":"EUR","amount":5,"note":"toolong"})", "note",
       "longer than 5 bytes"},
      {R"({"account":"a","currency":"EUR","amount":5,"urgent":1})", "urgent",
       "must be true or false"},
      {R"({"account":"a","currency":"EUR","amount":5,"items":[]})", "items", "must not be empty"},
      {R"({"account":"a","currency":"EUR","amount":5,"items":[{"qty":1},{"qty":1},{"qty":1}]})",
       "items", "more than 2 elements"},
      {R"({"account":"a","currency":"EUR","amount":5,"items":[{"qty":1},{"qty":0}]})",
       "items[1].qty", "must be greater than 0"},
      {R"({"account":"a","currency":"EUR","amount":5,"items":[{"qty":1,"x":2}]})", "items[0].x",
       "unknown field"},
      {R"({"account":"a","currency":"EUR","amount":5,"acount":"a"})", "acount", "unknown field"},
  };
  for (const Case& c : cases) {
    const Status status = Check(c.body);
    EXPECT_TRUE(status.IsInvalidArgument()) << c.body;
    EXPECT_EQ(status.subject(), c.field) << c.body;
    EXPECT_NE(status.message().find(c.reason), std::string::npos) << c.body << ": " << status;
  }
}

TEST(ContractTest, ANullOptionalFieldIsAbsent) {
  EXPECT_TRUE(Check(R"({"account":"a","currency":"EUR","amount":5,"note":null})").ok());
  EXPECT_EQ(Check(R"({"account":null,"currency":"EUR","amount":5})").subject(), "account");
}

TEST(ContractTest, IllDeclaredFieldsAreRefused) {
  EXPECT_EQ(ValidateFields({{.name = "a"}, {.name = "a"}}).subject(), "a");
  EXPECT_TRUE(ValidateFields({{.name = ""}}).IsInvalidArgument());
  EXPECT_EQ(ValidateFields({{.name = "p", .pattern = FieldPattern("([")}}).subject(), "p");
  EXPECT_EQ(ValidateFields({{.name = "n", .min_length = 5, .max_length = 2}}).subject(), "n");
  EXPECT_EQ(ValidateFields({{.name = "i", .type = FieldType::kInteger, .minimum = 3, .maximum = 1}})
                .subject(),
            "i");
  EXPECT_EQ(ValidateFields({{.name = "s", .fields = {{.name = "x"}}}}).subject(), "s");
  EXPECT_EQ(
      ValidateFields({{.name = "o", .type = FieldType::kObject, .fields = {{.name = ""}}}}).code(),
      StatusCode::kInvalidArgument);
  EXPECT_TRUE(ValidateFields(Fields()).ok());
}

TEST(ContractTest, SchemaStatesTheSameLimits) {
  const boost::json::object schema = FieldsSchema(Fields());
  EXPECT_EQ(schema.at("type"), "object");
  EXPECT_EQ(schema.at("additionalProperties"), false);
  EXPECT_EQ(schema.at("required"), boost::json::parse(R"(["account","currency","amount"])"));
  const boost::json::object& properties = schema.at("properties").as_object();
  EXPECT_EQ(properties.at("currency").at("pattern"), "^[A-Z]{3}$");
  EXPECT_EQ(properties.at("amount").at("type"), "integer");
  EXPECT_EQ(properties.at("amount").at("minimum"), 1);
  EXPECT_EQ(properties.at("amount").at("maximum"), 1000);
  EXPECT_EQ(properties.at("note").at("maxLength"), 5);
  EXPECT_EQ(properties.at("items").at("maxItems"), 2);
  EXPECT_EQ(properties.at("items").at("items").at("properties").at("qty").at("minimum"), 1);
}

TEST(ContractTest, HelpHasALinePerField) {
  const std::string help = FieldsHelp(Fields());
  EXPECT_NE(help.find("  currency  string, required, must be 3 upper-case letters"),
            std::string::npos)
      << help;
  EXPECT_NE(help.find("  amount  integer, required, >= 1, <= 1000"), std::string::npos) << help;
  EXPECT_NE(help.find("    qty  integer, required, >= 1"), std::string::npos) << help;
}

}  // namespace
}  // namespace duet
