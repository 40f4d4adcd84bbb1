// The rollback of a power-loss journal; see power_loss_rollback.h.
#include "tests/support/power_loss/power_loss_rollback.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "tests/support/power_loss/power_loss_journal.h"

namespace duet::testing::power_loss {
namespace {
namespace fs = std::filesystem;

struct Record {
  uint64_t index = 0;
  RecordHeader header;
  std::string path;
  std::string other_path;
  std::string data;
};

struct Journal {
  std::vector<Record> records;
  bool torn_tail = false;
};

Result<Journal> ReadJournal(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::NotFound("power-loss journal", file.string());
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Journal journal;
  size_t at = 0;
  while (at < bytes.size()) {
    Record record;
    if (bytes.size() - at < sizeof(RecordHeader)) {
      journal.torn_tail = true;
      break;
    }
    std::memcpy(&record.header, bytes.data() + at, sizeof(RecordHeader));
    const RecordHeader& h = record.header;
    const uint64_t type = static_cast<uint64_t>(h.type);
    if (h.magic != kRecordMagic || type < 1 || type > 9) {
      return Status::Corruption("power-loss journal " + file.string() + ": bad record at byte " +
                                std::to_string(at));
    }
    const uint64_t body = uint64_t{h.path_length} + h.other_path_length + h.data_length;
    if (bytes.size() - at - sizeof(RecordHeader) < body) {
      journal.torn_tail = true;
      break;
    }
    const char* p = bytes.data() + at + sizeof(RecordHeader);
    record.path.assign(p, h.path_length);
    record.other_path.assign(p + h.path_length, h.other_path_length);
    record.data.assign(p + h.path_length + h.other_path_length, h.data_length);
    record.index = journal.records.size();
    journal.records.push_back(std::move(record));
    at += sizeof(RecordHeader) + body;
  }
  return journal;
}

bool IsData(const Record& r) {
  return r.header.type == RecordType::kWrite || r.header.type == RecordType::kResize;
}

// The directories whose sync makes a name change durable.
std::vector<std::string> ChangedDirs(const Record& r) {
  std::vector<std::string> dirs{fs::path(r.path).parent_path().string()};
  if (r.header.type == RecordType::kRename) {
    const std::string to_dir = fs::path(r.other_path).parent_path().string();
    if (to_dir != dirs.front()) dirs.push_back(to_dir);
  }
  return dirs;
}

// Which records did no sync cover: data records by their inode's syncs,
// name changes by their directories' syncs.
std::vector<const Record*> Undurable(const Journal& journal) {
  std::unordered_map<uint64_t, uint64_t> inode_synced;   // inode -> highest covers_before
  std::unordered_map<std::string, uint64_t> dir_synced;  // dir -> highest covers_before
  for (const Record& r : journal.records) {
    if (r.header.type == RecordType::kSync) {
      uint64_t& covered = inode_synced[r.header.inode];
      covered = std::max(covered, r.header.covers_before);
    } else if (r.header.type == RecordType::kDirSync) {
      uint64_t& covered = dir_synced[r.path];
      covered = std::max(covered, r.header.covers_before);
    }
  }
  std::vector<const Record*> undurable;
  for (const Record& r : journal.records) {
    if (r.header.type == RecordType::kSync || r.header.type == RecordType::kDirSync) continue;
    bool durable;
    if (IsData(r)) {
      auto it = inode_synced.find(r.header.inode);
      durable = it != inode_synced.end() && it->second > r.index;
    } else {
      durable = true;
      for (const std::string& dir : ChangedDirs(r)) {
        auto it = dir_synced.find(dir);
        durable = durable && it != dir_synced.end() && it->second > r.index;
      }
    }
    if (!durable) undurable.push_back(&r);
  }
  return undurable;
}

// Every regular file reachable now, by inode: the data folder and the aside links.
std::unordered_map<uint64_t, fs::path> FilesByInode(const std::vector<fs::path>& roots) {
  std::unordered_map<uint64_t, fs::path> files;
  for (const fs::path& root : roots) {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      struct stat st;
      if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
        files.emplace(st.st_ino, it->path());
      }
    }
  }
  return files;
}

Status Errno(const std::string& what, const fs::path& path) {
  return Status::IOError(what + " " + path.string() + ": " + std::strerror(errno));
}

Status PutBack(int fd, const std::string& bytes, uint64_t offset, const fs::path& path) {
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n =
        ::pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(offset + done));
    if (n <= 0) return Errno("pwrite", path);
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

// Undoes one write or size change of the file at `path`. Idempotent: a
// change announced but never made (the kill came first) is undone harmlessly.
Status UndoData(const Record& r, const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  struct stat st;
  Status status = ::fstat(fd, &st) == 0 ? Status::OK() : Errno("fstat", path);
  const uint64_t old_size = r.header.old_size;
  if (status.ok() && static_cast<uint64_t>(st.st_size) != old_size &&
      ::ftruncate(fd, static_cast<off_t>(old_size)) != 0) {
    status = Errno("ftruncate", path);
  }
  if (status.ok() && !r.data.empty()) {
    // kWrite: the overwritten bytes at the write's offset; kResize: the
    // bytes a shrink cut off, from the new end on.
    status = PutBack(fd, r.data, r.header.offset, path);
  }
  ::close(fd);
  return status;
}

bool Exists(const fs::path& path, uint64_t* inode = nullptr) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return false;
  if (inode != nullptr) *inode = st.st_ino;
  return true;
}

Status UndoEntry(const Record& r, const fs::path& aside_dir) {
  const fs::path aside = aside_dir / std::to_string(r.index);
  // A change inside a folder whose removal was made durable went with it.
  if (!Exists(fs::path(r.path).parent_path())) return Status::OK();
  std::error_code ec;
  switch (r.header.type) {
    case RecordType::kCreate:
      if (Exists(r.path) && ::unlink(r.path.c_str()) != 0) return Errno("unlink", r.path);
      return Status::OK();
    case RecordType::kMkdir:
      fs::remove_all(r.path, ec);
      if (ec) return Status::IOError("remove_all " + r.path + ": " + ec.message());
      return Status::OK();
    case RecordType::kRename: {
      uint64_t inode = 0;
      // Not made (the kill came between record and rename), or already undone.
      if (!Exists(r.other_path, &inode) || inode != r.header.inode) return Status::OK();
      if (::rename(r.other_path.c_str(), r.path.c_str()) != 0) return Errno("rename", r.other_path);
      if (r.header.target_aside != 0 && ::link(aside.c_str(), r.other_path.c_str()) != 0) {
        return Errno("link back", r.other_path);
      }
      return Status::OK();
    }
    case RecordType::kRmdir:
      if (!Exists(r.path) && ::mkdir(r.path.c_str(), 0755) != 0) return Errno("mkdir", r.path);
      return Status::OK();
    case RecordType::kUnlink:
      if (Exists(r.path)) return Status::OK();  // the unlink was never made
      if (::link(aside.c_str(), r.path.c_str()) != 0) return Errno("link back", r.path);
      return Status::OK();
    default: return Status::OK();
  }
}

const char* EntryVerb(RecordType type) {
  switch (type) {
    case RecordType::kCreate: return "create";
    case RecordType::kMkdir: return "mkdir";
    case RecordType::kRename: return "rename";
    case RecordType::kUnlink: return "unlink";
    case RecordType::kRmdir: return "rmdir";
    default: return "?";
  }
}

}  // namespace

std::string RollbackSummary::Describe() const {
  std::ostringstream out;
  out << records << " journal records" << (torn_tail ? " (torn tail dropped)" : "") << ", "
      << data_undone << " unsynced writes undone, " << entries_undone
      << " unsynced directory entries undone";
  for (size_t i = 0; i < entries.size() && i < 8; ++i) out << (i == 0 ? " (" : ", ") << entries[i];
  if (!entries.empty()) out << (entries.size() > 8 ? ", ...)" : ")");
  out << ", " << unresolved << " unresolved";
  return out.str();
}

Result<RollbackSummary> RollBackToDurableState(const fs::path& data_dir,
                                               const fs::path& journal_dir) {
  DUET_ASSIGN_OR_RETURN(Journal journal, ReadJournal(journal_dir / kJournalFileName));
  const fs::path aside_dir = journal_dir / kAsideDirName;
  RollbackSummary summary;
  summary.records = journal.records.size();
  summary.torn_tail = journal.torn_tail;
  const std::vector<const Record*> undurable = Undurable(journal);

  const std::unordered_map<uint64_t, fs::path> files = FilesByInode({data_dir, aside_dir});
  for (auto it = undurable.rbegin(); it != undurable.rend(); ++it) {
    if (!IsData(**it)) continue;
    auto file = files.find((*it)->header.inode);
    if (file == files.end()) {
      ++summary.unresolved;
      continue;
    }
    DUET_RETURN_IF_ERROR(UndoData(**it, file->second));
    ++summary.data_undone;
  }
  for (auto it = undurable.rbegin(); it != undurable.rend(); ++it) {
    if (IsData(**it)) continue;
    DUET_RETURN_IF_ERROR(UndoEntry(**it, aside_dir));
    ++summary.entries_undone;
    summary.entries.push_back(std::string(EntryVerb((*it)->header.type)) + " " +
                              fs::path((*it)->path).lexically_relative(data_dir).string());
  }

  std::error_code ec;
  fs::remove_all(aside_dir, ec);
  fs::remove(journal_dir / kJournalFileName, ec);
  if (ec) return Status::IOError("empty the journal folder " + journal_dir.string());
  return summary;
}

}  // namespace duet::testing::power_loss
