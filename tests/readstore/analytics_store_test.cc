#include <gtest/gtest.h>

#include <map>
#include <random>

#include "duet/read_store.h"
#include "tests/readstore/read_store_test_util.h"

namespace duet {
namespace {

// 2024-03-01T00:00:00Z and friends, in microseconds since the epoch.
constexpr int64_t kDay1 = 1'709'251'200'000'000;
constexpr int64_t kMinute = 60'000'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;

AnalyticsQuery Query(std::string measure, TimeBucket bucket, std::vector<std::string> group_by = {},
                     Dimensions filters = {}) {
  AnalyticsQuery query;
  query.measure = std::move(measure);
  query.bucket = bucket;
  query.group_by = std::move(group_by);
  query.filters = std::move(filters);
  return query;
}

// (bucket_start, group..., count, sum, min, max) of each row, for compact checks.
struct Row {
  int64_t start;
  std::vector<std::string> group;
  int64_t count, sum, min, max;
  bool operator==(const Row&) const = default;
};
void PrintTo(const Row& r, std::ostream* os) {
  *os << "{" << r.start << ", [";
  for (const auto& g : r.group) *os << g << " ";
  *os << "], " << r.count << ", " << r.sum << ", " << r.min << ", " << r.max << "}";
}

class AnalyticsStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = testing::ValueOrThrow(OpenAnalyticsStore(dir_.path())); }

  AnalyticsTxn& Begin() {
    auto txn = store_->Begin();
    EXPECT_TRUE(txn.ok()) << txn.status();
    txn_.reset(static_cast<AnalyticsTxn*>(txn->release()));
    return *txn_;
  }
  void Commit(uint64_t checkpoint) {
    Status s = store_->Commit(std::move(txn_), GlobalPosition(checkpoint));
    ASSERT_TRUE(s.ok()) << s;
  }
  std::vector<Row> Rows(const AnalyticsQuery& query) {
    auto result = store_->Aggregate(query);
    EXPECT_TRUE(result.ok()) << result.status();
    std::vector<Row> rows;
    if (!result.ok()) return rows;
    for (const auto& r : result->rows) {
      rows.push_back({r.bucket_start_us, r.group, r.count, r.sum, r.min, r.max});
    }
    return rows;
  }
  // Payments over two days in two currencies and two statuses.
  void RecordPayments() {
    AnalyticsTxn& txn = Begin();
    auto pay = [&](int64_t at, const char* currency, const char* status, int64_t amount) {
      ASSERT_TRUE(
          txn.Record("revenue", {{"currency", currency}, {"status", status}}, at, amount).ok());
    };
    pay(kDay1 + 1 * kHour + 5, "EUR", "paid", 100);
    pay(kDay1 + 1 * kHour + 30 * kMinute, "EUR", "refunded", -40);
    pay(kDay1 + 2 * kHour, "USD", "paid", 70);
    pay(kDay1 + kDay + 3 * kHour, "EUR", "paid", 10);
    pay(kDay1 + kDay + 3 * kHour + 59 * kMinute, "USD", "paid", 5);
    Commit(5);
  }

  testing::TempDir dir_;
  std::unique_ptr<AnalyticsStore> store_;
  std::unique_ptr<AnalyticsTxn> txn_;
};

TEST_F(AnalyticsStoreTest, PerDaySumsPerCurrency) {
  RecordPayments();
  auto result = store_->Aggregate(Query("revenue", TimeBucket::kDay, {"currency"}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->position, GlobalPosition(5));
  EXPECT_EQ(Rows(Query("revenue", TimeBucket::kDay, {"currency"})),
            (std::vector<Row>{{kDay1, {"EUR"}, 2, 60, -40, 100},
                              {kDay1, {"USD"}, 1, 70, 70, 70},
                              {kDay1 + kDay, {"EUR"}, 1, 10, 10, 10},
                              {kDay1 + kDay, {"USD"}, 1, 5, 5, 5}}));
}

TEST_F(AnalyticsStoreTest, PerHourCountsPerStatus) {
  RecordPayments();
  EXPECT_EQ(Rows(Query("revenue", TimeBucket::kHour, {"status"})),
            (std::vector<Row>{{kDay1 + kHour, {"paid"}, 1, 100, 100, 100},
                              {kDay1 + kHour, {"refunded"}, 1, -40, -40, -40},
                              {kDay1 + 2 * kHour, {"paid"}, 1, 70, 70, 70},
                              {kDay1 + kDay + 3 * kHour, {"paid"}, 2, 15, 5, 10}}));
}

TEST_F(AnalyticsStoreTest, NoGroupAndMinuteBuckets) {
  RecordPayments();
  EXPECT_EQ(Rows(Query("revenue", TimeBucket::kDay)),
            (std::vector<Row>{{kDay1, {}, 3, 130, -40, 100}, {kDay1 + kDay, {}, 2, 15, 5, 10}}));
  auto minutes = Rows(Query("revenue", TimeBucket::kMinute));
  ASSERT_EQ(minutes.size(), 5u);
  EXPECT_EQ(minutes[0].start, kDay1 + kHour) << "5 us past the hour floors to the minute";
}

TEST_F(AnalyticsStoreTest, FiltersAndGroupsTogether) {
  RecordPayments();
  EXPECT_EQ(Rows(Query("revenue", TimeBucket::kDay, {"currency"}, {{"status", "paid"}})),
            (std::vector<Row>{{kDay1, {"EUR"}, 1, 100, 100, 100},
                              {kDay1, {"USD"}, 1, 70, 70, 70},
                              {kDay1 + kDay, {"EUR"}, 1, 10, 10, 10},
                              {kDay1 + kDay, {"USD"}, 1, 5, 5, 5}}));
  EXPECT_EQ(Rows(Query("revenue", TimeBucket::kDay, {"status", "currency"}, {{"currency", "EUR"}})),
            (std::vector<Row>{{kDay1, {"paid", "EUR"}, 1, 100, 100, 100},
                              {kDay1, {"refunded", "EUR"}, 1, -40, -40, -40},
                              {kDay1 + kDay, {"paid", "EUR"}, 1, 10, 10, 10}}));
  EXPECT_TRUE(Rows(Query("revenue", TimeBucket::kDay, {}, {{"currency", "GBP"}})).empty());
  EXPECT_TRUE(Rows(Query("revenue", TimeBucket::kDay, {}, {{"region", "EU"}})).empty());
  EXPECT_TRUE(Rows(Query("other-measure", TimeBucket::kDay)).empty());
}

TEST_F(AnalyticsStoreTest, AMissingGroupDimensionGroupsAsEmpty) {
  AnalyticsTxn& txn = Begin();
  ASSERT_TRUE(txn.Record("m", {{"a", "x"}}, kDay1, 1).ok());
  ASSERT_TRUE(txn.Record("m", {}, kDay1, 2).ok());
  Commit(1);
  EXPECT_EQ(Rows(Query("m", TimeBucket::kDay, {"a"})),
            (std::vector<Row>{{kDay1, {""}, 1, 2, 2, 2}, {kDay1, {"x"}, 1, 1, 1, 1}}));
}

TEST_F(AnalyticsStoreTest, FromIsInclusiveToIsExclusiveOnMinuteStarts) {
  RecordPayments();
  auto query = Query("revenue", TimeBucket::kDay);
  query.from_us = kDay1 + 2 * kHour;       // the USD payment's minute starts here
  query.to_us = kDay1 + kDay + 3 * kHour;  // the next day's first payment's minute: excluded
  EXPECT_EQ(Rows(query), (std::vector<Row>{{kDay1, {}, 1, 70, 70, 70}}));
  query.from_us = kDay1 + 2 * kHour + 1;  // inside that minute: its start is before `from`
  EXPECT_TRUE(Rows(query).empty());
}

TEST_F(AnalyticsStoreTest, BoundsInsideABucketReadItsMinutes) {
  RecordPayments();
  auto query = Query("revenue", TimeBucket::kHour, {"currency"});
  query.from_us = kDay1 + 1 * kHour + 10 * kMinute;       // cuts hour 1: only its 01:30 minute
  query.to_us = kDay1 + kDay + 3 * kHour + 30 * kMinute;  // cuts hour 27: only its 03:00 minute
  EXPECT_EQ(Rows(query), (std::vector<Row>{{kDay1 + 1 * kHour, {"EUR"}, 1, -40, -40, -40},
                                           {kDay1 + 2 * kHour, {"USD"}, 1, 70, 70, 70},
                                           {kDay1 + kDay + 3 * kHour, {"EUR"}, 1, 10, 10, 10}}));
  query.from_us = kDay1 + 2 * kHour;  // whole hours only
  query.to_us = kDay1 + kDay + 3 * kHour;
  EXPECT_EQ(Rows(query), (std::vector<Row>{{kDay1 + 2 * kHour, {"USD"}, 1, 70, 70, 70}}));
  query.from_us = query.to_us;
  EXPECT_TRUE(Rows(query).empty());
}

// Every bucket size's precomputed rows equal a recount of the observations,
// over many batches, series and bucket edges (seeded).
TEST_F(AnalyticsStoreTest, RollupsEqualARecount) {
  std::mt19937_64 rng(7);
  struct Observation {
    int64_t at;
    std::string currency;
    int64_t value;
  };
  std::vector<Observation> observations;
  for (int batch = 0; batch < 20; ++batch) {
    AnalyticsTxn& txn = Begin();
    for (int i = 0; i < 50; ++i) {
      const int64_t at = kDay1 - kDay + int64_t(rng() % uint64_t(3 * kDay));
      const std::string currency = (rng() % 3 == 0) ? "USD" : "EUR";
      const int64_t value = int64_t(rng() % 2001) - 1000;
      ASSERT_TRUE(txn.Record("m", {{"currency", currency}}, at, value).ok());
      observations.push_back({at, currency, value});
    }
    Commit(uint64_t(batch + 1));
  }
  const std::pair<int64_t, int64_t> bounds[] = {
      {INT64_MIN, INT64_MAX}, {kDay1 + 7 * kMinute + 3, kDay1 + kDay + 5 * kHour + 17 * kMinute}};
  for (TimeBucket bucket : {TimeBucket::kMinute, TimeBucket::kHour, TimeBucket::kDay}) {
    const int64_t width = bucket == TimeBucket::kMinute ? kMinute
                          : bucket == TimeBucket::kHour ? kHour
                                                        : kDay;
    for (const auto& [from, to] : bounds) {
      std::map<std::pair<int64_t, std::string>, Row> expected;
      for (const Observation& o : observations) {
        const int64_t minute = o.at - ((o.at % kMinute) + kMinute) % kMinute;
        if (minute < from || minute >= to) continue;
        const int64_t start = o.at - ((o.at % width) + width) % width;
        Row& row = expected[{start, o.currency}];
        if (row.count == 0) row = {start, {o.currency}, 0, 0, o.value, o.value};
        ++row.count;
        row.sum += o.value;
        row.min = std::min(row.min, o.value);
        row.max = std::max(row.max, o.value);
      }
      std::vector<Row> recount;
      for (const auto& [key, row] : expected) recount.push_back(row);
      auto query = Query("m", bucket, {"currency"});
      query.from_us = from;
      query.to_us = to;
      EXPECT_EQ(Rows(query), recount) << TimeBucketName(bucket) << " from " << from;
    }
  }
}

TEST_F(AnalyticsStoreTest, EmptyMeasureIsInvalid) {
  auto result = store_->Aggregate(Query("", TimeBucket::kDay));
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(result.status().IsInvalidArgument());
  EXPECT_EQ(result.status().subject(), "measure");
  AnalyticsTxn& txn = Begin();
  EXPECT_EQ(txn.Record("", {}, kDay1, 1).subject(), "measure");
}

TEST_F(AnalyticsStoreTest, RepeatedDimensionNameIsInvalid) {
  AnalyticsTxn& txn = Begin();
  EXPECT_EQ(txn.Record("m", {{"a", "1"}, {"a", "2"}}, kDay1, 1).subject(), "dimensions");
  EXPECT_EQ(txn.Record("m", {{"", "1"}}, kDay1, 1).subject(), "dimensions");
}

TEST_F(AnalyticsStoreTest, DimensionOrderDoesNotMatter) {
  AnalyticsTxn& txn = Begin();
  ASSERT_TRUE(txn.Record("m", {{"a", "1"}, {"b", "2"}}, kDay1, 1).ok());
  ASSERT_TRUE(txn.Record("m", {{"b", "2"}, {"a", "1"}}, kDay1, 2).ok());
  Commit(1);
  int entries = 0;
  ASSERT_TRUE(store_->ForEachEntry([&](auto, auto) { ++entries; }).ok());
  EXPECT_EQ(entries, 1) << "one series, one minute";
}

TEST_F(AnalyticsStoreTest, ABatchInOneMinuteIsOneRow) {
  AnalyticsTxn& txn = Begin();
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(txn.Record("orders", {{"shop", "s1"}}, kDay1 + 7 * kMinute + i * 1000, i).ok());
  }
  Commit(1000);
  std::vector<std::pair<std::string, std::string>> entries;
  ASSERT_TRUE(store_->ForEachEntry([&](auto k, auto c) { entries.emplace_back(k, c); }).ok());
  ASSERT_EQ(entries.size(), 1u) << "entries are the minute rows";
  EXPECT_EQ(entries[0].first, R"(orders|[["shop","s1"]]|2024-03-01T00:07Z)");
  EXPECT_EQ(entries[0].second, R"({"count":1000,"max":999,"min":0,"sum":499500})");
}

TEST_F(AnalyticsStoreTest, CommitsAccumulateAcrossBatchesAndReopen) {
  {
    AnalyticsTxn& txn = Begin();
    ASSERT_TRUE(txn.Record("m", {}, kDay1, 5).ok());
    Commit(1);
  }
  store_.reset();
  store_ = testing::ValueOrThrow(OpenAnalyticsStore(dir_.path()));
  EXPECT_EQ(store_->checkpoint(), GlobalPosition(1));
  AnalyticsTxn& txn = Begin();
  ASSERT_TRUE(txn.Record("m", {}, kDay1 + 10, -3).ok());
  ASSERT_TRUE(txn.Record("m", {}, kDay1 + 20, 9).ok());
  Commit(3);
  EXPECT_EQ(Rows(Query("m", TimeBucket::kMinute)), (std::vector<Row>{{kDay1, {}, 3, 11, -3, 9}}));
}

TEST_F(AnalyticsStoreTest, TimesBeforeTheEpochFloorDown) {
  AnalyticsTxn& txn = Begin();
  ASSERT_TRUE(txn.Record("m", {}, -1, 1).ok());  // 1969-12-31T23:59:59.999999Z
  Commit(1);
  EXPECT_EQ(Rows(Query("m", TimeBucket::kDay)), (std::vector<Row>{{-kDay, {}, 1, 1, 1, 1}}));
  EXPECT_EQ(Rows(Query("m", TimeBucket::kMinute)), (std::vector<Row>{{-kMinute, {}, 1, 1, 1, 1}}));
  std::string key;
  ASSERT_TRUE(store_->ForEachEntry([&](auto k, auto) { key = k; }).ok());
  EXPECT_EQ(key, "m|[]|1969-12-31T23:59Z");
}

TEST_F(AnalyticsStoreTest, SumOverflowIsRefused) {
  AnalyticsTxn& txn = Begin();
  ASSERT_TRUE(txn.Record("m", {}, kDay1, INT64_MAX).ok());
  EXPECT_EQ(txn.Record("m", {}, kDay1, 1).subject(), "value");
  Commit(1);
  AnalyticsTxn& next = Begin();
  ASSERT_TRUE(next.Record("m", {}, kDay1, 1).ok());  // the batch alone is fine
  Status s = store_->Commit(std::move(txn_), GlobalPosition(2));
  EXPECT_EQ(s.subject(), "value") << s;
  EXPECT_EQ(store_->checkpoint(), GlobalPosition(1)) << "nothing of the batch committed";
  EXPECT_EQ(Rows(Query("m", TimeBucket::kDay))[0].sum, INT64_MAX);
}

}  // namespace
}  // namespace duet
