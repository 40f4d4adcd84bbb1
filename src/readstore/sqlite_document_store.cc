// Placeholder until the SQLite document store lands (src/readstore/README.md).
#include "duet/read_store.h"

namespace duet {

Result<std::unique_ptr<DocumentStore>> OpenDocumentStore(const std::filesystem::path&) {
  return Status::FailedPrecondition("the SQLite document store is not implemented yet");
}

}  // namespace duet
