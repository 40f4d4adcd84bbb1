// Readers running against a committing writer see whole batches only, and
// every read's position matches the content it returned.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "duet/read_store.h"
#include "tests/readstore/read_store_test_util.h"

namespace duet {
namespace {

using testing::Req;

constexpr int kBatches = 300;
constexpr int kReaders = 3;

class DocumentStoreConcurrencyTest
    : public ::testing::TestWithParam<testing::DocumentStoreFactory> {};

// Batch n writes {"n": n} to both "a" and "b" (both listed under ("all", "x"))
// and commits checkpoint n, so a reader that ever sees a and b disagree, or a
// position other than n, saw a half-applied batch.
Status CommitBatch(DocumentStore& store, int n) {
  DUET_ASSIGN_OR_RETURN(auto base, store.Begin());
  auto* txn = static_cast<DocumentTxn*>(base.get());
  for (const char* key : {"a", "b"}) {
    DUET_RETURN_IF_ERROR(txn->Put(key, {{"n", n}}, {{"all", "x", key}}));
  }
  return store.Commit(std::move(base), GlobalPosition(n));
}

std::string CheckOneRead(DocumentStore& store, bool by_list) {
  if (by_list) {
    auto page = store.List(Req("all", "x"));
    if (!page.ok()) return page.status().ToString();
    if (page->items.empty()) return page->position == kNoPosition ? "" : "empty after commit";
    if (page->items.size() != 2) return "list saw " + std::to_string(page->items.size());
    const auto a = page->items[0].doc.at("n").to_number<uint64_t>();
    const auto b = page->items[1].doc.at("n").to_number<uint64_t>();
    if (a != b || a != page->position.value) return "list saw a half-applied batch";
    return "";
  }
  auto read = store.Get("a");
  if (!read.ok()) return read.status().ToString();
  if (!read->doc) return read->position == kNoPosition ? "" : "missing after commit";
  if (read->doc->at("n").to_number<uint64_t>() != read->position.value) {
    return "get position does not match content";
  }
  return "";
}

TEST_P(DocumentStoreConcurrencyTest, ReadersSeeWholeBatchesWithMatchingPositions) {
  testing::TempDir dir;
  auto store = GetParam().open(dir.path());
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::vector<std::string> first_failure(kReaders);
  std::vector<std::thread> readers;
  for (int r = 0; r < kReaders; ++r) {
    readers.emplace_back([&, r] {
      uint64_t last_seen = 0;
      for (int i = 0; !done.load() || i < 10; ++i) {
        std::string error = CheckOneRead(*store, (i + r) % 2 == 0);
        const uint64_t now = store->checkpoint().value;
        if (error.empty() && now < last_seen) error = "checkpoint moved backwards";
        last_seen = now;
        if (!error.empty() && failures.fetch_add(1) == 0) first_failure[r] = error;
      }
    });
  }
  Status written;
  for (int n = 1; n <= kBatches && written.ok(); ++n) written = CommitBatch(*store, n);
  done.store(true);
  for (auto& t : readers) t.join();
  ASSERT_TRUE(written.ok()) << written;
  std::string messages;
  for (const auto& m : first_failure) messages += m;
  EXPECT_EQ(failures.load(), 0) << messages;
  EXPECT_EQ(store->Get("b")->doc->at("n").to_number<int>(), kBatches);
}

INSTANTIATE_TEST_SUITE_P(AllDocumentStores, DocumentStoreConcurrencyTest,
                         ::testing::ValuesIn(testing::AllDocumentStores()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace duet
