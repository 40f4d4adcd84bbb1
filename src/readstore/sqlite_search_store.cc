// Placeholder until the SQLite search store lands (src/readstore/README.md).
#include "duet/read_store.h"

namespace duet {

Result<std::unique_ptr<SearchStore>> OpenSearchStore(const std::filesystem::path&) {
  return Status::FailedPrecondition("the SQLite search store is not implemented yet");
}

}  // namespace duet
