// A SubscriptionHandler that keeps everything a subscription delivered, in
// order, for tests to inspect. Thread-safe.
#ifndef DUET_TESTS_SUPPORT_SUBSCRIPTION_COLLECTOR_H_
#define DUET_TESTS_SUPPORT_SUBSCRIPTION_COLLECTOR_H_

#include <mutex>
#include <span>
#include <vector>

#include "duet/event_store.h"

namespace duet::testing {

struct Collector {
  std::mutex mu;
  std::vector<RecordedEvent> events;

  SubscriptionHandler Handler() {
    return [this](std::span<const RecordedEvent> batch) {
      std::lock_guard lock(mu);
      events.insert(events.end(), batch.begin(), batch.end());
      return Status::OK();
    };
  }
  size_t size() {
    std::lock_guard lock(mu);
    return events.size();
  }
};

}  // namespace duet::testing

#endif  // DUET_TESTS_SUPPORT_SUBSCRIPTION_COLLECTOR_H_
