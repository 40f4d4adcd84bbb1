// Helpers shared by the store tests.
#ifndef DUET_TESTS_STORE_STORE_TEST_UTIL_H_
#define DUET_TESTS_STORE_STORE_TEST_UTIL_H_

#include <string>
#include <vector>

#include "duet/embedded_store.h"

namespace duet::testing {

inline EventData MakeEvent(std::string type, std::string data, EventId id = {}) {
  return EventData{id, std::move(type), std::move(data), "{}"};
}

inline std::vector<EventData> MakeEvents(int n, const std::string& prefix = "e") {
  std::vector<EventData> events;
  for (int i = 0; i < n; ++i) {
    events.push_back(MakeEvent("Happened", "{\"" + prefix + "\":" + std::to_string(i) + "}"));
  }
  return events;
}

inline StoreOptions FastOptions() {
  StoreOptions options;
  options.durability.mode = Durability::Mode::kNone;
  return options;
}

}  // namespace duet::testing

#endif  // DUET_TESTS_STORE_STORE_TEST_UTIL_H_
