// Projections and helpers shared by the projection tests (and the crash
// runner): a pure counting projection, a deliberately impure one, one that
// fails on a poison event, and a gate that holds Apply where a test wants.
#ifndef DUET_TESTS_PROJECTION_TEST_PROJECTIONS_H_
#define DUET_TESTS_PROJECTION_TEST_PROJECTIONS_H_

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "duet/embedded_store.h"
#include "duet/projection.h"
#include "duet/projection_engine.h"
#include "duet/read_store.h"

namespace duet::testing {

// Holds Apply of the log's first event (position 1) while armed, until
// opened: a rebuild, which starts there, waits; a live runner, long past it,
// does not.
class Gate {
 public:
  void Arm() {
    std::lock_guard lock(mu_);
    armed_ = true;
  }
  void Open() {
    {
      std::lock_guard lock(mu_);
      armed_ = false;
    }
    cv_.notify_all();
  }
  void Pass() {
    std::unique_lock lock(mu_);
    if (armed_) ++waiting_;
    cv_.wait(lock, [this] { return !armed_; });
  }
  // Whether an Apply has been held since Arm (it may have passed by now).
  bool Reached() {
    std::lock_guard lock(mu_);
    return waiting_ > 0;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  int waiting_ = 0;
};

inline ProjectionInfo Info(std::string name, uint32_t version = 1,
                           FailurePolicy policy = FailurePolicy::kStop,
                           std::vector<std::string> types = {}) {
  ProjectionInfo info;
  info.name = std::move(name);
  info.version = version;
  info.event_types = std::move(types);
  info.on_failure = policy;
  return info;
}

// Pure: one document per stream, {"count": events seen, "last": last version,
// "v": projection version}, listed under index "streams".
class CountingProjection : public DocumentProjection {
 public:
  explicit CountingProjection(ProjectionInfo info, Gate* gate = nullptr)
      : info_(std::move(info)), gate_(gate) {}
  const ProjectionInfo& info() const override { return info_; }
  Status Apply(const RecordedEvent& event, DocumentTxn& txn) const override {
    if (gate_ != nullptr && event.position == GlobalPosition(1)) gate_->Pass();
    auto doc = txn.Get(event.stream);
    if (!doc.ok()) return doc.status();
    const int64_t count = *doc != nullptr ? (**doc).at("count").as_int64() : 0;
    boost::json::object next{{"count", count + 1},
                             {"last", static_cast<int64_t>(event.version.value)},
                             {"v", static_cast<int64_t>(info_.version)}};
    return txn.Put(event.stream, std::move(next), {{"streams", "all", event.stream}});
  }

 private:
  ProjectionInfo info_;
  Gate* gate_;
};

// Impure on purpose: writes a process-wide counter, so a replay differs.
class ImpureProjection : public DocumentProjection {
 public:
  explicit ImpureProjection(ProjectionInfo info) : info_(std::move(info)) {}
  const ProjectionInfo& info() const override { return info_; }
  Status Apply(const RecordedEvent& event, DocumentTxn& txn) const override {
    static std::atomic<int64_t> calls{0};
    return txn.Put(event.stream, boost::json::object{{"call", calls.fetch_add(1)}});
  }

 private:
  ProjectionInfo info_;
};

// Counts like CountingProjection, but an event of type "Poison" fails while
// `*poisoned` is true (after writing, to prove the write is discarded), and
// one of type "Throw" throws.
class PoisonProjection : public DocumentProjection {
 public:
  PoisonProjection(ProjectionInfo info, const std::atomic<bool>* poisoned)
      : counting_(info), info_(std::move(info)), poisoned_(poisoned) {}
  const ProjectionInfo& info() const override { return info_; }
  Status Apply(const RecordedEvent& event, DocumentTxn& txn) const override {
    if (event.type == "Throw" && poisoned_->load()) throw std::runtime_error("boom");
    Status counted = counting_.Apply(event, txn);
    if (!counted.ok()) return counted;
    if (event.type == "Poison" && poisoned_->load()) {
      return Status::DomainRuleViolated("poison", "cannot apply " + event.stream);
    }
    return Status::OK();
  }

 private:
  CountingProjection counting_;
  ProjectionInfo info_;
  const std::atomic<bool>* poisoned_;
};

// Pure, search: one document per stream whose text is the stream's event
// types so far, filterable by the last type.
class SearchTypesProjection : public SearchProjection {
 public:
  explicit SearchTypesProjection(ProjectionInfo info) : info_(std::move(info)) {
    info_.store = ReadStoreKind::kSearch;
  }
  const ProjectionInfo& info() const override { return info_; }
  Status Apply(const RecordedEvent& event, SearchTxn& txn) const override {
    auto existing = txn.Get(event.stream);
    if (!existing.ok()) return existing.status();
    SearchDocument doc = existing->value_or(SearchDocument{});
    std::string text = doc.text.empty() ? std::string() : doc.text[0].second + " ";
    doc.text = {{"types", text + event.type}};
    doc.filters = {{"last", event.type}};
    doc.stored = boost::json::object{{"version", static_cast<int64_t>(event.version.value)}};
    return txn.Upsert(event.stream, std::move(doc));
  }

 private:
  ProjectionInfo info_;
};

// Pure, analytics: counts events per type by their own timestamps.
class AnalyticsTypesProjection : public AnalyticsProjection {
 public:
  explicit AnalyticsTypesProjection(ProjectionInfo info) : info_(std::move(info)) {
    info_.store = ReadStoreKind::kAnalytics;
  }
  const ProjectionInfo& info() const override { return info_; }
  Status Apply(const RecordedEvent& event, AnalyticsTxn& txn) const override {
    return txn.Record("events", {{"type", event.type}}, event.timestamp_us, 1);
  }

 private:
  ProjectionInfo info_;
};

inline StoreOptions FastStoreOptions() {
  StoreOptions options;
  options.durability.mode = Durability::Mode::kNone;
  return options;
}

// Appends `n` events of `type` to `stream`, one append; returns the position
// of the last.
inline GlobalPosition AppendEvents(EventStore& store, const std::string& stream, int n,
                                   const std::string& type = "Happened") {
  std::vector<EventData> events;
  for (int i = 0; i < n; ++i) {
    events.push_back(EventData{EventId{}, type, "{\"i\":" + std::to_string(i) + "}", "{}"});
  }
  auto result = store.Append(stream, ExpectedVersion::Any(), events);
  if (!result.ok()) throw std::runtime_error(result.status().ToString());
  return result->position;
}

// Every entry of a read store, key -> canonical content.
inline std::map<std::string, std::string> Entries(ReadStore& store) {
  std::map<std::string, std::string> entries;
  Status status = store.ForEachEntry([&](std::string_view key, std::string_view content) {
    entries.emplace(std::string(key), std::string(content));
  });
  if (!status.ok()) throw std::runtime_error(status.ToString());
  return entries;
}

// Polls `condition` until it holds or `limit` passes (a bound against hangs,
// not a timing assertion). Returns whether it held.
inline bool Eventually(const std::function<bool()>& condition,
                       std::chrono::seconds limit = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

inline ProjectionState StateOf(ProjectionEngine& engine, const std::string& name) {
  auto status = engine.StatusOf(name);
  return status.ok() ? status->state : ProjectionState::kStopped;
}

}  // namespace duet::testing

#endif  // DUET_TESTS_PROJECTION_TEST_PROJECTIONS_H_
