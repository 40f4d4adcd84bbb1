// A ProjectionEngine test double: read models served by stores the test
// fills and advances by hand (by default one, "model", a memory document
// store), so waits and positions are under the test's control. Admin
// operations are not supported.
//
// Thread-safe: WaitFor may run on several threads while another commits.
#ifndef DUET_TESTS_QUERY_FAKE_PROJECTION_ENGINE_H_
#define DUET_TESTS_QUERY_FAKE_PROJECTION_ENGINE_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "duet/projection_engine.h"
#include "duet/read_store.h"
#include "util/thread_annotations.h"

namespace duet::testing {

class FakeProjectionEngine final : public ProjectionEngine {
 public:
  static constexpr const char* kModel = "model";

  // Serves a memory document store as read model kModel.
  FakeProjectionEngine() : model_(NewMemoryDocumentStore()) { Serve(kModel, model_); }

  // Serves `store` as read model `name` (replacing any earlier one).
  void Serve(const std::string& name, std::shared_ptr<ReadStore> store) {
    std::lock_guard lock(mu_);
    stores_[name] = std::move(store);
  }

  DocumentStore& store() { return *model_; }

  // Commits `docs` (key -> document, no index entries) to kModel's store
  // with checkpoint `position`, then wakes the waiters.
  void Commit(GlobalPosition position,
              std::vector<std::pair<std::string, boost::json::object>> docs = {}) {
    auto txn = model_->Begin().value();
    auto& doc_txn = static_cast<DocumentTxn&>(*txn);
    for (auto& [key, doc] : docs) {
      Status put = doc_txn.Put(key, std::move(doc));
      if (!put.ok()) throw std::runtime_error(put.ToString());
    }
    Status committed = model_->Commit(std::move(txn), position);
    if (!committed.ok()) throw std::runtime_error(committed.ToString());
    Notify();
  }

  // Wakes the waiters; call after committing to a served store directly.
  void Notify() {
    std::vector<std::shared_ptr<const std::function<void()>>> ready;
    {
      std::lock_guard lock(mu_);
      cv_.notify_all();
      std::erase_if(apply_waiters_, [&](const ApplyWaiter& waiter) {
        auto callback = waiter.ready.lock();
        if (callback == nullptr) return true;
        if (stores_.at(waiter.name)->checkpoint() < waiter.position) return false;
        ready.push_back(std::move(callback));
        return true;
      });
    }
    for (const auto& callback : ready) (*callback)();
  }

  // Blocks until `n` WaitFor calls are waiting (no timing involved).
  void AwaitWaiters(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return waiters_ >= n; });
  }

  std::chrono::milliseconds last_timeout() {
    std::lock_guard lock(mu_);
    return last_timeout_;
  }
  int wait_calls() {
    std::lock_guard lock(mu_);
    return wait_calls_;
  }

  Status Add(std::unique_ptr<Projection>) override { return Unsupported(); }
  std::vector<ProjectionStatus> Statuses() override { return {}; }
  Result<ProjectionStatus> StatusOf(std::string_view) override { return Unsupported(); }

  Result<std::shared_ptr<ReadStore>> ServingStore(std::string_view name) override {
    std::lock_guard lock(mu_);
    auto it = stores_.find(std::string(name));
    if (it == stores_.end()) return Status::NotFound("projection", std::string(name));
    return it->second;
  }

  Result<GlobalPosition> WaitFor(std::string_view name, GlobalPosition position,
                                 std::chrono::milliseconds timeout) override {
    DUET_ASSIGN_OR_RETURN(std::shared_ptr<ReadStore> store, ServingStore(name));
    std::unique_lock lock(mu_);
    last_timeout_ = timeout;
    ++wait_calls_;
    ++waiters_;
    cv_.notify_all();
    cv_.wait_for(lock, timeout, [&] { return store->checkpoint() >= position; });
    --waiters_;
    return store->checkpoint();
  }

  Status WhenApplied(std::string_view name, GlobalPosition position,
                     std::weak_ptr<const std::function<void()>> ready) override {
    DUET_ASSIGN_OR_RETURN(std::shared_ptr<ReadStore> store, ServingStore(name));
    {
      std::lock_guard lock(mu_);
      ++wait_calls_;
      if (store->checkpoint() < position) {
        apply_waiters_.push_back({std::string(name), position, std::move(ready)});
        return Status::OK();
      }
    }
    if (auto callback = ready.lock()) (*callback)();
    return Status::OK();
  }

  Status Stop(std::string_view) override { return Unsupported(); }
  Status Start(std::string_view) override { return Unsupported(); }
  Status Rebuild(std::string_view) override { return Unsupported(); }
  Result<uint64_t> RetryParked(std::string_view) override { return Unsupported(); }
  Result<VerifyReport> Verify(std::string_view) override { return Unsupported(); }
  Result<std::unique_ptr<ReadStore>> BuildAt(std::string_view, PointInTime,
                                             const std::filesystem::path&) override {
    return Unsupported();
  }

 private:
  static Status Unsupported() { return Status::FailedPrecondition("not in the fake"); }

  std::shared_ptr<DocumentStore> model_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, std::shared_ptr<ReadStore>> stores_ GUARDED_BY(mu_);
  int waiters_ GUARDED_BY(mu_) = 0;
  int wait_calls_ GUARDED_BY(mu_) = 0;
  std::chrono::milliseconds last_timeout_ GUARDED_BY(mu_){0};
  struct ApplyWaiter {
    std::string name;
    GlobalPosition position;
    std::weak_ptr<const std::function<void()>> ready;
  };
  std::vector<ApplyWaiter> apply_waiters_ GUARDED_BY(mu_);
};

}  // namespace duet::testing

#endif  // DUET_TESTS_QUERY_FAKE_PROJECTION_ENGINE_H_
