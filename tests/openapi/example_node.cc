#include "tests/openapi/example_node.h"

#include "ledger/ledger.h"
#include "ledger/ledger_views.h"
#include "orders/orders.h"
#include "orders/orders_views.h"

namespace duet::testing {

Result<std::unique_ptr<ExampleNode>> ExampleNode::Open(const std::filesystem::path& data) {
  auto node = std::make_unique<ExampleNode>();
  StoreOptions options;
  options.durability.mode = Durability::Mode::kNone;
  DUET_ASSIGN_OR_RETURN(node->store, EmbeddedStore::Open(data, options));
  node->repository = std::make_unique<Repository>(
      node->store.get(), RepositoryOptions{.snapshot_dir = data / "snapshots"});
  node->commands = std::make_unique<CommandBus>(node->repository.get());
  DUET_RETURN_IF_ERROR(examples::ledger::Register(*node->commands));
  DUET_RETURN_IF_ERROR(examples::orders::Register(*node->commands));
  DUET_ASSIGN_OR_RETURN(node->projections,
                        ProjectionEngine::Open(node->store.get(), data / "readstores"));
  for (auto* make : {&examples::ledger::LedgerProjections, &examples::orders::OrdersProjections}) {
    for (std::unique_ptr<Projection>& projection : make()) {
      DUET_RETURN_IF_ERROR(node->projections->Add(std::move(projection)));
    }
  }
  node->queries = std::make_unique<QueryBus>(node->projections.get());
  DUET_RETURN_IF_ERROR(examples::ledger::RegisterLedgerQueries(*node->queries));
  DUET_RETURN_IF_ERROR(examples::orders::RegisterOrdersQueries(*node->queries));
  return node;
}

server::OpenApiInputs ExampleNode::OpenApiInputs() const {
  return {
      .role = "all", .commands = commands.get(), .queries = queries.get(), .has_projections = true};
}

}  // namespace duet::testing
