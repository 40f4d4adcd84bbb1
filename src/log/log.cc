// Log: open (recovery), the read path and the public wrappers. The write
// path is in group_commit.cc.
#include "log/log.h"

#include <algorithm>
#include <cassert>

#include "log/log_format.h"
#include "log/log_impl.h"
#include "log/record_codec.h"
#include "log/recovery.h"
#include "log/segment_scan.h"
#include "util/file_util.h"
#include "util/thread_name.h"

namespace duet::log {
namespace {

// A read copies at most this much per segment lookup (but always at least
// one whole record), so a long Scan holds no lock and little memory.
constexpr uint64_t kReadChunkBytes = 1 << 20;

}  // namespace

Log::Impl::Impl(FileSystem* fs, std::filesystem::path dir, const LogOptions& options,
                std::vector<std::unique_ptr<Segment>> segments, RecoveryReport report)
    : fs_(fs),
      dir_(std::move(dir)),
      options_(options),
      report_(std::move(report)),
      segments_(std::move(segments)),
      active_(segments_.back().get()),
      last_sync_(std::chrono::steady_clock::now()) {
  const uint64_t head = active_->end().value - 1;
  queued_ = written_ = synced_ = head;
  committed_.store(head, std::memory_order_relaxed);
}

void Log::Impl::StartFlusher() {
  flusher_ = std::thread([this] {
    NameThisThread("duet-flusher");
    FlusherLoop();
  });
}

Log::Impl::~Impl() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  work_cv_.notify_all();
  committed_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
}

const Segment* Log::Impl::FindSegment(GlobalPosition p) const {
  auto it = std::upper_bound(
      segments_.begin(), segments_.end(), p,
      [](GlobalPosition q, const std::unique_ptr<Segment>& s) { return q < s->base(); });
  if (it == segments_.begin()) return nullptr;
  const Segment* segment = std::prev(it)->get();
  return segment->Contains(p) ? segment : nullptr;
}

Status Log::Impl::Scan(GlobalPosition from, uint64_t max_count,
                       const std::function<bool(const RecordView&)>& visit) const {
  const uint64_t end = committed_.load(std::memory_order_acquire);
  uint64_t p = std::max<uint64_t>(from.value, 1);
  uint64_t left = max_count;
  std::string buf;
  while (p <= end && left > 0) {
    // Under the shared lock: where the next chunk of whole records lies.
    const File* file;
    uint64_t start, stop, chunk_last;
    {
      std::shared_lock lock(segments_mu_);
      const Segment* segment = FindSegment(GlobalPosition(p));
      if (segment == nullptr) {
        return Status::Corruption("committed position " + std::to_string(p) + " is in no segment");
      }
      const uint64_t wanted_last = left - 1 > UINT64_MAX - p ? UINT64_MAX : p + left - 1;
      const uint64_t last = std::min({end, segment->end().value - 1, wanted_last});
      start = segment->OffsetOf(GlobalPosition(p));
      // The largest q in [p, last] whose record ends within the chunk limit.
      uint64_t lo = p, hi = last;
      while (lo < hi) {
        const uint64_t mid = lo + (hi - lo + 1) / 2;
        if (segment->EndOf(GlobalPosition(mid)) - start <= kReadChunkBytes) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      chunk_last = lo;
      stop = segment->EndOf(GlobalPosition(chunk_last));
      file = segment->file();
    }
    // Without locks: read and check the chunk, then hand records out.
    buf.resize(stop - start);
    DUET_ASSIGN_OR_RETURN(const size_t got, file->ReadAt(start, buf.size(), buf.data()));
    if (got != buf.size()) return SegmentCorruption(*file, start + got, "segment ends early");
    std::string_view rest(buf);
    while (p <= chunk_last) {
      const uint64_t offset = stop - rest.size();
      std::string_view body;
      uint32_t body_size = 0;
      const FrameResult frame = ParseFrame(rest, &body, &body_size);
      if (frame != FrameResult::kOk) {
        return SegmentCorruption(
            *file, offset,
            frame == FrameResult::kBadCrc ? "record CRC mismatch" : "bad record frame");
      }
      rest.remove_prefix(kFrameHeaderSize + body.size());
      RecordView record;
      Result<BodyKind> kind = DecodeBody(body, &record);
      if (!kind.ok()) return SegmentCorruption(*file, offset, kind.status().message());
      if (*kind != BodyKind::kEvent) continue;
      if (record.position.value != p) {
        return SegmentCorruption(*file, offset,
                                 "record position " + std::to_string(record.position.value) +
                                     ", expected " + std::to_string(p));
      }
      ++p;
      --left;
      if (!visit(record)) return Status::OK();
    }
  }
  return Status::OK();
}

LogStats Log::Impl::Stats() const {
  LogStats stats;
  stats.head = CommittedPosition();
  std::shared_lock lock(segments_mu_);
  stats.segments = segments_.size();
  for (const auto& segment : segments_) stats.bytes += segment->size();
  return stats;
}

Result<std::unique_ptr<Log>> Log::Open(const std::filesystem::path& dir,
                                       const LogOptions& options) {
  if (options.segment_size_bytes == 0 || options.segment_size_bytes > kMaxSegmentSizeBytes) {
    return Status::InvalidArgument("segment_size_bytes", "must be 1 byte to 2 GiB");
  }
  FileSystem* fs = options.file_system != nullptr ? options.file_system : DefaultFileSystem();
  // A new folder's entry persists only once its parent is synced; without
  // that a power cut after the first acknowledged append could take the
  // whole log (tests/integration/power_loss_test).
  DUET_RETURN_IF_ERROR(CreateDirectoriesDurably(*fs, dir));
  DUET_ASSIGN_OR_RETURN(RecoveredLog recovered, RecoverLog(fs, dir));
  if (recovered.segments.empty()) {
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<Segment> first,
                          Impl::CreateSegment(fs, dir, GlobalPosition(1)));
    recovered.segments.push_back(std::move(first));
  }
  auto impl = std::make_unique<Impl>(fs, dir, options, std::move(recovered.segments),
                                     std::move(recovered.report));
  impl->StartFlusher();
  return std::unique_ptr<Log>(new Log(std::move(impl)));
}

Log::Log(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Log::~Log() = default;

const RecoveryReport& Log::recovery_report() const { return impl_->recovery_report(); }

uint64_t Log::Epoch() const { return impl_->Epoch(); }

Status Log::Enqueue(std::string encoded, GlobalPosition first, GlobalPosition last, uint64_t epoch,
                    CommitCallback&& on_commit) {
  return impl_->Enqueue(std::move(encoded), first, last, epoch, std::move(on_commit));
}

Status Log::Enqueue(std::string encoded, GlobalPosition first, GlobalPosition last) {
  return impl_->Enqueue(std::move(encoded), first, last, impl_->Epoch(), {});
}

std::optional<Status> Log::WhenCommitted(GlobalPosition last, uint64_t epoch,
                                         CommitCallback&& on_commit) {
  return impl_->WhenCommitted(last, epoch, std::move(on_commit));
}

Status Log::WaitCommitted(GlobalPosition last, uint64_t epoch) {
  return impl_->WaitCommitted(last, epoch);
}

Status Log::WaitCommitted(GlobalPosition last) {
  return impl_->WaitCommitted(last, impl_->Epoch());
}

GlobalPosition Log::CommittedPosition() const { return impl_->CommittedPosition(); }

GlobalPosition Log::WaitForCommitted(GlobalPosition position,
                                     std::chrono::milliseconds timeout) const {
  return impl_->WaitForCommitted(position, timeout);
}

Status Log::Scan(GlobalPosition from, uint64_t max_count,
                 const std::function<bool(const RecordView&)>& visit) const {
  return impl_->Scan(from, max_count, visit);
}

LogStats Log::Stats() const { return impl_->Stats(); }

Status Log::health() const { return impl_->health(); }

}  // namespace duet::log
