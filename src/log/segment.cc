#include "log/segment.h"

#include <algorithm>
#include <cassert>

#include "log/record_codec.h"

namespace duet::log {

Segment::Segment(GlobalPosition base, std::unique_ptr<File> file, std::vector<uint32_t> offsets,
                 uint64_t size)
    : base_(base),
      file_(std::move(file)),
      name_(SegmentFileName(base)),
      offsets_(std::move(offsets)),
      size_(size) {}

uint64_t Segment::EndOf(GlobalPosition p) const {
  const uint64_t i = p.value - base_.value;
  return i + 1 < offsets_.size() ? offsets_[i + 1] : size_;
}

void Segment::Reserve(size_t new_records) {
  const size_t needed = offsets_.size() + new_records;
  if (needed <= offsets_.capacity()) return;
  grown_.clear();
  grown_.reserve(std::max(needed, offsets_.capacity() * 2 + 1024));
  grown_.assign(offsets_.begin(), offsets_.end());
}

void Segment::Publish(const std::vector<uint32_t>& new_offsets, uint64_t new_size) {
  assert(new_size >= size_);
  if (offsets_.size() + new_offsets.size() > offsets_.capacity()) {
    assert(grown_.size() == offsets_.size() &&
           grown_.capacity() >= grown_.size() + new_offsets.size());
    offsets_.swap(grown_);  // the old storage is freed by the next Reserve
  }
  offsets_.insert(offsets_.end(), new_offsets.begin(), new_offsets.end());
  size_ = new_size;
}

}  // namespace duet::log
