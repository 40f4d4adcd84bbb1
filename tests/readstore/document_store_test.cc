// The DocumentStore contract, run against every implementation (memory and
// SQLite), plus the SQLite store's persistence in sqlite_document_store_test.cc.
#include <gtest/gtest.h>

#include <map>

#include "duet/read_store.h"
#include "tests/readstore/read_store_test_util.h"

namespace duet {
namespace {

using testing::Req;

using testing::DocumentStoreFactory;

class DocumentStoreTest : public ::testing::TestWithParam<DocumentStoreFactory> {
 protected:
  void SetUp() override { store_ = GetParam().open(dir_.path()); }

  DocumentTxn& Begin() {
    auto txn = store_->Begin();
    EXPECT_TRUE(txn.ok()) << txn.status();
    txn_.reset(static_cast<DocumentTxn*>(txn->release()));
    return *txn_;
  }
  Status Commit(uint64_t checkpoint) {
    return store_->Commit(std::move(txn_), GlobalPosition(checkpoint));
  }
  // Puts `n` documents "d0".."d<n-1>" listed under ("by_owner", "ada") with
  // sort keys counting down, so key order and sort order differ.
  void PutOwned(int n, uint64_t checkpoint) {
    DocumentTxn& txn = Begin();
    for (int i = 0; i < n; ++i) {
      const std::string sort_key(1, char('z' - i));
      ASSERT_TRUE(
          txn.Put("d" + std::to_string(i), {{"i", i}}, {{"by_owner", "ada", sort_key}}).ok());
    }
    ASSERT_TRUE(Commit(checkpoint).ok());
  }
  std::vector<std::string> Keys(const DocumentPage& page) {
    std::vector<std::string> keys;
    for (const Document& d : page.items) keys.push_back(d.key);
    return keys;
  }

  testing::TempDir dir_;
  std::unique_ptr<DocumentStore> store_;
  std::unique_ptr<DocumentTxn> txn_;
};

TEST_P(DocumentStoreTest, EmptyStoreHasNoDocumentAndNoCheckpoint) {
  EXPECT_EQ(store_->kind(), ReadStoreKind::kDocument);
  EXPECT_EQ(store_->checkpoint(), kNoPosition);
  auto read = store_->Get("nope");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_FALSE(read->doc.has_value());
  EXPECT_EQ(read->position, kNoPosition);
}

TEST_P(DocumentStoreTest, CommittedPutIsVisibleWithItsCheckpoint) {
  DocumentTxn& txn = Begin();
  ASSERT_TRUE(txn.Put("a1", {{"owner", "ada"}, {"balance", 5}}).ok());
  EXPECT_FALSE(store_->Get("a1")->doc.has_value()) << "visible before commit";
  ASSERT_TRUE(Commit(7).ok());
  auto read = store_->Get("a1");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->doc.has_value());
  EXPECT_EQ(read->doc->at("owner").as_string(), "ada");
  EXPECT_EQ(read->doc->at("balance").to_number<int64_t>(), 5);
  EXPECT_EQ(read->position, GlobalPosition(7));
  EXPECT_EQ(store_->checkpoint(), GlobalPosition(7));
}

TEST_P(DocumentStoreTest, TxnGetSeesItsOwnWritesThenCommittedState) {
  {
    DocumentTxn& txn = Begin();
    ASSERT_TRUE(txn.Put("a", {{"v", 1}}).ok());
    ASSERT_TRUE(txn.Put("b", {{"v", 2}}).ok());
    ASSERT_TRUE(Commit(1).ok());
  }
  DocumentTxn& txn = Begin();
  auto a = txn.Get("a");
  ASSERT_TRUE(a.ok() && *a != nullptr);
  EXPECT_EQ((*a)->at("v").to_number<int64_t>(), 1);
  ASSERT_TRUE(txn.Put("a", {{"v", 10}}).ok());
  EXPECT_EQ((*txn.Get("a"))->at("v").to_number<int64_t>(), 10);
  ASSERT_TRUE(txn.Delete("b").ok());
  EXPECT_EQ(*txn.Get("b"), nullptr);
  EXPECT_EQ(*txn.Get("never"), nullptr);
  ASSERT_TRUE(txn.Put("b", {{"v", 20}}).ok());
  EXPECT_EQ((*txn.Get("b"))->at("v").to_number<int64_t>(), 20);
  ASSERT_TRUE(Commit(2).ok());
  EXPECT_EQ(store_->Get("a")->doc->at("v").to_number<int64_t>(), 10);
  EXPECT_EQ(store_->Get("b")->doc->at("v").to_number<int64_t>(), 20);
}

// GetForUpdate: the document to change in place, committed with the batch.
TEST_P(DocumentStoreTest, GetForUpdateEditsInPlaceAndKeepsIndexEntries) {
  {
    DocumentTxn& txn = Begin();
    ASSERT_TRUE(txn.Put("a1", {{"owner", "ada"}, {"balance", 5}}, {{"owner", "ada", "a1"}}).ok());
    ASSERT_TRUE(Commit(1).ok());
  }
  DocumentTxn& txn = Begin();
  auto doc = txn.GetForUpdate("a1");
  ASSERT_TRUE(doc.ok()) << doc.status();
  ASSERT_NE(*doc, nullptr);
  (**doc)["balance"] = 7;
  auto again = txn.GetForUpdate("a1");
  ASSERT_TRUE(again.ok() && *again == *doc) << "one copy per key and transaction";
  (**again)["balance"] = (**again)["balance"].to_number<int64_t>() + 1;
  EXPECT_EQ(*txn.Get("a1"), *doc) << "Get sees the document being edited";
  EXPECT_EQ((*txn.Get("a1"))->at("balance").to_number<int64_t>(), 8);
  EXPECT_EQ(store_->Get("a1")->doc->at("balance").to_number<int64_t>(), 5) << "before commit";
  ASSERT_TRUE(Commit(2).ok());
  auto read = store_->Get("a1");
  ASSERT_TRUE(read.ok() && read->doc.has_value()) << read.status();
  EXPECT_EQ(read->doc->at("balance").to_number<int64_t>(), 8);
  EXPECT_EQ(read->position, GlobalPosition(2));
  EXPECT_EQ(Keys(*store_->List(Req("owner", "ada"))), (std::vector<std::string>{"a1"}));
}

TEST_P(DocumentStoreTest, GetForUpdateOfNoDocumentIsNull) {
  PutOwned(2, 1);
  DocumentTxn& txn = Begin();
  auto never = txn.GetForUpdate("never");
  ASSERT_TRUE(never.ok()) << never.status();
  EXPECT_EQ(*never, nullptr);
  ASSERT_TRUE(txn.Delete("d0").ok());
  auto deleted = txn.GetForUpdate("d0");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ(*deleted, nullptr);
}

TEST_P(DocumentStoreTest, GetForUpdateAfterPutEditsThePutDocument) {
  PutOwned(2, 1);  // d0, d1 under ("by_owner", "ada")
  DocumentTxn& txn = Begin();
  ASSERT_TRUE(txn.Put("d0", {{"i", 0}}, {{"by_owner", "bob", "1"}}).ok());
  auto doc = txn.GetForUpdate("d0");
  ASSERT_TRUE(doc.ok() && *doc != nullptr) << doc.status();
  (**doc)["i"] = 100;
  ASSERT_TRUE(Commit(2).ok());
  EXPECT_EQ(store_->Get("d0")->doc->at("i").to_number<int64_t>(), 100);
  EXPECT_EQ(Keys(*store_->List(Req("by_owner", "bob"))), (std::vector<std::string>{"d0"}));
  EXPECT_EQ(Keys(*store_->List(Req("by_owner", "ada"))), (std::vector<std::string>{"d1"}));
}

TEST_P(DocumentStoreTest, AbortedTxnLeavesAnUpdatedDocumentUntouched) {
  {
    DocumentTxn& txn = Begin();
    ASSERT_TRUE(txn.Put("a1", {{"balance", 5}}).ok());
    ASSERT_TRUE(Commit(1).ok());
  }
  {
    DocumentTxn& txn = Begin();
    ASSERT_TRUE(txn.Get("a1").ok());  // a SQLite store now has it in its cache
    auto doc = txn.GetForUpdate("a1");
    ASSERT_TRUE(doc.ok() && *doc != nullptr) << doc.status();
    (**doc)["balance"] = 99;
    (**doc)["extra"] = true;
    txn_.reset();  // aborted: destroyed without Commit
  }
  EXPECT_EQ(store_->Get("a1")->doc, (boost::json::object{{"balance", 5}}));
  EXPECT_EQ(store_->checkpoint(), GlobalPosition(1));
  DocumentTxn& txn = Begin();
  EXPECT_EQ(**txn.Get("a1"), (boost::json::object{{"balance", 5}}));
  EXPECT_EQ(**txn.GetForUpdate("a1"), (boost::json::object{{"balance", 5}}));
}

TEST_P(DocumentStoreTest, DeleteRemovesDocumentAndItsIndexEntries) {
  PutOwned(3, 1);
  DocumentTxn& txn = Begin();
  ASSERT_TRUE(txn.Delete("d1").ok());
  ASSERT_TRUE(txn.Delete("absent").ok());
  ASSERT_TRUE(Commit(2).ok());
  EXPECT_FALSE(store_->Get("d1")->doc.has_value());
  auto page = store_->List(Req("by_owner", "ada"));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(Keys(*page), (std::vector<std::string>{"d2", "d0"}));
}

TEST_P(DocumentStoreTest, PutReplacesIndexEntries) {
  PutOwned(2, 1);
  DocumentTxn& txn = Begin();
  ASSERT_TRUE(txn.Put("d0", {{"i", 0}}, {{"by_owner", "bob", "1"}}).ok());
  ASSERT_TRUE(Commit(2).ok());
  EXPECT_EQ(Keys(*store_->List(Req("by_owner", "ada"))), (std::vector<std::string>{"d1"}));
  EXPECT_EQ(Keys(*store_->List(Req("by_owner", "bob"))), (std::vector<std::string>{"d0"}));
}

TEST_P(DocumentStoreTest, ListPagesAscendingBySortKeyThenKey) {
  PutOwned(5, 1);  // sort keys: d0=z d1=y d2=x d3=w d4=v
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = store_->List(Req("by_owner", "ada", 2, false, cursor));
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(page->position, GlobalPosition(1));
    for (const Document& d : page->items) {
      seen.push_back(d.key);
      EXPECT_EQ(d.doc.at("i").to_number<int64_t>(), d.key[1] - '0');
    }
    cursor = page->next_cursor;
    ++pages;
  } while (!cursor.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(seen, (std::vector<std::string>{"d4", "d3", "d2", "d1", "d0"}));
}

TEST_P(DocumentStoreTest, ListPagesDescending) {
  PutOwned(5, 1);
  auto first = store_->List(Req("by_owner", "ada", 3, true));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(Keys(*first), (std::vector<std::string>{"d0", "d1", "d2"}));
  ASSERT_FALSE(first->next_cursor.empty());
  auto second = store_->List(Req("by_owner", "ada", 3, true, first->next_cursor));
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(Keys(*second), (std::vector<std::string>{"d3", "d4"}));
  EXPECT_TRUE(second->next_cursor.empty());
}

TEST_P(DocumentStoreTest, EqualSortKeysOrderByDocumentKey) {
  DocumentTxn& txn = Begin();
  for (const char* key : {"c", "a", "b"}) ASSERT_TRUE(txn.Put(key, {}, {{"i", "v", "same"}}).ok());
  ASSERT_TRUE(Commit(1).ok());
  EXPECT_EQ(Keys(*store_->List(Req("i", "v"))), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Keys(*store_->List(Req("i", "v", 50, true))),
            (std::vector<std::string>{"c", "b", "a"}));
}

TEST_P(DocumentStoreTest, ListStaysWithinIndexAndValue) {
  DocumentTxn& txn = Begin();
  ASSERT_TRUE(txn.Put("k1", {}, {{"owner", "ada", "1"}}).ok());
  ASSERT_TRUE(txn.Put("k2", {}, {{"owner", "ada2", "1"}}).ok());
  ASSERT_TRUE(txn.Put("k3", {}, {{"owner", "ad", "1"}}).ok());
  ASSERT_TRUE(txn.Put("k4", {}, {{"owner2", "ada", "1"}}).ok());
  ASSERT_TRUE(Commit(1).ok());
  for (bool descending : {false, true}) {
    auto page = store_->List(Req("owner", "ada", 50, descending));
    ASSERT_TRUE(page.ok()) << page.status();
    EXPECT_EQ(Keys(*page), (std::vector<std::string>{"k1"}));
  }
  EXPECT_TRUE(store_->List(Req("owner", "zed"))->items.empty());
}

TEST_P(DocumentStoreTest, AnExactlyFullLastPageHasNoCursor) {
  PutOwned(2, 1);
  auto page = store_->List(Req("by_owner", "ada", 2, false));
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->items.size(), 2u);
  EXPECT_TRUE(page->next_cursor.empty()) << "exactly `limit` items left: no next page";
}

TEST_P(DocumentStoreTest, RejectsMalformedCursors) {
  PutOwned(3, 1);
  auto page = store_->List(Req("by_owner", "ada", 1, false));
  ASSERT_TRUE(page.ok());
  const std::string good = page->next_cursor;
  for (const std::string& bad :
       {std::string("garbage"), good.substr(0, good.size() / 2), good + "x", std::string("%%%")}) {
    auto r = store_->List(Req("by_owner", "ada", 50, false, bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsInvalidArgument());
    EXPECT_EQ(r.status().subject(), "cursor");
  }
  auto other_direction = store_->List(Req("by_owner", "ada", 50, true, good));
  EXPECT_EQ(other_direction.status().subject(), "cursor");
}

TEST_P(DocumentStoreTest, LimitMustBeBetweenOneAndAThousand) {
  PutOwned(1, 1);
  for (size_t limit : {size_t{0}, size_t{1001}}) {
    auto r = store_->List(Req("by_owner", "ada", limit, false));
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(r.status().IsInvalidArgument());
    EXPECT_EQ(r.status().subject(), "limit");
  }
  EXPECT_TRUE(store_->List(Req("by_owner", "ada", 1000, false)).ok());
}

TEST_P(DocumentStoreTest, DestroyedTxnLeavesNothing) {
  PutOwned(1, 3);
  {
    DocumentTxn& txn = Begin();
    ASSERT_TRUE(txn.Put("x", {{"v", 1}}, {{"by_owner", "ada", "0"}}).ok());
    ASSERT_TRUE(txn.Delete("d0").ok());
    ASSERT_TRUE(txn.Park({GlobalPosition(4), "s", "T", "boom"}).ok());
    txn_.reset();
  }
  EXPECT_FALSE(store_->Get("x")->doc.has_value());
  EXPECT_TRUE(store_->Get("d0")->doc.has_value());
  EXPECT_EQ(store_->List(Req("by_owner", "ada"))->items.size(), 1u);
  EXPECT_TRUE(store_->Parked()->empty());
  EXPECT_EQ(store_->checkpoint(), GlobalPosition(3));
  // The store takes a new transaction once the old one is gone.
  Begin();
  EXPECT_TRUE(Commit(3).ok());
}

TEST_P(DocumentStoreTest, OnlyOneTxnAtATime) {
  Begin();
  auto second = store_->Begin();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
}

TEST_P(DocumentStoreTest, CheckpointNeverMovesBackwards) {
  PutOwned(1, 10);
  DocumentTxn& txn = Begin();
  ASSERT_TRUE(txn.Put("late", {{"v", 1}}).ok());
  Status s = Commit(9);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(store_->checkpoint(), GlobalPosition(10));
  EXPECT_FALSE(store_->Get("late")->doc.has_value());
  Begin();
  EXPECT_TRUE(Commit(10).ok()) << "an equal checkpoint is accepted (empty batch)";
}

TEST_P(DocumentStoreTest, RejectsATxnOfAnotherStore) {
  testing::TempDir other_dir;
  auto other = GetParam().open(other_dir.path());
  auto foreign = other->Begin();
  ASSERT_TRUE(foreign.ok());
  Status s = store_->Commit(std::move(*foreign), GlobalPosition(1));
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s;
  EXPECT_EQ(store_->checkpoint(), kNoPosition);
}

TEST_P(DocumentStoreTest, ParkedEventsInOrderAndUnpark) {
  DocumentTxn& txn = Begin();
  ASSERT_TRUE(txn.Park({GlobalPosition(3), "acc-1", "Deposited", "bad amount"}).ok());
  ASSERT_TRUE(txn.Park({GlobalPosition(5), "acc-2", "Withdrawn", "no account"}).ok());
  ASSERT_TRUE(Commit(5).ok());
  auto parked = store_->Parked();
  ASSERT_TRUE(parked.ok()) << parked.status();
  ASSERT_EQ(parked->size(), 2u);
  EXPECT_EQ((*parked)[0].position, GlobalPosition(3));
  EXPECT_EQ((*parked)[0].stream, "acc-1");
  EXPECT_EQ((*parked)[0].type, "Deposited");
  EXPECT_EQ((*parked)[0].error, "bad amount");
  EXPECT_EQ((*parked)[1].position, GlobalPosition(5));
  DocumentTxn& retry = Begin();
  ASSERT_TRUE(retry.Unpark(GlobalPosition(3)).ok());
  ASSERT_TRUE(retry.Unpark(GlobalPosition(42)).ok());
  ASSERT_TRUE(Commit(5).ok());
  parked = store_->Parked();
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ((*parked)[0].position, GlobalPosition(5));
}

TEST_P(DocumentStoreTest, ForEachEntryIsCanonicalAndInKeyOrder) {
  DocumentTxn& txn = Begin();
  boost::json::object doc;
  doc["z"] = 1;
  doc["a"] = boost::json::object{{"y", true}, {"b", "x"}};
  ASSERT_TRUE(txn.Put("k2", doc).ok());
  ASSERT_TRUE(txn.Put("k10", {{"n", nullptr}}).ok());
  ASSERT_TRUE(txn.Put("a", {}).ok());
  ASSERT_TRUE(txn.Park({GlobalPosition(1), "s", "T", "e"}).ok());
  ASSERT_TRUE(Commit(1).ok());
  std::vector<std::pair<std::string, std::string>> entries;
  ASSERT_TRUE(store_
                  ->ForEachEntry([&](std::string_view key, std::string_view content) {
                    entries.emplace_back(key, content);
                  })
                  .ok());
  using Entries = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(entries, (Entries{{"a", "{}"},
                              {"k10", R"({"n":null})"},
                              {"k2", R"({"a":{"b":"x","y":true},"z":1})"}}));
}

TEST_P(DocumentStoreTest, RejectsAnEmptyKey) {
  DocumentTxn& txn = Begin();
  EXPECT_EQ(txn.Put("", {}).subject(), "key");
}

INSTANTIATE_TEST_SUITE_P(AllDocumentStores, DocumentStoreTest,
                         ::testing::ValuesIn(testing::AllDocumentStores()),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace duet
