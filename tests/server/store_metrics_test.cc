#include "server/store_metrics.h"

#include <gtest/gtest.h>

#include "duet/embedded_store.h"
#include "tests/support/temp_dir.h"

namespace duet::server {
namespace {

std::vector<EventData> OneEvent() { return {EventData{{}, "Happened", "{}", "{}"}}; }

TEST(StoreMetricsTest, ObservationsLandInTheirFamilies) {
  Registry registry;
  StoreMetrics metrics(&registry);
  metrics.OnCommitRound({3, 5, 1000, std::chrono::microseconds(200)});
  metrics.OnCommitRound({1, 1, 100, std::chrono::nanoseconds(0)});  // not synced: no fsync sample
  metrics.OnBackgroundSync(std::chrono::milliseconds(2));
  metrics.OnAppend(std::chrono::microseconds(70), StatusCode::kOk);
  metrics.OnAppend(std::chrono::microseconds(70), StatusCode::kWrongExpectedVersion);
  const std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("duet_group_commit_transactions_bucket{le=\"2\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("duet_group_commit_transactions_bucket{le=\"4\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("duet_group_commit_transactions_sum 4\n"), std::string::npos);
  EXPECT_NE(text.find("duet_group_commit_events_sum 6\n"), std::string::npos);
  EXPECT_NE(text.find("duet_group_commit_bytes_bucket{le=\"1024\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("duet_fsync_seconds_count 2\n"), std::string::npos);
  EXPECT_NE(text.find("duet_fsync_seconds_bucket{le=\"0.00025\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("duet_append_seconds_bucket{le=\"0.0001\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("duet_append_errors_total{code=\"wrong_expected_version\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("duet_store_appended_events_total 6\n"), std::string::npos) << text;
  EXPECT_NE(text.find("duet_store_appended_bytes_total 1100\n"), std::string::npos) << text;
}

TEST(StoreMetricsTest, AStoreFeedsTheRegistry) {
  duet::testing::TempDir dir;
  Registry registry;
  StoreMetrics metrics(&registry);
  {
    StoreOptions options;
    options.durability.mode = Durability::Mode::kSync;
    options.observer = &metrics;
    auto store = EmbeddedStore::Open(dir.path(), options);
    ASSERT_TRUE(store.ok()) << store.status();
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE((*store)->Append("s-1", ExpectedVersion::Any(), OneEvent()).ok());
    }
    EXPECT_FALSE((*store)->Append("s-1", ExpectedVersion::NoStream(), OneEvent()).ok());
  }
  const std::string text = registry.RenderPrometheus();
  EXPECT_NE(text.find("duet_group_commit_transactions_sum 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("duet_store_appended_events_total 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("duet_append_seconds_count 4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("duet_fsync_seconds_count 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("duet_append_errors_total{code=\"wrong_expected_version\"} 1\n"),
            std::string::npos);
}

}  // namespace
}  // namespace duet::server
