// Both example domains (ledger, orders) on a fresh embedded store in a
// folder: command bus, projection engine and query bus, as a role-`all` node
// runs them. For what documents and checks the example app's API: the
// OpenAPI generator tool (duet_openapi_gen), the document's tests and the
// documented-routes test. Built on public headers and the examples only, so
// it does not depend on how the CLI assembles an app.
#ifndef DUET_TESTS_OPENAPI_EXAMPLE_NODE_H_
#define DUET_TESTS_OPENAPI_EXAMPLE_NODE_H_

#include <filesystem>
#include <memory>

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
};

}  // namespace duet::testing

#endif  // DUET_TESTS_OPENAPI_EXAMPLE_NODE_H_
