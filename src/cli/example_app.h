// The embedded store with both example domains (ledger, orders) registered on
// a command bus: what `duet command`, `duet demo` and `duet bench commands`
// run against.
#ifndef DUET_CLI_EXAMPLE_APP_H_
#define DUET_CLI_EXAMPLE_APP_H_

#include <filesystem>
#include <memory>

#include "duet/command_bus.h"
#include "duet/embedded_store.h"
#include "duet/repository.h"

namespace duet::cli {

struct ExampleApp {
  std::unique_ptr<EmbeddedStore> store;
  std::unique_ptr<Repository> repository;
  std::unique_ptr<CommandBus> bus;

  // Opens `data_dir` (snapshots in data_dir/snapshots) and registers both domains.
  static Result<std::unique_ptr<ExampleApp>> Open(const std::filesystem::path& data_dir,
                                                  const StoreOptions& options);
};

}  // namespace duet::cli

#endif  // DUET_CLI_EXAMPLE_APP_H_
