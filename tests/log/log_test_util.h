// Helpers shared by the log tests: building transactions, appending them,
// reading everything back, poking at segment files.
#ifndef DUET_TESTS_LOG_LOG_TEST_UTIL_H_
#define DUET_TESTS_LOG_LOG_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "duet/types.h"
#include "log/log.h"
#include "log/record_codec.h"

namespace duet::log::testing {

// An owning copy of a RecordView.
struct Record {
  uint64_t position = 0;
  uint64_t version = 0;
  int64_t timestamp_us = 0;
  EventId id;
  bool commit = false;
  std::string stream, type, data, metadata;

  RecordView View() const {
    RecordView v;
    v.position = GlobalPosition(position);
    v.version = StreamVersion(version);
    v.timestamp_us = timestamp_us;
    v.id = id;
    v.commit = commit;
    v.stream = stream;
    v.type = type;
    v.data = data;
    v.metadata = metadata;
    return v;
  }
  static Record From(const RecordView& v) {
    return Record{v.position.value,
                  v.version.value,
                  v.timestamp_us,
                  v.id,
                  v.commit,
                  std::string(v.stream),
                  std::string(v.type),
                  std::string(v.data),
                  std::string(v.metadata)};
  }
  friend bool operator==(const Record&, const Record&) = default;
};

// A record whose content is derived from its position, so a reader can check
// what it got without remembering what was written.
inline Record RecordAt(uint64_t position, bool commit) {
  Record r;
  r.position = position;
  r.version = position % 7;
  r.timestamp_us = 1'700'000'000'000'000 + static_cast<int64_t>(position);
  r.id = EventId{position * 0x9e3779b97f4a7c15ull, ~position};
  r.commit = commit;
  r.stream = "stream-" + std::to_string(position % 13);
  r.type = "Happened";
  r.data = "{\"n\":" + std::to_string(position) + ",\"pad\":\"" + std::string(position % 50, 'x') +
           "\"}";
  r.metadata = position % 3 == 0 ? "" : "{\"m\":1}";
  return r;
}

// Encoded transaction of positions [first, first + count).
inline std::string EncodeTxn(uint64_t first, uint64_t count) {
  std::string out;
  for (uint64_t p = first; p < first + count; ++p)
    AppendRecord(RecordAt(p, p == first + count - 1).View(), &out);
  return out;
}

// Enqueues and waits for one transaction.
inline Status AppendTxn(Log& log, uint64_t first, uint64_t count) {
  Status s = log.Enqueue(EncodeTxn(first, count), GlobalPosition(first),
                         GlobalPosition(first + count - 1));
  if (!s.ok()) return s;
  return log.WaitCommitted(GlobalPosition(first + count - 1));
}

inline std::vector<Record> ReadAll(const Log& log, uint64_t from = 1) {
  std::vector<Record> out;
  Status s = log.Scan(GlobalPosition(from), UINT64_MAX, [&](const RecordView& r) {
    out.push_back(Record::From(r));
    return true;
  });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

inline LogOptions Options(Durability::Mode mode = Durability::Mode::kNone,
                          uint64_t segment_size = 256ull << 20) {
  LogOptions options;
  options.durability.mode = mode;
  options.segment_size_bytes = segment_size;
  return options;
}

inline std::unique_ptr<Log> OpenOrDie(const std::filesystem::path& dir, const LogOptions& options) {
  Result<std::unique_ptr<Log>> log = Log::Open(dir, options);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? std::move(*log) : nullptr;
}

inline std::filesystem::path SegmentPath(const std::filesystem::path& dir, uint64_t base) {
  return dir / SegmentFileName(GlobalPosition(base));
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace duet::log::testing

#endif  // DUET_TESTS_LOG_LOG_TEST_UTIL_H_
