// The backends the EventStore conformance suite runs on: the same test
// bodies (tests/store/conformance_test.cc, conformance_concurrency_test.cc)
// against every implementation of the contract in include/duet/event_store.h.
//
//   "embedded"    EmbeddedStore::Open on a fresh temp folder
//   "postgresql"  PostgresStore::Open on a fresh database of a throwaway
//                 PostgreSQL, started once per test process (CTest runs each
//                 test case in its own process, so about 1 s per case; the
//                 embedded cases never start one)
//
// A difference between the backends is a bug in the PostgreSQL store unless
// the contract says otherwise. Not thread-safe (one fixture per test).
#ifndef DUET_TESTS_STORE_CONFORMANCE_BACKEND_H_
#define DUET_TESTS_STORE_CONFORMANCE_BACKEND_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "duet/embedded_store.h"
#include "duet/postgres_store.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/temp_dir.h"

namespace duet::testing {

// The cluster of this test process, started on first use; nullptr (and the
// reason in *why) when it could not start.
inline PostgresCluster* SharedCluster(Status* why) {
  static Result<std::unique_ptr<PostgresCluster>> cluster = PostgresCluster::Start();
  if (!cluster.ok()) {
    *why = cluster.status();
    return nullptr;
  }
  return cluster->get();
}

class StoreConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      Status why;
      cluster_ = SharedCluster(&why);
      ASSERT_NE(cluster_, nullptr) << why;
      static int databases = 0;
      database_ = "conformance_" + std::to_string(++databases);
      ASSERT_TRUE(cluster_->CreateDatabase(database_).ok());
    }
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
  }

  // A store on this test's storage (the embedded folder or the database).
  // The embedded store allows one open at a time; PostgreSQL any number
  // (several nodes on one database).
  std::unique_ptr<EventStore> OpenStore() {
    if (GetParam() == "embedded") {
      StoreOptions options;
      options.durability.mode = Durability::Mode::kNone;
      auto store = EmbeddedStore::Open(dir_ / "data", options);
      EXPECT_TRUE(store.ok()) << store.status();
      return store.ok() ? std::unique_ptr<EventStore>(std::move(*store)) : nullptr;
    }
    auto store = PostgresStore::Open(cluster_->url(database_), PostgresStoreOptions{});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::unique_ptr<EventStore>(std::move(*store)) : nullptr;
  }

  TempDir dir_;  // the embedded store's folder; snapshots for either backend
  PostgresCluster* cluster_ = nullptr;
  std::string database_;
  std::unique_ptr<EventStore> store_;
};

inline std::string BackendName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace duet::testing

#define DUET_INSTANTIATE_CONFORMANCE(suite)                                              \
  INSTANTIATE_TEST_SUITE_P(Backends, suite, ::testing::Values("embedded", "postgresql"), \
                           ::duet::testing::BackendName)

#endif  // DUET_TESTS_STORE_CONFORMANCE_BACKEND_H_
