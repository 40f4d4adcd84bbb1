// The generated OpenAPI document (server/openapi_document.h) of the example
// app: one path per command and per query with their own schemas, only what
// a role serves, deterministic; and every documented command example is a
// body the bus accepts.
#include "server/openapi_document.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <set>
#include <string>

#include "server/openapi_parts.h"
#include "tests/openapi/example_node.h"
#include "tests/support/temp_dir.h"

namespace duet::server {
namespace {

namespace json = boost::json;

class OpenApiDocumentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<testing::ExampleNode>> node = testing::ExampleNode::Open(dir_ / "data");
    ASSERT_TRUE(node.ok()) << node.status();
    node_ = std::move(*node);
  }

  json::object Document(const OpenApiInputs& inputs) {
    boost::system::error_code ec;
    json::value doc = json::parse(GenerateOpenApi(inputs), ec);
    EXPECT_FALSE(ec) << ec.message();
    return doc.is_object() ? doc.as_object() : json::object{};
  }

  const json::object& Paths(const json::object& doc) { return doc.at("paths").as_object(); }

  testing::TempDir dir_;
  std::unique_ptr<testing::ExampleNode> node_;
};

TEST_F(OpenApiDocumentTest, FixedPartsAreJsonObjects) {
  for (std::string_view text : {OpenApiHead(), OpenApiGenericPaths(), OpenApiGenericComponents(),
                                OpenApiGenericSchemas()}) {
    boost::system::error_code ec;
    json::value value = json::parse(text, ec);
    ASSERT_FALSE(ec) << ec.message() << ": " << text.substr(0, 80);
    EXPECT_TRUE(value.is_object() && !value.as_object().empty());
  }
}

TEST_F(OpenApiDocumentTest, IsOpenApi31AndDeterministic) {
  const std::string first = GenerateOpenApi(node_->OpenApiInputs());
  EXPECT_EQ(first, GenerateOpenApi(node_->OpenApiInputs()));
  json::object doc = Document(node_->OpenApiInputs());
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
}

TEST_F(OpenApiDocumentTest, OnePathPerCommandWithItsContractAsBody) {
  json::object doc = Document(node_->OpenApiInputs());
  const json::object& schemas = doc.at("components").at("schemas").as_object();
  const std::vector<CommandInfo> commands = node_->commands->Commands();
  ASSERT_EQ(commands.size(), 10u);
  for (const CommandInfo& command : commands) {
    const json::value* item = Paths(doc).if_contains("/commands/" + command.name);
    ASSERT_NE(item, nullptr) << command.name;
    const json::object& media =
        item->at("post").at("requestBody").at("content").at("application/json").as_object();
    EXPECT_EQ(media.at("schema").at("$ref"), json::value("#/components/schemas/" + command.name));
    json::object schema = schemas.at(command.name).as_object();
    EXPECT_EQ(schema.at("title"), json::value(command.name));
    schema.erase("title");
    schema.erase("description");
    EXPECT_EQ(schema, FieldsSchema(command.fields)) << command.name;
    EXPECT_EQ(media.at("example"), json::parse(command.example)) << command.name;
  }
  EXPECT_FALSE(Paths(doc).contains("/commands/{type}"));
}

TEST_F(OpenApiDocumentTest, OnePathPerQueryWithItsParametersAndAnswer) {
  json::object doc = Document(node_->OpenApiInputs());
  const json::object& schemas = doc.at("components").at("schemas").as_object();
  ASSERT_EQ(node_->queries->definitions().size(), 10u);
  for (const QueryDefinition& query : node_->queries->definitions()) {
    const json::value* item = Paths(doc).if_contains("/queries/" + query.name);
    ASSERT_NE(item, nullptr) << query.name;
    std::set<std::string> names;
    for (const json::value& p : item->at("get").at("parameters").as_array()) {
      if (const json::value* name = p.as_object().if_contains("name")) {
        names.insert(std::string(name->as_string()));
      }
    }
    for (const QueryParam& param : query.params) EXPECT_TRUE(names.contains(param.name));
    EXPECT_EQ(names.size(), query.params.size()) << query.name;
    const std::string ref(item->at("get")
                              .at("responses")
                              .at("200")
                              .at("content")
                              .at("application/json")
                              .at("schema")
                              .at("$ref")
                              .as_string());
    const json::object& answer = schemas.at(ref.substr(ref.rfind('/') + 1)).as_object();
    json::object data = answer.at("properties").at("data").as_object();
    data.erase("description");
    json::object declared = query.result_schema.as_object();
    declared.erase("description");
    EXPECT_EQ(data, declared) << query.name;
    EXPECT_EQ(answer.at("properties").at("read_model").at("const"), json::value(query.read_model));
  }
  EXPECT_FALSE(Paths(doc).contains("/queries/{name}"));
}

TEST_F(OpenApiDocumentTest, EachRoleDocumentsOnlyWhatItServes) {
  json::object command_node = Document({.role = "command", .commands = node_->commands});
  json::object query_node =
      Document({.role = "query", .queries = node_->queries, .has_projections = true});
  for (const auto& [path, item] : Paths(command_node)) {
    EXPECT_FALSE(path.starts_with("/queries/") || path.starts_with("/projections")) << path;
  }
  EXPECT_TRUE(Paths(command_node).at("/streams/{stream}").as_object().contains("post"));
  EXPECT_FALSE(command_node.at("components").at("schemas").as_object().contains("BalanceAnswer"));
  for (const auto& [path, item] : Paths(query_node)) {
    EXPECT_FALSE(path.starts_with("/commands/")) << path;
  }
  EXPECT_FALSE(Paths(query_node).at("/streams/{stream}").as_object().contains("post"));
  EXPECT_TRUE(Paths(query_node).contains("/projections"));
  EXPECT_FALSE(query_node.at("components").at("schemas").as_object().contains("CommandAccepted"));
  EXPECT_FALSE(query_node.at("components").at("schemas").as_object().contains("Deposit"));
}

// A command named like a generic schema gets its own name; a command without
// a declared contract is documented as any object.
TEST_F(OpenApiDocumentTest, CommandSchemasNeverReplaceGenericOnes) {
  struct Event {};
  CommandBus bus(nullptr);  // registration only: never dispatched
  ASSERT_TRUE(
      bus.Register(
             CommandType<Event>{.name = "Event",
                                .decode = [](JsonReader&) -> Result<Event> { return Event{}; }},
             CommandHandler<Event>([](const Event&, UnitOfWork&) { return Status::OK(); }))
          .ok());
  json::object doc = Document({.role = "command", .commands = &bus});
  const json::object& schemas = doc.at("components").at("schemas").as_object();
  ASSERT_TRUE(schemas.contains("EventCommand"));
  EXPECT_EQ(schemas.at("EventCommand").at("type"), "object");
  EXPECT_FALSE(schemas.at("EventCommand").as_object().contains("properties"));
  EXPECT_TRUE(schemas.at("Event").as_object().contains("properties"));  // the log's Event
}

// Every documented example, posted as JSON in the scenario's order on fresh
// domains, is accepted; the scenario runs each registered command's example.
TEST_F(OpenApiDocumentTest, EveryDocumentedExampleIsAccepted) {
  std::map<std::string, std::string> examples;
  for (const CommandInfo& command : node_->commands->Commands()) {
    ASSERT_FALSE(command.example.empty()) << command.name << " documents no example";
    examples[command.name] = command.example;
  }
  std::set<std::string> run;
  for (const testing::ExampleStep& step : testing::DocumentedExampleScenario()) {
    const bool example = step.body.empty();
    const std::string body = example ? examples.at(step.type) : step.body;
    Result<CommandResult> result = node_->commands->Dispatch(step.type, body);
    EXPECT_TRUE(result.ok()) << step.type << " " << body << ": " << result.status();
    if (example) run.insert(step.type);
  }
  EXPECT_EQ(run.size(), examples.size()) << "a registered command's example is not run";
}

// Every query answers on the scenario's data (the answers themselves are
// checked against the documented schemas by ajv: validate_openapi.sh).
TEST_F(OpenApiDocumentTest, EveryQueryAnswersOnTheExamples) {
  for (const testing::ExampleStep& step : testing::DocumentedExampleScenario()) {
    std::string body = step.body;
    if (body.empty()) {
      for (const CommandInfo& command : node_->commands->Commands()) {
        if (command.name == step.type) body = command.example;
      }
    }
    ASSERT_TRUE(node_->commands->Dispatch(step.type, body).ok()) << step.type;
  }
  Result<json::array> answers = node_->SampleAnswers();
  ASSERT_TRUE(answers.ok()) << answers.status();
  std::set<std::string> queried;
  for (const json::value& call : *answers)
    queried.insert(std::string(call.at("query").as_string()));
  EXPECT_EQ(queried.size(), node_->queries->definitions().size());
}

}  // namespace
}  // namespace duet::server
