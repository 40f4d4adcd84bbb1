// EventStore decorators for tests of code built on the store (the domain
// layer): they wrap a real store and count or disturb what passes through.
#ifndef DUET_TESTS_SUPPORT_STORE_DECORATORS_H_
#define DUET_TESTS_SUPPORT_STORE_DECORATORS_H_

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "duet/event_store.h"

namespace duet::testing {

// Forwards every call to `inner`, which must outlive it. Thread-safe if the
// inner store is.
class ForwardingStore : public EventStore {
 public:
  explicit ForwardingStore(EventStore* inner) : inner_(inner) {}

  Result<MultiAppendResult> AppendMulti(std::span<const StreamAppend> appends) override {
    return inner_->AppendMulti(appends);
  }
  Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                size_t max_count,
                                                ReadDirection direction) override {
    return inner_->ReadStream(stream, from, max_count, direction);
  }
  Result<std::vector<RecordedEvent>> ReadAll(GlobalPosition from, size_t max_count) override {
    return inner_->ReadAll(from, max_count);
  }
  std::optional<StreamVersion> StreamHead(std::string_view stream) override {
    return inner_->StreamHead(stream);
  }
  GlobalPosition HeadPosition() override { return inner_->HeadPosition(); }
  GlobalPosition WaitForHead(GlobalPosition position, std::chrono::milliseconds timeout) override {
    return inner_->WaitForHead(position, timeout);
  }

 protected:
  EventStore* inner_;
};

// Counts ReadStream calls and the events they returned, and AppendMulti calls.
class CountingStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;

  Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                size_t max_count,
                                                ReadDirection direction) override {
    auto result = inner_->ReadStream(stream, from, max_count, direction);
    ++stream_reads_;
    if (result.ok()) events_read_ += result->size();
    return result;
  }
  Result<MultiAppendResult> AppendMulti(std::span<const StreamAppend> appends) override {
    ++appends_;
    return inner_->AppendMulti(appends);
  }

  uint64_t stream_reads() const { return stream_reads_; }
  uint64_t events_read() const { return events_read_; }
  uint64_t appends() const { return appends_; }
  void Reset() { stream_reads_ = events_read_ = appends_ = 0; }

 private:
  std::atomic<uint64_t> stream_reads_{0}, events_read_{0}, appends_{0};
};

// Disturbs the next AppendMulti calls deterministically:
// - InjectConflicts(n, make): before each of the next n appends, appends
//   make(stream) with ExpectedVersion::Any to the append's first stream, as a
//   racing writer would, so the real append then conflicts.
// - FailAppends(n, status): the next n appends return `status` and write
//   nothing.
// - InjectTwins(n): before each of the next n appends, commits a copy of it
//   (same streams, expected versions and contents, fresh event ids), as a
//   concurrent twin of the same command would.
class FaultInjectingStore : public ForwardingStore {
 public:
  using ForwardingStore::ForwardingStore;
  using MakeEvent = std::function<EventData(const std::string& stream)>;

  void InjectConflicts(int n, MakeEvent make) {
    std::lock_guard<std::mutex> lock(mu_);
    conflicts_left_ = n;
    make_ = std::move(make);
  }
  void FailAppends(int n, Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    failures_left_ = n;
    failure_ = std::move(status);
  }

  void InjectTwins(int n) {
    std::lock_guard<std::mutex> lock(mu_);
    twins_left_ = n;
  }

  Result<MultiAppendResult> AppendMulti(std::span<const StreamAppend> appends) override {
    ++appends_;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (twins_left_ > 0) {
        --twins_left_;
        std::vector<StreamAppend> twin(appends.begin(), appends.end());
        for (StreamAppend& a : twin) {
          for (EventData& e : a.events) e.id = EventId::Random();
        }
        auto racing = inner_->AppendMulti(twin);
        if (!racing.ok()) return racing.status();
      }
      if (failures_left_ > 0) {
        --failures_left_;
        return failure_;
      }
      if (conflicts_left_ > 0 && !appends.empty()) {
        --conflicts_left_;
        EventData foreign = make_(appends.front().stream);
        auto racing = inner_->Append(appends.front().stream, ExpectedVersion::Any(),
                                     std::span<const EventData>(&foreign, 1));
        if (!racing.ok()) return racing.status();
      }
    }
    return inner_->AppendMulti(appends);
  }

  uint64_t appends() const { return appends_; }

 private:
  std::mutex mu_;
  int conflicts_left_ = 0;
  MakeEvent make_;
  int failures_left_ = 0;
  Status failure_;
  int twins_left_ = 0;
  std::atomic<uint64_t> appends_{0};
};

}  // namespace duet::testing

#endif  // DUET_TESTS_SUPPORT_STORE_DECORATORS_H_
