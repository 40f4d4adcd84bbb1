// Both example domains (ledger, orders) in an App of role all on a fresh
// folder, as `duet serve` runs them. For what documents and checks the example
// app's API: the OpenAPI generator tool (duet_openapi_gen), the document's
// tests and the documented-routes test.
#ifndef DUET_TESTS_OPENAPI_EXAMPLE_NODE_H_
#define DUET_TESTS_OPENAPI_EXAMPLE_NODE_H_

#include <boost/json.hpp>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "duet/app.h"
#include "server/openapi_document.h"

namespace duet::testing {

struct ExampleNode {
  std::unique_ptr<App> app;
  // The app's parts (never null on a node of role all).
  EventStore* store = nullptr;
  CommandBus* commands = nullptr;
  ProjectionEngine* projections = nullptr;
  QueryBus* queries = nullptr;

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
