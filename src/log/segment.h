// Segment: one open segment file and the in-memory offset of each of its
// event records, dense by position - base, so a read finds the start of any
// position in O(1).
//
// Thread-compatible: Log::Impl guards offsets and size with its segment-list
// mutex (shared for readers, exclusive for the flusher's brief publish), and
// only the flusher appends. The File is safe for concurrent positional reads
// beside the one writer.
#ifndef DUET_LOG_SEGMENT_H_
#define DUET_LOG_SEGMENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "duet/types.h"
#include "log/file.h"

namespace duet::log {

class Segment {
 public:
  // `offsets` of the records already in the file, `size` the byte length of
  // header plus those records.
  Segment(GlobalPosition base, std::unique_ptr<File> file, std::vector<uint32_t> offsets,
          uint64_t size);

  GlobalPosition base() const { return base_; }
  File* file() const { return file_.get(); }
  const std::string& name() const { return name_; }

  uint64_t record_count() const { return offsets_.size(); }
  // Position after the last record in this segment.
  GlobalPosition end() const { return GlobalPosition(base_.value + offsets_.size()); }
  bool Contains(GlobalPosition p) const { return p >= base_ && p < end(); }
  // REQUIRES: Contains(p).
  uint32_t OffsetOf(GlobalPosition p) const { return offsets_[p.value - base_.value]; }
  // Byte just past record p: the next record's offset, or size() for the last.
  uint64_t EndOf(GlobalPosition p) const;
  uint64_t size() const { return size_; }
  const std::vector<uint32_t>& offsets() const { return offsets_; }

  // Prepares the storage that Publish(new_offsets) will need, so that
  // Publish itself never allocates: when capacity runs out, builds a larger
  // copy here (reading offsets_ is safe beside concurrent readers, since only
  // the caller, the single writer, changes it).
  // REQUIRES: called by the single writer, without the guarding lock.
  void Reserve(size_t new_records);

  // Appends the offsets of records written at the end of the file and moves
  // size() to `new_size`. O(new records) with no allocation after Reserve().
  // REQUIRES: the guarding lock held exclusively.
  void Publish(const std::vector<uint32_t>& new_offsets, uint64_t new_size);

 private:
  GlobalPosition base_;
  std::unique_ptr<File> file_;
  std::string name_;
  std::vector<uint32_t> offsets_;
  std::vector<uint32_t> grown_;  // next storage for offsets_, built by Reserve
  uint64_t size_;
};

}  // namespace duet::log

#endif  // DUET_LOG_SEGMENT_H_
