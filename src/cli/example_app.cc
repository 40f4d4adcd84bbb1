#include "cli/example_app.h"

#include "ledger/ledger.h"
#include "orders/orders.h"

namespace duet::cli {

Result<std::unique_ptr<ExampleApp>> ExampleApp::Open(const std::filesystem::path& data_dir,
                                                     const StoreOptions& options) {
  auto app = std::make_unique<ExampleApp>();
  DUET_ASSIGN_OR_RETURN(app->store, EmbeddedStore::Open(data_dir, options));
  RepositoryOptions repository_options;
  repository_options.snapshot_dir = data_dir / "snapshots";
  app->repository = std::make_unique<Repository>(app->store.get(), repository_options);
  app->bus = std::make_unique<CommandBus>(app->repository.get());
  DUET_RETURN_IF_ERROR(examples::ledger::Register(*app->bus));
  DUET_RETURN_IF_ERROR(examples::orders::Register(*app->bus));
  return app;
}

}  // namespace duet::cli
