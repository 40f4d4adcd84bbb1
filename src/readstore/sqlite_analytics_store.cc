// Placeholder until the SQLite analytics store lands (src/readstore/README.md).
#include "duet/read_store.h"

namespace duet {

Result<std::unique_ptr<AnalyticsStore>> OpenAnalyticsStore(const std::filesystem::path&) {
  return Status::FailedPrecondition("the SQLite analytics store is not implemented yet");
}

}  // namespace duet
