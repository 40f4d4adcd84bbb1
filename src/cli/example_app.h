// The embedded store with both example domains (ledger, orders) registered on
// a command bus: what `duet command`, `duet demo` and `duet bench commands`
// run against; with the read side, also their projections (running, read
// stores in data_dir/readstores) and their queries.
#ifndef DUET_CLI_EXAMPLE_APP_H_
#define DUET_CLI_EXAMPLE_APP_H_

#include <filesystem>
#include <functional>
#include <string_view>
#include <memory>

#include "duet/command_bus.h"
#include "duet/embedded_store.h"
#include "duet/projection_engine.h"
#include "duet/query_bus.h"
#include "duet/repository.h"

namespace duet::cli {

// The read side of both example domains on any event store: their
// projections (running, read stores in `readstores_dir`) and their queries.
// A query node runs it on the follower of a command node's feed.
struct ExampleReadSide {
  std::unique_ptr<ProjectionEngine> engine;
  std::unique_ptr<QueryBus> queries;

  // `store` must outlive the result.
  static Result<ExampleReadSide> Open(EventStore* store, const std::filesystem::path& readstores_dir);
};

struct ExampleApp {
  std::unique_ptr<EmbeddedStore> store;
  std::unique_ptr<Repository> repository;
  std::unique_ptr<CommandBus> bus;
  std::unique_ptr<ProjectionEngine> engine;  // null without the read side
  std::unique_ptr<QueryBus> queries;         // null without the read side

  enum class ReadSide : uint8_t { kNone, kRun };
  // Opens `data_dir` (snapshots in data_dir/snapshots) and registers both
  // domains; with ReadSide::kRun also starts their projections.
  static Result<std::unique_ptr<ExampleApp>> Open(const std::filesystem::path& data_dir,
                                                  const StoreOptions& options,
                                                  ReadSide read_side = ReadSide::kNone);

  // Waits until every projection has applied the store's head and is no
  // longer catching up (up to `timeout`); kTimeout naming the first one that
  // has not.
  Status WaitForProjections(std::chrono::milliseconds timeout);
};

// Starts engine.Rebuild(name) and blocks until the rebuild has been switched
// in or has failed, calling `on_progress` (may be empty) every `poll`
// meanwhile. Returns the projection's status then (state kFailed: it failed).
Result<ProjectionStatus> RebuildAndWait(
    ProjectionEngine& engine, std::string_view name, std::chrono::milliseconds poll,
    const std::function<void(const RebuildProgress&)>& on_progress = {});

}  // namespace duet::cli

#endif  // DUET_CLI_EXAMPLE_APP_H_
