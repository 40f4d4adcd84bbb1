// Both example domains (ledger, orders) on a fresh embedded store in a
// folder: command bus, projection engine and query bus, as a role-`all` node
// runs them. For what documents and checks the example app's API: the
// OpenAPI generator tool (duet_openapi_gen), the document's tests and the
// documented-routes test. Built on public headers and the examples only, so
// it does not depend on how the CLI assembles an app.
#ifndef DUET_TESTS_OPENAPI_EXAMPLE_NODE_H_
#define DUET_TESTS_OPENAPI_EXAMPLE_NODE_H_

#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "duet/command_bus.h"
#include "duet/embedded_store.h"
#include "duet/projection_engine.h"
#include "duet/query_bus.h"
#include "duet/repository.h"
#include "server/openapi_document.h"

namespace duet::testing {

struct ExampleNode {
  std::unique_ptr<EmbeddedStore> store;
  std::unique_ptr<Repository> repository;
  std::unique_ptr<CommandBus> commands;
  std::unique_ptr<ProjectionEngine> projections;
  std::unique_ptr<QueryBus> queries;

  // Opens a store in `data` (which should be empty: the examples then run on
  // fresh aggregates) and registers both domains' commands, projections and
  // queries. Fsync is off: these nodes check contracts, not durability.
  static Result<std::unique_ptr<ExampleNode>> Open(const std::filesystem::path& data);

  // What GenerateOpenApi needs to document this node as role `all`.
  server::OpenApiInputs OpenApiInputs() const;

  // Runs every query on what the node holds, with parameters that reach
  // each answer's shapes (a next page, a cancelled order's reason), after the
  // read models have applied the store's head. One {"query", "params",
  // "answer": {data, position, read_model}} per call, the body GET
  // /queries/<name> answers; for checking answers against the documented
  // schemas. InvalidArgument naming the query when one fails.
  Result<boost::json::array> SampleAnswers() const;
};

// One command of the documented-examples scenario: `body` empty means the
// type's documented example (CommandInfo::example); otherwise a setup body
// that gives the next example the state it needs.
struct ExampleStep {
  std::string type;
  std::string body;
};

// Every registered command's documented example exactly once, in an order
// in which each is accepted on fresh domains (Transfer needs bob open,
// CloseAccount an empty account, CancelOrder an order not yet shipped).
std::vector<ExampleStep> DocumentedExampleScenario();

}  // namespace duet::testing

#endif  // DUET_TESTS_OPENAPI_EXAMPLE_NODE_H_
