// Helpers for the example read-side tests: recorded events built with the
// examples' codecs, and a read side that applies them straight into stores
// (no log, no engine threads), with positions and timestamps chosen by the
// test, answered through a real QueryBus.
#ifndef DUET_TESTS_EXAMPLES_VIEWS_TEST_UTIL_H_
#define DUET_TESTS_EXAMPLES_VIEWS_TEST_UTIL_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "duet/codec.h"
#include "duet/projection.h"
#include "duet/query_bus.h"
#include "duet/read_store.h"
#include "tests/query/fake_projection_engine.h"

namespace duet::testing {

// 2026-11-23T00:00:00Z, a Monday, in microseconds.
inline constexpr int64_t kDay0Us = 1795392000LL * 1000000;
inline constexpr int64_t kHourUs = 3600LL * 1000000;
inline constexpr int64_t kDayUs = 24 * kHourUs;

template <typename Variant>
RecordedEvent Recorded(const EventCodec<Variant>& codec, const Variant& event, std::string stream,
                       uint64_t position, int64_t timestamp_us) {
  RecordedEvent recorded;
  recorded.stream = std::move(stream);
  recorded.position = GlobalPosition(position);
  recorded.timestamp_us = timestamp_us;
  recorded.type = std::string(codec.Name(event));
  recorded.data = codec.EncodeData(event);
  return recorded;
}

// Every projection writes its own store (memory document stores; SQLite
// search and analytics stores under `dir`), served under the projection's
// name by a FakeProjectionEngine. Single-threaded.
class DirectReadSide {
 public:
  DirectReadSide(std::vector<std::unique_ptr<Projection>> projections,
                 const std::filesystem::path& dir)
      : projections_(std::move(projections)) {
    for (const auto& projection : projections_) {
      const ProjectionInfo& info = projection->info();
      Result<std::unique_ptr<ReadStore>> store =
          info.store == ReadStoreKind::kDocument
              ? Result<std::unique_ptr<ReadStore>>(NewMemoryDocumentStore())
              : OpenReadStore(info.store, dir / info.name);
      if (!store.ok()) {
        open_errors_.push_back(info.name + ": " + store.status().ToString());
        continue;
      }
      std::shared_ptr<ReadStore> shared = std::move(store).value();
      stores_[info.name] = shared;
      engine_.Serve(info.name, shared);
    }
  }

  // Applies `event` through every projection that takes its type, each in
  // its own transaction committed at the event's position, as the runner
  // would. The first failure is returned (its transaction discarded).
  Status Apply(const RecordedEvent& event) {
    for (const auto& projection : projections_) {
      const std::vector<std::string>& types = projection->info().event_types;
      if (!types.empty() && std::find(types.begin(), types.end(), event.type) == types.end()) {
        continue;
      }
      // A store that did not open fails open_errors() and the queries on
      // it (NotFound), not every other read model's tests.
      auto it = stores_.find(projection->info().name);
      if (it == stores_.end()) continue;
      ReadStore& store = *it->second;
      DUET_ASSIGN_OR_RETURN(std::unique_ptr<ReadStoreTxn> txn, store.Begin());
      DUET_RETURN_IF_ERROR(projection->ApplyTo(event, *txn));
      DUET_RETURN_IF_ERROR(store.Commit(std::move(txn), event.position));
    }
    engine_.Notify();
    return Status::OK();
  }

  // The answer's result, or a failed test and null.
  boost::json::value Ask(const std::string& name, boost::json::object params) {
    Result<QueryAnswer> answer = Query(name, std::move(params));
    EXPECT_TRUE(answer.ok()) << name << ": " << answer.status();
    return answer.ok() ? answer->result : boost::json::value(nullptr);
  }
  Result<QueryAnswer> Query(const std::string& name, boost::json::object params) {
    return bus_.Execute(QueryRequest{name, std::move(params), kNoPosition, {}});
  }

  // "<projection>: <status>" for each store that failed to open.
  const std::vector<std::string>& open_errors() const { return open_errors_; }
  QueryBus& bus() { return bus_; }
  ReadStore& store(const std::string& name) { return *stores_.at(name); }

 private:
  std::vector<std::unique_ptr<Projection>> projections_;
  std::map<std::string, std::shared_ptr<ReadStore>> stores_;
  std::vector<std::string> open_errors_;
  FakeProjectionEngine engine_;
  QueryBus bus_{&engine_};
};

}  // namespace duet::testing

#endif  // DUET_TESTS_EXAMPLES_VIEWS_TEST_UTIL_H_
