#include "cli/example_app.h"

#include <thread>

#include "ledger/ledger.h"
#include "ledger/ledger_views.h"
#include "orders/orders.h"
#include "orders/orders_views.h"

namespace duet::cli {

Result<std::unique_ptr<ExampleApp>> ExampleApp::Open(const std::filesystem::path& data_dir,
                                                     const StoreOptions& options,
                                                     ReadSide read_side) {
  auto app = std::make_unique<ExampleApp>();
  DUET_ASSIGN_OR_RETURN(app->store, EmbeddedStore::Open(data_dir, options));
  RepositoryOptions repository_options;
  repository_options.snapshot_dir = data_dir / "snapshots";
  app->repository = std::make_unique<Repository>(app->store.get(), repository_options);
  app->bus = std::make_unique<CommandBus>(app->repository.get());
  DUET_RETURN_IF_ERROR(examples::ledger::Register(*app->bus));
  DUET_RETURN_IF_ERROR(examples::orders::Register(*app->bus));
  if (read_side == ReadSide::kNone) return app;

  DUET_ASSIGN_OR_RETURN(ExampleReadSide read,
                        ExampleReadSide::Open(app->store.get(), data_dir / "readstores"));
  app->engine = std::move(read.engine);
  app->queries = std::move(read.queries);
  return app;
}

Result<ExampleReadSide> ExampleReadSide::Open(EventStore* store,
                                              const std::filesystem::path& readstores_dir) {
  ExampleReadSide read;
  DUET_ASSIGN_OR_RETURN(read.engine, ProjectionEngine::Open(store, readstores_dir));
  for (auto* make : {&examples::ledger::LedgerProjections, &examples::orders::OrdersProjections}) {
    for (std::unique_ptr<Projection>& projection : make()) {
      DUET_RETURN_IF_ERROR(read.engine->Add(std::move(projection)));
    }
  }
  read.queries = std::make_unique<QueryBus>(read.engine.get());
  DUET_RETURN_IF_ERROR(examples::ledger::RegisterLedgerQueries(*read.queries));
  DUET_RETURN_IF_ERROR(examples::orders::RegisterOrdersQueries(*read.queries));
  return read;
}

Status ExampleApp::WaitForProjections(std::chrono::milliseconds timeout) {
  if (engine == nullptr) return Status::FailedPrecondition("the read side is not running");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const GlobalPosition head = store->HeadPosition();
  for (const ProjectionStatus& status : engine->Statuses()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    DUET_ASSIGN_OR_RETURN(GlobalPosition reached,
                          engine->WaitFor(status.name, head, std::max(left, std::chrono::milliseconds(0))));
    if (reached < head) return Status::NotYet(status.name, reached.value);
    // The runner turns live on its next read after the last batch: wait for that too,
    // so a caller sees every projection "live" afterwards.
    for (;;) {
      DUET_ASSIGN_OR_RETURN(ProjectionStatus now, engine->StatusOf(status.name));
      if (now.state != ProjectionState::kCatchingUp) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        return Status::NotYet(status.name, now.checkpoint.value);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  return Status::OK();
}

Result<ProjectionStatus> RebuildAndWait(
    ProjectionEngine& engine, std::string_view name, std::chrono::milliseconds poll,
    const std::function<void(const RebuildProgress&)>& on_progress) {
  DUET_RETURN_IF_ERROR(engine.Rebuild(name));
  for (;;) {
    DUET_ASSIGN_OR_RETURN(ProjectionStatus status, engine.StatusOf(name));
    if (!status.rebuild && status.state != ProjectionState::kRebuilding) return status;
    if (status.rebuild && on_progress) on_progress(*status.rebuild);
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace duet::cli
