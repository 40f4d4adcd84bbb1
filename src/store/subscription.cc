#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "duet/event_store.h"
#include "util/thread_annotations.h"
#include "util/thread_name.h"

namespace duet {
namespace {

// How long one wait for new events lasts before the loop rechecks Stop().
constexpr std::chrono::milliseconds kPollInterval{50};

using Batch = Result<std::vector<RecordedEvent>>;

// Reads one batch ahead on its own thread, so the log scan and the building
// of RecordedEvents for batch N+1 overlap the handler applying batch N. It
// also frees the batch before N (a thousand strings and a large block, whose
// free can consolidate the heap) so that the handler's thread does not.
// At most one read is in flight and at most one result waits, so with the
// batch being handled and the one being freed the subscription holds three
// batches at most.
// Thread-safe: Start/Take from the subscription thread, the read on its own.
class ReadAhead {
 public:
  ReadAhead(EventStore* store, size_t batch_size)
      : store_(store), batch_size_(batch_size), thread_([this] {
          NameThisThread("duet-readahead");
          Loop();
        }) {}

  ~ReadAhead() {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // Starts reading from `from`, after freeing `spent` (a batch the handler
  // is done with). REQUIRES: the previous read was taken.
  void Start(GlobalPosition from, std::optional<Batch> spent) {
    {
      std::lock_guard lock(mu_);
      from_ = from;
      spent_ = std::move(spent);
      result_.reset();
    }
    cv_.notify_all();
  }

  // Waits for the read Start began and returns it.
  Batch Take() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this]() REQUIRES(mu_) { return result_.has_value(); });
    Batch batch = std::move(*result_);
    result_.reset();
    return batch;
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this]() REQUIRES(mu_) { return quit_ || from_.has_value(); });
      if (quit_) return;
      const GlobalPosition from = *from_;
      from_.reset();
      std::optional<Batch> spent = std::move(spent_);
      spent_.reset();
      lock.unlock();
      spent.reset();
      Batch batch = store_->ReadAll(from, batch_size_);
      lock.lock();
      result_.emplace(std::move(batch));
      cv_.notify_all();
    }
  }

  EventStore* const store_;
  const size_t batch_size_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<GlobalPosition> from_ GUARDED_BY(mu_);  // a read asked for
  std::optional<Batch> spent_ GUARDED_BY(mu_);          // to free before it
  std::optional<Batch> result_ GUARDED_BY(mu_);         // a read done, not yet taken
  bool quit_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts after the members it uses
};

// While lingering, a wait this long without a new event ends it.
constexpr std::chrono::milliseconds kLingerGap{1};
// After a read answered kUnavailable, the pause before reading again.
constexpr std::chrono::milliseconds kUnavailableRetry{200};

}  // namespace

struct Subscription::State {
  EventStore* store;
  SubscriptionHandler handler;
  SubscriptionOptions options;
  std::atomic<uint64_t> position;
  std::atomic<bool> stop{false};
  std::atomic<bool> caught_up{false};
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  Status result;
  std::thread thread;

  // Catch-up and live are one loop: read after the last delivered position;
  // when nothing is there, wait for the head to move. No switch, so no gap and
  // no duplicate. The next batch is read ahead (from just after the batch
  // being handled) while the handler runs; an empty read therefore still
  // means every event before it was delivered.
  // Waits (options.live_linger at most) while events keep arriving, until a
  // whole batch from `next` is there. `head`: the head seen last.
  void Linger(GlobalPosition next, GlobalPosition head) {
    if (options.live_linger.count() <= 0) return;
    const GlobalPosition full(next.value + options.batch_size - 1);
    const auto deadline = std::chrono::steady_clock::now() + options.live_linger;
    while (head < full && !stop.load(std::memory_order_acquire)) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return;
      const GlobalPosition now = store->WaitForHead(head.Next(), std::min(left, kLingerGap));
      if (now <= head) return;  // a gap: the burst is over
      head = now;
    }
  }

  void PauseUnlessStopped(std::chrono::milliseconds pause) const {
    const auto until = std::chrono::steady_clock::now() + pause;
    while (!stop.load(std::memory_order_acquire) && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  Status Run() {
    ReadAhead ahead(store, options.batch_size);
    Batch batch = store->ReadAll(GlobalPosition(position.load() + 1), options.batch_size);
    std::optional<Batch> spent;  // the last batch handled, freed by `ahead`
    while (!stop.load(std::memory_order_acquire)) {
      const GlobalPosition next(position.load() + 1);
      if (!batch.ok()) {
        // The store's server is away (PostgreSQL restarting): read the same
        // place again once it is back; anything else ends the subscription.
        if (batch.status().code() != StatusCode::kUnavailable) return batch.status();
        PauseUnlessStopped(kUnavailableRetry);
        batch = store->ReadAll(next, options.batch_size);
        continue;
      }
      if (batch->empty()) {
        if (!caught_up.exchange(true) && options.on_caught_up) {
          options.on_caught_up(GlobalPosition(position.load()));
        }
        const GlobalPosition head = store->WaitForHead(next, kPollInterval);
        if (head >= next) Linger(next, head);
        batch = store->ReadAll(next, options.batch_size);
        continue;
      }
      const GlobalPosition last = batch->back().position;
      ahead.Start(last.Next(), std::move(spent));
      Status handled = handler(*batch);
      // Taken also when the handler failed: the read must end.
      spent.emplace(std::exchange(batch, ahead.Take()));
      DUET_RETURN_IF_ERROR(handled);
      position.store(last.value);
    }
    return Status::OK();
  }
};
Subscription::Subscription(EventStore* store, GlobalPosition after, SubscriptionHandler handler,
                           SubscriptionOptions options)
    : state_(std::make_unique<State>()) {
  state_->store = store;
  state_->handler = std::move(handler);
  state_->options = std::move(options);
  if (state_->options.batch_size == 0) state_->options.batch_size = 1;
  state_->position.store(after.value);
  State* state = state_.get();
  state_->thread = std::thread([state] {
    NameThisThread("duet-subscriber");
    Status result = state->Run();
    std::lock_guard lock(state->mu);
    state->result = std::move(result);
    state->done = true;
    state->done_cv.notify_all();
  });
}

Subscription::~Subscription() {
  Stop();
  if (state_->thread.joinable()) state_->thread.join();
}

void Subscription::Stop() { state_->stop.store(true, std::memory_order_release); }

Status Subscription::Wait() {
  std::unique_lock lock(state_->mu);
  state_->done_cv.wait(lock, [this] { return state_->done; });
  return state_->result;
}

GlobalPosition Subscription::position() const { return GlobalPosition(state_->position.load()); }

bool Subscription::caught_up() const { return state_->caught_up.load(); }

}  // namespace duet
