// The OpenAPI document a node generates (GenerateOpenApi, served at
// /openapi.json; docs/openapi.json is the example app's copy) against the
// routes the node really serves: every documented operation is routed, every
// route is documented, and each documents its route's token scope. The node
// is role `all` with both example domains on a real store, so every route is
// present. The document names each command and query path
// (/commands/Deposit); the router serves them through its templates
// (/commands/{type}), which count as documented when a concrete path they
// answer is.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <set>
#include <string>
#include <utility>

#include "server/api_routes.h"
#include "server/auth.h"
#include "server/openapi_document.h"
#include "server/router.h"
#include "tests/openapi/example_node.h"
#include "tests/support/temp_dir.h"

namespace duet::server {
namespace {

namespace json = boost::json;

using Operation = std::pair<std::string, std::string>;  // method, path pattern

const std::set<std::string> kMethods = {"get", "put", "post", "delete", "patch", "head", "options"};

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// "/projections/{name}/rebuild" -> "/projections/x-name/rebuild": a path the
// pattern matches, with each capture filled in.
std::string Concrete(const std::string& pattern) {
  std::string path;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '{') {
      path += pattern[i];
      continue;
    }
    const size_t close = pattern.find('}', i);
    path += "x-" + pattern.substr(i + 1, close - i - 1);
    i = close;
  }
  return path;
}

class OpenApiRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<testing::ExampleNode>> node = testing::ExampleNode::Open(dir_ / "data");
    ASSERT_TRUE(node.ok()) << node.status().ToString();
    node_ = std::move(*node);
    ApiBackends backends;
    backends.role = "all";
    backends.store = node_->store;
    backends.commands = node_->commands;
    backends.projections = node_->projections;
    backends.queries = node_->queries;
    backends.health = [] { return Status::OK(); };
    backends.readiness = [] { return Status::OK(); };
    backends.metrics = [] { return std::string(); };
    AddApiRoutes(backends, &router_);

    boost::system::error_code ec;
    json::value doc = json::parse(GenerateOpenApi(node_->OpenApiInputs()), ec);
    ASSERT_FALSE(ec) << "the generated document is not JSON: " << ec.message();
    ASSERT_TRUE(doc.is_object());
    doc_ = std::move(doc.as_object());
    ASSERT_TRUE(doc_.contains("paths"));
  }

  // The route that serves a documented (method, path): its own pattern, or
  // the template that answers a concrete command or query path.
  const Route* ServingRoute(const std::string& method, const std::string& pattern) const {
    return router_.Find(method, Concrete(pattern)).route;
  }

  // Every (method, path) in the document with its operation object.
  std::vector<std::pair<Operation, const json::object*>> Documented() const {
    std::vector<std::pair<Operation, const json::object*>> out;
    for (const auto& [path, item] : doc_.at("paths").as_object()) {
      for (const auto& [key, operation] : item.as_object()) {
        if (!kMethods.contains(std::string(key))) continue;  // "parameters", "summary", ...
        out.push_back({{Upper(std::string(key)), std::string(path)}, &operation.as_object()});
      }
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::ExampleNode> node_;
  Router router_;
  json::object doc_;
};

// A concrete path ("/commands/Deposit") may be served by a template
// ("/commands/{type}"); a documented template must be served by itself.
bool IsTemplate(const std::string& pattern) { return pattern.find('{') != std::string::npos; }

TEST_F(OpenApiRoutesTest, EveryDocumentedOperationIsServed) {
  const auto documented = Documented();
  ASSERT_FALSE(documented.empty());
  for (const auto& [operation, body] : documented) {
    const auto& [method, pattern] = operation;
    RouteMatch match = router_.Find(method, Concrete(pattern));
    ASSERT_NE(match.route, nullptr) << method << " " << pattern << " is documented but not served"
                                    << " (router answers " << match.status << ")";
    if (IsTemplate(pattern) || !IsTemplate(match.route->pattern)) {
      EXPECT_EQ(match.route->pattern, pattern)
          << method << " " << pattern << " is served by another route";
    }
  }
}

// Each route is documented: by its own pattern, or (a template) by at least
// one concrete path it serves. The command and query templates are documented
// by exactly the registered names.
TEST_F(OpenApiRoutesTest, EveryRouteIsDocumented) {
  std::set<Operation> served_by;  // (method, route pattern) of each documented operation
  std::set<std::string> command_paths, query_paths;
  for (const auto& [operation, body] : Documented()) {
    const auto& [method, pattern] = operation;
    if (const Route* route = ServingRoute(method, pattern))
      served_by.insert({method, route->pattern});
    if (pattern.starts_with("/commands/")) command_paths.insert(pattern.substr(10));
    if (pattern.starts_with("/queries/")) query_paths.insert(pattern.substr(9));
  }
  ASSERT_FALSE(router_.routes().empty());
  for (const Route& route : router_.routes()) {
    EXPECT_TRUE(served_by.contains({route.method, route.pattern}))
        << route.method << " " << route.pattern << " is served but not documented";
  }
  EXPECT_EQ(served_by.size(), router_.routes().size());
  const std::vector<std::string> commands = node_->commands->CommandTypes();
  EXPECT_EQ(command_paths, std::set<std::string>(commands.begin(), commands.end()));
  std::set<std::string> queries;
  for (const QueryDefinition& query : node_->queries->definitions()) queries.insert(query.name);
  EXPECT_EQ(query_paths, queries);
}

TEST_F(OpenApiRoutesTest, DocumentedScopeIsTheRoutesScope) {
  for (const auto& [operation, body] : Documented()) {
    const auto& [method, pattern] = operation;
    RouteMatch match = router_.Find(method, Concrete(pattern));
    ASSERT_NE(match.route, nullptr) << method << " " << pattern;
    const json::value* scope = body->if_contains("x-duet-scope");
    const json::value* security = body->if_contains("security");
    if (!match.route->scope) {
      EXPECT_EQ(scope, nullptr) << method << " " << pattern << " is open but documents a scope";
      // Open operations say so by overriding the document's bearer security.
      ASSERT_NE(security, nullptr) << method << " " << pattern;
      EXPECT_TRUE(security->is_array() && security->as_array().empty())
          << method << " " << pattern << " is open but documents a security requirement";
      continue;
    }
    ASSERT_NE(scope, nullptr) << method << " " << pattern << " needs scope "
                              << ScopeName(*match.route->scope) << " but documents none";
    ASSERT_TRUE(scope->is_string());
    EXPECT_EQ(std::string_view(scope->as_string()), ScopeName(*match.route->scope))
        << method << " " << pattern;
    if (security != nullptr) {
      EXPECT_FALSE(security->as_array().empty())
          << method << " " << pattern << " needs a token but documents no security";
    }
  }
}

// The document's own claims about itself hold: OpenAPI 3.1.0, and every
// path parameter named in a pattern is declared.
TEST_F(OpenApiRoutesTest, PathParametersAreDeclared) {
  ASSERT_TRUE(doc_.at("openapi").is_string());
  EXPECT_EQ(std::string_view(doc_.at("openapi").as_string()), "3.1.0");
  const json::object& components = doc_.at("components").as_object();
  for (const auto& [path, item] : doc_.at("paths").as_object()) {
    auto collect = [&](const json::value& list, std::set<std::string>* declared) {
      for (const json::value& p : list.as_array()) {
        const json::object* param = &p.as_object();
        if (const json::value* ref = param->if_contains("$ref")) {
          std::string name(ref->as_string());
          name = name.substr(name.rfind('/') + 1);
          param = &components.at("parameters").at(name).as_object();
        }
        if (param->at("in").as_string() == "path") {
          declared->insert(std::string(param->at("name").as_string()));
        }
      }
    };
    std::set<std::string> shared;
    if (const json::value* list = item.as_object().if_contains("parameters"))
      collect(*list, &shared);
    for (const auto& [key, operation] : item.as_object()) {
      if (!kMethods.contains(std::string(key))) continue;
      std::set<std::string> declared = shared;
      if (const json::value* own = operation.as_object().if_contains("parameters")) {
        collect(*own, &declared);
      }
      std::string pattern(path);
      for (size_t open = pattern.find('{'); open != std::string::npos;
           open = pattern.find('{', open + 1)) {
        const std::string name = pattern.substr(open + 1, pattern.find('}', open) - open - 1);
        EXPECT_TRUE(declared.contains(name))
            << key << " " << path << ": {" << name << "} undeclared";
      }
    }
  }
}

}  // namespace
}  // namespace duet::server
