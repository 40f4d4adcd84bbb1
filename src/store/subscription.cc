#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "duet/event_store.h"

namespace duet {
namespace {

// How long one wait for new events lasts before the loop rechecks Stop().
constexpr std::chrono::milliseconds kPollInterval{50};

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
  // no duplicate.
  Status Run() {
    while (!stop.load(std::memory_order_acquire)) {
      const GlobalPosition next(position.load() + 1);
      auto batch = store->ReadAll(next, options.batch_size);
      if (!batch.ok()) return batch.status();
      if (batch->empty()) {
        if (!caught_up.exchange(true) && options.on_caught_up) {
          options.on_caught_up(GlobalPosition(position.load()));
        }
        store->WaitForHead(next, kPollInterval);
        continue;
      }
      DUET_RETURN_IF_ERROR(handler(*batch));
      position.store(batch->back().position.value);
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
