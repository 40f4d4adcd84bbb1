#include "projection/generation.h"

#include <charconv>
#include <system_error>
#include <utility>

#include "util/file_util.h"

namespace duet::projection {

namespace fs = std::filesystem;

namespace {

// A decimal without sign or leading zero, at least 1.
template <typename T>
std::optional<T> ParsePositive(std::string_view text) {
  if (text.empty() || text[0] == '0') return std::nullopt;
  T value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::string GenerationName::ToString() const {
  return "v" + std::to_string(version) + "-g" + std::to_string(number);
}

std::optional<GenerationName> ParseGenerationName(std::string_view text) {
  if (text.size() < 5 || text[0] != 'v') return std::nullopt;
  const size_t dash = text.find("-g");
  if (dash == std::string_view::npos) return std::nullopt;
  auto version = ParsePositive<uint32_t>(text.substr(1, dash - 1));
  auto number = ParsePositive<uint64_t>(text.substr(dash + 2));
  if (!version || !number) return std::nullopt;
  return GenerationName{*version, *number};
}

Result<std::optional<GenerationName>> ReadCurrent(const fs::path& projection_dir) {
  auto text = ReadWholeFile(projection_dir / kCurrentFile);
  if (!text.ok()) {
    if (text.status().IsNotFound()) return std::optional<GenerationName>();
    return text.status();
  }
  std::string_view line = *text;
  if (line.empty() || line.back() != '\n') {
    return Status::Corruption((projection_dir / kCurrentFile).string() +
                              ": not one line ending in a newline");
  }
  line.remove_suffix(1);
  auto name = ParseGenerationName(line);
  if (!name) {
    return Status::Corruption((projection_dir / kCurrentFile).string() +
                              ": not a generation name (v<version>-g<generation>)");
  }
  return std::optional<GenerationName>(*name);
}

Status WriteCurrent(const fs::path& projection_dir, GenerationName name) {
  return WriteFileAtomically(projection_dir / kCurrentFile, name.ToString() + "\n");
}

Result<uint64_t> LastGenerationNumber(const fs::path& projection_dir) {
  std::error_code ec;
  uint64_t last = 0;
  for (fs::directory_iterator it(projection_dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (auto name = ParseGenerationName(it->path().filename().string())) {
      last = std::max(last, name->number);
    }
  }
  if (ec) return ErrnoToStatus("listing", projection_dir, ec.value());
  return last;
}

Status RemoveOtherGenerations(const fs::path& projection_dir, std::optional<GenerationName> keep) {
  std::error_code ec;
  std::vector<fs::path> doomed;
  for (fs::directory_iterator it(projection_dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string file = it->path().filename().string();
    auto name = ParseGenerationName(file);
    if ((name && !(keep && *name == *keep)) || file == kVerifyScratchFolder) {
      doomed.push_back(it->path());
    }
  }
  if (ec) return ErrnoToStatus("listing", projection_dir, ec.value());
  for (const fs::path& path : doomed) {
    fs::remove_all(path, ec);
    if (ec) return ErrnoToStatus("removing", path, ec.value());
  }
  if (!doomed.empty()) return SyncDirectory(projection_dir);
  return Status::OK();
}

Result<Generation> OpenGeneration(ReadStoreKind kind, GenerationName name, const fs::path& folder) {
  std::unique_ptr<ReadStore> store;
  if (folder.empty()) {
    if (kind != ReadStoreKind::kDocument) {
      return Status::InvalidArgument("store", "only document stores can live in memory");
    }
    store = NewMemoryDocumentStore();
  } else {
    DUET_ASSIGN_OR_RETURN(store, OpenReadStore(kind, folder));
  }
  Generation generation;
  generation.name = name;
  generation.folder = folder;
  generation.retired = std::make_shared<std::atomic<bool>>(false);
  generation.store = std::shared_ptr<ReadStore>(
      store.release(), [folder, retired = generation.retired](ReadStore* s) {
        delete s;  // closes its files first
        if (retired->load() && !folder.empty()) {
          // Best effort: a folder left behind is removed on the next Add.
          std::error_code ec;
          fs::remove_all(folder, ec);
        }
      });
  return generation;
}

}  // namespace duet::projection
