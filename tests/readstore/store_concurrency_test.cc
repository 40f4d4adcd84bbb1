// Search and analytics readers racing a committing writer: every answer is a
// whole batch, at the position it reports, and more readers than the pool
// has connections just wait their turn.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "duet/read_store.h"
#include "tests/readstore/read_store_test_util.h"

namespace duet {
namespace {

constexpr int kBatches = 150;
constexpr int kReaders = 10;  // more than SqliteStoreFile::kMaxReaders

// Runs `read` on kReaders threads until `write(n)` committed batches 1..kBatches;
// returns the first failure any reader or the writer saw.
std::string Race(const std::function<Status(int)>& write,
                 const std::function<std::string()>& read) {
  std::atomic<bool> done{false};
  std::mutex mu;
  std::string failure;
  auto fail = [&](const std::string& what) {
    std::lock_guard lock(mu);
    if (failure.empty()) failure = what;
  };
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&] {
      for (int i = 0; !done.load() || i < 5; ++i) {
        std::string error = read();
        if (!error.empty()) fail(error);
      }
    });
  }
  for (int n = 1; n <= kBatches; ++n) {
    Status s = write(n);
    if (!s.ok()) {
      fail(s.ToString());
      break;
    }
  }
  done.store(true);
  for (auto& t : readers) t.join();
  return failure;
}

TEST(StoreConcurrencyTest, SearchAnswersMatchTheirPosition) {
  testing::TempDir dir;
  auto store = testing::ValueOrThrow(OpenSearchStore(dir.path()));
  auto write = [&](int n) -> Status {
    DUET_ASSIGN_OR_RETURN(auto txn, store->Begin());
    auto* search = static_cast<SearchTxn*>(txn.get());
    for (const char* key : {"a", "b"}) {
      DUET_RETURN_IF_ERROR(
          search->Upsert(key, SearchDocument{{{"t", "common word"}}, {}, {{"n", n}}}));
    }
    return store->Commit(std::move(txn), GlobalPosition(uint64_t(n)));
  };
  auto read = [&]() -> std::string {
    SearchQuery query;
    query.text = "comm";
    auto result = store->Search(query);
    if (!result.ok()) return result.status().ToString();
    if (result->position == kNoPosition) return result->hits.empty() ? "" : "hits before commit";
    if (result->hits.size() != 2) return "saw " + std::to_string(result->hits.size()) + " hits";
    for (const auto& hit : result->hits) {
      if (hit.stored.at("n").to_number<uint64_t>() != result->position.value) {
        return "hit does not match the position";
      }
    }
    return "";
  };
  EXPECT_EQ(Race(write, read), "");
}

TEST(StoreConcurrencyTest, AnalyticsAnswersMatchTheirPosition) {
  testing::TempDir dir;
  auto store = testing::ValueOrThrow(OpenAnalyticsStore(dir.path()));
  auto write = [&](int n) -> Status {
    DUET_ASSIGN_OR_RETURN(auto txn, store->Begin());
    auto* analytics = static_cast<AnalyticsTxn*>(txn.get());
    // Two observations per batch, in two different minutes.
    DUET_RETURN_IF_ERROR(analytics->Record("m", {{"k", "x"}}, 0, 1));
    DUET_RETURN_IF_ERROR(analytics->Record("m", {{"k", "y"}}, 3'600'000'000, 1));
    return store->Commit(std::move(txn), GlobalPosition(uint64_t(n)));
  };
  auto read = [&]() -> std::string {
    AnalyticsQuery query;
    query.measure = "m";
    query.bucket = TimeBucket::kDay;
    auto result = store->Aggregate(query);
    if (!result.ok()) return result.status().ToString();
    const int64_t count = result->rows.empty() ? 0 : result->rows[0].count;
    if (count != 2 * int64_t(result->position.value)) {
      return "count " + std::to_string(count) + " at position " +
             std::to_string(result->position.value);
    }
    return "";
  };
  EXPECT_EQ(Race(write, read), "");
}

TEST(StoreConcurrencyTest, DocumentListsAndGetsWhileCommitting) {
  testing::TempDir dir;
  auto store = testing::ValueOrThrow(OpenDocumentStore(dir.path()));
  auto write = [&](int n) -> Status {
    DUET_ASSIGN_OR_RETURN(auto txn, store->Begin());
    auto* docs = static_cast<DocumentTxn*>(txn.get());
    // A new key each batch, and one key rewritten each batch.
    DUET_RETURN_IF_ERROR(docs->Put("k" + std::to_string(n), {{"n", n}}, {{"all", "x", "s"}}));
    DUET_RETURN_IF_ERROR(docs->Put("last", {{"n", n}}));
    return store->Commit(std::move(txn), GlobalPosition(uint64_t(n)));
  };
  std::atomic<int> turn{0};
  auto read = [&]() -> std::string {
    if (turn.fetch_add(1) % 2 == 0) {
      auto page = store->List(testing::Req("all", "x", 1000));
      if (!page.ok()) return page.status().ToString();
      if (page->items.size() != page->position.value) return "list size does not match";
      return "";
    }
    auto read = store->Get("last");
    if (!read.ok()) return read.status().ToString();
    const uint64_t n = read->doc ? read->doc->at("n").to_number<uint64_t>() : 0;
    return n == read->position.value ? "" : "get does not match its position";
  };
  EXPECT_EQ(Race(write, read), "");
}

}  // namespace
}  // namespace duet
