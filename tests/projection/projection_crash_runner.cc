// Child process of projection_crash_test: runs the projection engine with a
// persistent counting projection over DATA_DIR/data while a thread appends,
// until it is killed. Prints "ready" once the projection is registered.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>

#include "duet/embedded_store.h"
#include "duet/projection_engine.h"
#include "tests/projection/test_projections.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: projection_crash_runner DIR SEED\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  // Durability none: a SIGKILL does not lose what was written (the page cache
  // survives the process), and this test is about the read store's commits.
  auto store = duet::EmbeddedStore::Open(dir / "data", duet::testing::FastStoreOptions());
  if (!store.ok()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  duet::ProjectionEngineOptions options;
  options.batch_size = 64;
  auto engine = duet::ProjectionEngine::Open(store->get(), dir / "readstores", options);
  if (!engine.ok()) {
    std::fprintf(stderr, "engine: %s\n", engine.status().ToString().c_str());
    return 1;
  }
  duet::Status added = (*engine)->Add(
      std::make_unique<duet::testing::CountingProjection>(duet::testing::Info("counts")));
  if (!added.ok()) {
    std::fprintf(stderr, "add: %s\n", added.ToString().c_str());
    return 1;
  }
  if (::write(STDOUT_FILENO, "ready\n", 6) != 6) return 3;
  std::mt19937 rng(static_cast<unsigned>(std::atoi(argv[2])));
  for (;;) {
    const std::string stream = "c" + std::to_string(rng() % 50);
    duet::testing::AppendEvents(**store, stream, 1 + static_cast<int>(rng() % 3));
  }
}
