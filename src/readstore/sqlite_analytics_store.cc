// OpenAnalyticsStore: the AnalyticsStore in SQLite (docs/format.md, "Read
// stores").
//
// Observations are kept as rollups per bucket: series(id, measure, dims)
// names each (measure, dimensions) pair once, dims being the canonical JSON
// [[name, value], ...] sorted by name; rollups(series, width, start, count,
// sum, min, max) holds one row per series, bucket size (minute, hour, day)
// and UTC bucket. A transaction folds its observations into an accumulator
// keyed (measure, dims, width, start), so a batch of a thousand events in the
// same minute is three row writes at Commit. Aggregate reads the rows of the
// asked bucket size, so its work is the answer's rows, not the observations
// or the minutes under them; only bounds that cut a bucket read the minutes
// of that edge bucket.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <tuple>

#include "duet/read_store.h"
#include "readstore/sqlite_store_file.h"
#include "readstore/txn_base.h"
#include "util/canonical_json.h"

namespace duet {
namespace {

using readstore::Connection;
using readstore::Statement;

constexpr const char* kAnalyticsSchema = R"sql(
CREATE TABLE series(id INTEGER PRIMARY KEY, measure BLOB NOT NULL, dims TEXT NOT NULL,
  UNIQUE(measure, dims));
CREATE TABLE rollups(series INTEGER NOT NULL, width INTEGER NOT NULL, start INTEGER NOT NULL,
  count INTEGER NOT NULL, sum INTEGER NOT NULL, min INTEGER NOT NULL, max INTEGER NOT NULL,
  PRIMARY KEY(series, width, start)) WITHOUT ROWID;
)sql";

constexpr int64_t kMinuteUs = 60'000'000;
constexpr int64_t kHourUs = 60 * kMinuteUs;
constexpr int64_t kDayUs = 24 * kHourUs;

// The start of t's bucket; INT64_MIN for the few instants whose bucket would
// start before it.
int64_t FloorTo(int64_t t, int64_t width) {
  int64_t q = t / width;
  if (t % width != 0 && t < 0) --q;
  int64_t start = 0;
  return __builtin_mul_overflow(q, width, &start) ? INT64_MIN : start;
}

constexpr TimeBucket kBuckets[] = {TimeBucket::kMinute, TimeBucket::kHour, TimeBucket::kDay};

int64_t BucketWidth(TimeBucket bucket) {
  switch (bucket) {
    case TimeBucket::kMinute: return kMinuteUs;
    case TimeBucket::kHour: return kHourUs;
    case TimeBucket::kDay: return kDayUs;
  }
  return kDayUs;
}

struct Rollup {
  int64_t count = 0;
  int64_t sum = 0;
  int64_t min = 0;
  int64_t max = 0;

  // False when the sum would overflow int64 (nothing changed then).
  [[nodiscard]] bool Merge(const Rollup& other) {
    int64_t sum_out = 0;
    if (__builtin_add_overflow(sum, other.sum, &sum_out)) return false;
    min = count == 0 ? other.min : std::min(min, other.min);
    max = count == 0 ? other.max : std::max(max, other.max);
    count += other.count;
    sum = sum_out;
    return true;
  }
};

Status SumOverflow() { return Status::InvalidArgument("value", "the sum overflows int64"); }

// Dimensions sorted by name, rendered [[name, value], ...].
Result<std::string> CanonicalDims(Dimensions dims) {
  std::sort(dims.begin(), dims.end());
  boost::json::array out;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i].first.empty()) return Status::InvalidArgument("dimensions", "empty name");
    if (i > 0 && dims[i].first == dims[i - 1].first) {
      return Status::InvalidArgument("dimensions", "name '" + dims[i].first + "' repeats");
    }
    out.push_back(boost::json::array{dims[i].first, dims[i].second});
  }
  return boost::json::serialize(out);
}

Result<Dimensions> ParseDims(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  Dimensions dims;
  if (ec || !value.is_array()) return Status::Corruption("series.dims: not a JSON array");
  for (const auto& pair : value.get_array()) {
    const auto* items = pair.if_array();
    if (items == nullptr || items->size() != 2 || !(*items)[0].is_string() ||
        !(*items)[1].is_string()) {
      return Status::Corruption("series.dims: not [name, value] pairs");
    }
    dims.emplace_back((*items)[0].get_string(), (*items)[1].get_string());
  }
  return dims;
}

// The first bucket start at or after t (INT64_MIN stays: unbounded).
int64_t CeilTo(int64_t t, int64_t width) {
  if (t == INT64_MIN) return t;
  const int64_t floor = FloorTo(t, width);
  if (floor == t) return t;
  return floor > INT64_MAX - width ? INT64_MAX : floor + width;
}

// "2024-03-01T10:05Z": the minute in entry keys, readable and sortable.
std::string FormatMinute(int64_t minute_us) {
  using namespace std::chrono;
  const sys_time<microseconds> t{microseconds(minute_us)};
  const sys_days day = floor<days>(t);
  const year_month_day ymd(day);
  const auto minutes_of_day = duration_cast<minutes>(t - day).count();
  char out[48];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02dZ", int(ymd.year()),
                unsigned(ymd.month()), unsigned(ymd.day()), int(minutes_of_day / 60),
                int(minutes_of_day % 60));
  return out;
}

// measure, dims, width (TimeBucket), bucket start
using AccumulatorKey = std::tuple<std::string, std::string, uint8_t, int64_t>;

// Thread-compatible: the runner's thread only. Must not outlive its store.
class SqliteAnalyticsTxn final : public readstore::ParkingTxn<AnalyticsTxn> {
 public:
  SqliteAnalyticsTxn(const void* owner, readstore::TxnSlot slot, readstore::SqliteStoreFile* file)
      : ParkingTxn(owner, std::move(slot)), batch_(file) {}

  Status Record(std::string_view measure, const Dimensions& dimensions, int64_t timestamp_us,
                int64_t value) override {
    if (measure.empty()) return Status::InvalidArgument("measure", "must not be empty");
    DUET_ASSIGN_OR_RETURN(std::string dims, CanonicalDims(dimensions));
    // Every bucket size or none: check all three merges before changing any.
    Rollup* aggs[std::size(kBuckets)];
    Rollup merged[std::size(kBuckets)];
    for (size_t i = 0; i < std::size(kBuckets); ++i) {
      aggs[i] = &accumulator_[AccumulatorKey(std::string(measure), dims, uint8_t(kBuckets[i]),
                                             FloorTo(timestamp_us, BucketWidth(kBuckets[i])))];
      merged[i] = *aggs[i];
      if (!merged[i].Merge(Rollup{1, value, value, value})) return SumOverflow();
    }
    for (size_t i = 0; i < std::size(kBuckets); ++i) *aggs[i] = merged[i];
    return Status::OK();
  }

  const std::map<AccumulatorKey, Rollup>& accumulator() const { return accumulator_; }

 private:
  readstore::BatchGuard batch_;
  std::map<AccumulatorKey, Rollup> accumulator_;  // ordered: series rows written in order
};

class SqliteAnalyticsStore final : public AnalyticsStore {
 public:
  explicit SqliteAnalyticsStore(std::unique_ptr<readstore::SqliteStoreFile> file)
      : file_(std::move(file)) {}

  GlobalPosition checkpoint() const override { return file_->checkpoint(); }
  Result<std::unique_ptr<ReadStoreTxn>> Begin() override {
    DUET_ASSIGN_OR_RETURN(auto slot, readstore::TxnSlot::Acquire(&txn_open_));
    DUET_RETURN_IF_ERROR(file_->BeginBatch());
    return std::unique_ptr<ReadStoreTxn>(
        new SqliteAnalyticsTxn(this, std::move(slot), file_.get()));
  }
  Status Commit(std::unique_ptr<ReadStoreTxn> txn, GlobalPosition checkpoint) override {
    auto* mine = readstore::OwnTxn<SqliteAnalyticsTxn>(txn.get(), this);
    if (mine == nullptr) return readstore::ForeignTxn();
    return file_->Commit(checkpoint, mine->park_ops(), [&](Connection& db) -> Status {
      return WriteRollups(db, mine->accumulator());
    });
  }
  Result<std::vector<ParkedEvent>> Parked() override { return file_->Parked(); }
  Status ForEachEntry(const EntryVisitor& visit) override;
  Result<AnalyticsResult> Aggregate(const AnalyticsQuery& query) override;

 private:
  static Status WriteRollups(Connection& db, const std::map<AccumulatorKey, Rollup>& acc);
  static Result<int64_t> SeriesId(Connection& db, const std::string& measure,
                                  const std::string& dims);

  std::unique_ptr<readstore::SqliteStoreFile> file_;
  std::atomic<bool> txn_open_{false};
};

Result<int64_t> SqliteAnalyticsStore::SeriesId(Connection& db, const std::string& measure,
                                               const std::string& dims) {
  DUET_ASSIGN_OR_RETURN(Statement * find,
                        db.Prepare("SELECT id FROM series WHERE measure = ?1 AND dims = ?2"));
  DUET_ASSIGN_OR_RETURN(bool row, find->BindBlob(1, measure).BindText(2, dims).Step());
  if (row) return find->ColumnInt64(0);
  DUET_ASSIGN_OR_RETURN(Statement * insert,
                        db.Prepare("INSERT INTO series(measure, dims) VALUES(?1, ?2)"));
  DUET_RETURN_IF_ERROR(insert->BindBlob(1, measure).BindText(2, dims).Run());
  return sqlite3_last_insert_rowid(db.raw());
}

Status SqliteAnalyticsStore::WriteRollups(Connection& db,
                                          const std::map<AccumulatorKey, Rollup>& acc) {
  const AccumulatorKey* series_of = nullptr;  // the accumulator is ordered: a series is a run
  int64_t series = 0;
  for (const auto& [key, batch] : acc) {
    const auto& [measure, dims, width, start] = key;
    if (series_of == nullptr || std::get<0>(*series_of) != measure ||
        std::get<1>(*series_of) != dims) {
      series_of = &key;
      DUET_ASSIGN_OR_RETURN(series, SeriesId(db, measure, dims));
    }
    DUET_ASSIGN_OR_RETURN(Statement * read,
                          db.Prepare("SELECT count, sum, min, max FROM rollups "
                                     "WHERE series = ?1 AND width = ?2 AND start = ?3"));
    DUET_ASSIGN_OR_RETURN(
        bool row, read->BindInt64(1, series).BindInt64(2, width).BindInt64(3, start).Step());
    Rollup merged;
    if (row) {
      merged = {read->ColumnInt64(0), read->ColumnInt64(1), read->ColumnInt64(2),
                read->ColumnInt64(3)};
    }
    read->Reset();
    if (!merged.Merge(batch)) return SumOverflow();
    DUET_ASSIGN_OR_RETURN(Statement * write,
                          db.Prepare("INSERT OR REPLACE INTO rollups(series, width, start, count, "
                                     "sum, min, max) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    DUET_RETURN_IF_ERROR(write->BindInt64(1, series)
                             .BindInt64(2, width)
                             .BindInt64(3, start)
                             .BindInt64(4, merged.count)
                             .BindInt64(5, merged.sum)
                             .BindInt64(6, merged.min)
                             .BindInt64(7, merged.max)
                             .Run());
  }
  return Status::OK();
}

// The group of a series under query.group_by, or nullopt when a filter
// excludes it. A dimension the series lacks groups as "".
std::optional<std::vector<std::string>> GroupOf(const Dimensions& dims,
                                                const AnalyticsQuery& query) {
  auto value_of = [&](const std::string& name) -> const std::string* {
    for (const auto& [n, v] : dims) {
      if (n == name) return &v;
    }
    return nullptr;
  };
  for (const auto& [name, value] : query.filters) {
    const std::string* v = value_of(name);
    if (v == nullptr || *v != value) return std::nullopt;
  }
  std::vector<std::string> group;
  for (const std::string& name : query.group_by) {
    const std::string* v = value_of(name);
    group.push_back(v != nullptr ? *v : std::string());
  }
  return group;
}

// The ranges of rows that answer [from, to) in buckets of `bucket`: whole
// buckets from their own rows, the parts of an edge bucket a bound cuts from
// its minutes (bounds select minutes by their start).
std::vector<std::tuple<TimeBucket, int64_t, int64_t>> RowRanges(TimeBucket bucket, int64_t from,
                                                                int64_t to) {
  if (from >= to) return {};
  const int64_t width = BucketWidth(bucket);
  const int64_t lo = CeilTo(from, width);
  const int64_t hi = to == INT64_MAX ? to : FloorTo(to, width);
  if (bucket == TimeBucket::kMinute || lo >= hi) return {{TimeBucket::kMinute, from, to}};
  std::vector<std::tuple<TimeBucket, int64_t, int64_t>> ranges;
  if (from < lo) ranges.emplace_back(TimeBucket::kMinute, from, lo);
  ranges.emplace_back(bucket, lo, hi);
  if (hi < to) ranges.emplace_back(TimeBucket::kMinute, hi, to);
  return ranges;
}

Result<AnalyticsResult> SqliteAnalyticsStore::Aggregate(const AnalyticsQuery& query) {
  if (query.measure.empty()) return Status::InvalidArgument("measure", "must not be empty");
  const int64_t width = BucketWidth(query.bucket);
  std::map<std::pair<int64_t, std::vector<std::string>>, Rollup> rows;
  AnalyticsResult result;
  DUET_RETURN_IF_ERROR(file_->Read([&](Connection& db, GlobalPosition position) -> Status {
    result.position = position;
    std::vector<std::pair<int64_t, std::vector<std::string>>> matching;
    DUET_ASSIGN_OR_RETURN(Statement * series,
                          db.Prepare("SELECT id, dims FROM series WHERE measure = ?1"));
    series->BindBlob(1, query.measure);
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, series->Step());
      if (!row) break;
      DUET_ASSIGN_OR_RETURN(Dimensions dims, ParseDims(series->ColumnText(1)));
      auto group = GroupOf(dims, query);
      if (group) matching.emplace_back(series->ColumnInt64(0), std::move(*group));
    }
    DUET_ASSIGN_OR_RETURN(
        Statement * buckets,
        db.Prepare("SELECT start, count, sum, min, max FROM rollups "
                   "WHERE series = ?1 AND width = ?2 AND start >= ?3 AND start < ?4"));
    const auto ranges = RowRanges(query.bucket, query.from_us, query.to_us);
    for (const auto& [id, group] : matching) {
      for (const auto& [size, from, to] : ranges) {
        buckets->Reset();
        buckets->BindInt64(1, id).BindInt64(2, int64_t(size)).BindInt64(3, from).BindInt64(4, to);
        for (;;) {
          DUET_ASSIGN_OR_RETURN(bool row, buckets->Step());
          if (!row) break;
          Rollup& agg = rows[{FloorTo(buckets->ColumnInt64(0), width), group}];
          if (!agg.Merge({buckets->ColumnInt64(1), buckets->ColumnInt64(2), buckets->ColumnInt64(3),
                          buckets->ColumnInt64(4)})) {
            return Status::FailedPrecondition("the sum of a bucket overflows int64");
          }
        }
      }
    }
    return Status::OK();
  }));
  for (auto& [key, agg] : rows) {
    result.rows.push_back(
        AnalyticsRow{key.first, std::move(key.second), agg.count, agg.sum, agg.min, agg.max});
  }
  return result;
}

// The minute rows only: the hour and day rows are sums of them (the
// RollupsEqualARecount test holds the store to that), so two stores with the
// same minutes hold the same read model.
Status SqliteAnalyticsStore::ForEachEntry(const EntryVisitor& visit) {
  std::map<std::string, std::string> entries;  // rendered keys sort unlike SQL rows
  DUET_RETURN_IF_ERROR(file_->Read([&](Connection& db, GlobalPosition) -> Status {
    DUET_ASSIGN_OR_RETURN(
        Statement * stmt,
        db.Prepare("SELECT s.measure, s.dims, r.start, r.count, r.sum, r.min, r.max "
                   "FROM rollups AS r JOIN series AS s ON s.id = r.series WHERE r.width = 0"));
    for (;;) {
      DUET_ASSIGN_OR_RETURN(bool row, stmt->Step());
      if (!row) return Status::OK();
      std::string key(stmt->ColumnBlob(0));
      key += '|';
      key += stmt->ColumnText(1);
      key += '|';
      key += FormatMinute(stmt->ColumnInt64(2));
      boost::json::object agg{{"count", stmt->ColumnInt64(3)},
                              {"sum", stmt->ColumnInt64(4)},
                              {"min", stmt->ColumnInt64(5)},
                              {"max", stmt->ColumnInt64(6)}};
      entries.emplace(std::move(key), CanonicalJson(agg));
    }
  }));
  for (const auto& [key, content] : entries) visit(key, content);
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<AnalyticsStore>> OpenAnalyticsStore(const std::filesystem::path& dir) {
  DUET_ASSIGN_OR_RETURN(auto file, readstore::SqliteStoreFile::Open(dir, ReadStoreKind::kAnalytics,
                                                                    kAnalyticsSchema));
  return std::unique_ptr<AnalyticsStore>(new SqliteAnalyticsStore(std::move(file)));
}

}  // namespace duet
