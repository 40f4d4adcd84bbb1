// Fuzz target: arbitrary bytes as the snapshot files Duet reads back
// (docs/format.md): an aggregate snapshot (src/domain/snapshot_store), a
// projection snapshot's folder name (src/projection/snapshots) and a read
// store's SQLite copy (src/readstore/store_snapshot). The first input byte
// picks which; for aggregate snapshots an even byte appends a good CRC to
// the rest, so the fuzzer reaches the fields behind the checksum.
// Invariants: a named error (corruption, or failed_precondition for another
// format version or store kind), or a value that encodes back to the same
// bytes; never a crash, leak or hang.
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "domain/snapshot_store.h"
#include "duet/read_store.h"
#include "projection/snapshots.h"
#include "readstore/store_snapshot.h"
#include "tests/fuzz/fuzz_check.h"
#include "util/crc32c.h"

namespace {

namespace fs = std::filesystem;

void FuzzAggregateSnapshot(std::string file, bool add_crc) {
  if (add_crc) {
    const uint32_t crc = duet::crc32c::Mask(duet::crc32c::Value(file.data(), file.size()));
    for (int i = 0; i < 4; ++i) file.push_back(static_cast<char>((crc >> (8 * i)) & 0xFF));
  }
  const duet::Result<duet::domain::Snapshot> snapshot = duet::domain::DecodeSnapshot(file);
  if (!snapshot.ok()) {
    const duet::Status& s = snapshot.status();
    DUET_FUZZ_CHECK(s.IsCorruption() || s.code() == duet::StatusCode::kFailedPrecondition,
                    "a bad snapshot must be corruption or failed_precondition");
    return;
  }
  DUET_FUZZ_CHECK(duet::domain::EncodeSnapshot(*snapshot) == file,
                  "a decoded snapshot does not encode back to its bytes");
}

void FuzzProjectionSnapshotName(std::string_view text) {
  const std::optional<duet::projection::SnapshotName> name =
      duet::projection::ParseSnapshotName(text);
  if (!name) return;
  DUET_FUZZ_CHECK(name->version != 0 && name->checkpoint != duet::kNoPosition,
                  "a snapshot name with version or checkpoint 0");
  DUET_FUZZ_CHECK(name->ToString() == text, "a parsed snapshot name does not print back the same");
}

// A scratch folder of this process, outside the source tree, removed at exit.
const fs::path& ScratchDir() {
  static const fs::path dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/duet-fuzz-snapshot-XXXXXX";
    DUET_FUZZ_CHECK(mkdtemp(pattern.data()) != nullptr, "cannot create a scratch folder");
    std::atexit([] { fs::remove_all(ScratchDir()); });
    return fs::path(pattern);
  }();
  return dir;
}

void FuzzStoreFile(std::string_view bytes, duet::ReadStoreKind kind) {
  const fs::path file = ScratchDir() / "store.db";
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    DUET_FUZZ_CHECK(out.good(), "cannot write the scratch store file");
  }
  const duet::Result<duet::GlobalPosition> checkpoint = duet::readstore::CheckStoreFile(file, kind);
  if (!checkpoint.ok()) {
    const duet::Status& s = checkpoint.status();
    // SQLite refuses an allocation a damaged file asks for (a record claiming
    // gigabytes) with "out of memory", which CheckStoreFile cannot tell from
    // real memory pressure: that one stays io_error (store_snapshot.h).
    const bool refused_allocation = s.IsIOError() && s.message().ends_with("out of memory");
    if (!s.IsCorruption() && s.code() != duet::StatusCode::kFailedPrecondition &&
        !refused_allocation) {
      std::fprintf(stderr, "CheckStoreFile: %s\n", s.ToString().c_str());
    }
    DUET_FUZZ_CHECK(
        s.IsCorruption() || s.code() == duet::StatusCode::kFailedPrecondition || refused_allocation,
        "a bad store file must be corruption or failed_precondition");
  }
  std::error_code ec;
  fs::remove(file, ec);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (selector % 4) {
    case 0: FuzzAggregateSnapshot(std::string(rest), (selector & 0x10) == 0); break;
    case 1: FuzzProjectionSnapshotName(rest); break;
    case 2:
    case 3: FuzzStoreFile(rest, static_cast<duet::ReadStoreKind>((selector >> 2) % 3)); break;
  }
  return 0;
}
