#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <optional>

#include "duet/read_store.h"
#include "readstore/search_query.h"
#include "tests/readstore/read_store_test_util.h"

namespace duet {
namespace {

using Pairs = std::vector<std::pair<std::string, std::string>>;

SearchDocument Doc(std::string text, Pairs filters = {}, boost::json::object stored = {}) {
  return SearchDocument{{{"name", std::move(text)}}, std::move(filters), std::move(stored)};
}

SearchQuery Query(std::string text, Pairs filters = {}, size_t limit = 20, size_t offset = 0) {
  SearchQuery query;
  query.text = std::move(text);
  query.filters = std::move(filters);
  query.limit = limit;
  query.offset = offset;
  return query;
}

class SearchStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = testing::ValueOrThrow(OpenSearchStore(dir_.path())); }

  SearchTxn& Begin() {
    auto txn = store_->Begin();
    EXPECT_TRUE(txn.ok()) << txn.status();
    txn_.reset(static_cast<SearchTxn*>(txn->release()));
    return *txn_;
  }
  void Commit(uint64_t checkpoint) {
    Status s = store_->Commit(std::move(txn_), GlobalPosition(checkpoint));
    ASSERT_TRUE(s.ok()) << s;
  }
  void Upsert(std::string_view key, SearchDocument doc, uint64_t checkpoint) {
    SearchTxn& txn = Begin();
    ASSERT_TRUE(txn.Upsert(key, std::move(doc)).ok());
    Commit(checkpoint);
  }
  std::vector<std::string> Hits(const SearchQuery& query) {
    auto result = store_->Search(query);
    EXPECT_TRUE(result.ok()) << result.status();
    std::vector<std::string> keys;
    if (result.ok()) {
      for (const auto& hit : result->hits) keys.push_back(hit.key);
    }
    return keys;
  }

  testing::TempDir dir_;
  std::unique_ptr<SearchStore> store_;
  std::unique_ptr<SearchTxn> txn_;
};

using Keys = std::vector<std::string>;

TEST_F(SearchStoreTest, RanksBetterMatchesFirstWithHigherScores) {
  SearchTxn& txn = Begin();
  ASSERT_TRUE(txn.Upsert("weak", Doc("alice jones lives in a long street in the old town")).ok());
  ASSERT_TRUE(txn.Upsert("strong", Doc("alice alice", {}, {{"id", 7}})).ok());
  ASSERT_TRUE(txn.Upsert("none", Doc("bob")).ok());
  Commit(3);
  auto result = store_->Search(Query("alice"));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->position, GlobalPosition(3));
  ASSERT_EQ(result->hits.size(), 2u);
  EXPECT_EQ(result->hits[0].key, "strong");
  EXPECT_EQ(result->hits[1].key, "weak");
  EXPECT_GT(result->hits[0].score, result->hits[1].score);
  EXPECT_GT(result->hits[1].score, 0);
  EXPECT_EQ(result->hits[0].stored.at("id").to_number<int>(), 7);
}

TEST_F(SearchStoreTest, AllWordsMustMatchAndOnlyTheLastIsAPrefix) {
  SearchTxn& txn = Begin();
  ASSERT_TRUE(txn.Upsert("as", Doc("Alice Smith")).ok());
  ASSERT_TRUE(txn.Upsert("aj", Doc("Alice Jones")).ok());
  ASSERT_TRUE(txn.Upsert("al", Doc("Alfred Lang")).ok());
  Commit(1);
  EXPECT_EQ(Hits(Query("ali")).size(), 2u);
  EXPECT_EQ(Hits(Query("al")).size(), 3u);
  EXPECT_EQ(Hits(Query("alice smi")), Keys{"as"});
  EXPECT_TRUE(Hits(Query("ali smith")).empty()) << "only the last word is a prefix";
  EXPECT_TRUE(Hits(Query("alice zed")).empty());
}

TEST_F(SearchStoreTest, IgnoresCaseAndDiacritics) {
  SearchTxn& txn = Begin();
  ASSERT_TRUE(txn.Upsert("e", Doc("Émile Zoë")).ok());
  Commit(1);
  EXPECT_EQ(Hits(Query("emile")), Keys{"e"});
  EXPECT_EQ(Hits(Query("EMILE zoe")), Keys{"e"});
  EXPECT_EQ(Hits(Query("Émi")), Keys{"e"});
}

TEST_F(SearchStoreTest, SearchesEveryTextField) {
  SearchDocument doc{{{"name", "Ada Lovelace"}, {"city", "London"}}, {}, {}};
  Upsert("ada", doc, 1);
  EXPECT_EQ(Hits(Query("lovelace london")), Keys{"ada"});
}

TEST_F(SearchStoreTest, FiltersAreExactAndAllMustHold) {
  SearchTxn& txn = Begin();
  ASSERT_TRUE(txn.Upsert("o1", Doc("order apples", {{"status", "open"}, {"cur", "EUR"}})).ok());
  ASSERT_TRUE(txn.Upsert("o2", Doc("order pears", {{"status", "shipped"}, {"cur", "EUR"}})).ok());
  ASSERT_TRUE(txn.Upsert("o3", Doc("order plums", {{"status", "open"}, {"cur", "USD"}})).ok());
  Commit(1);
  EXPECT_EQ(Hits(Query("order", {{"status", "open"}})), (Keys{"o1", "o3"}));
  EXPECT_EQ(Hits(Query("order", {{"status", "open"}, {"cur", "EUR"}})), Keys{"o1"});
  EXPECT_TRUE(Hits(Query("order", {{"status", "Open"}})).empty()) << "exact, case-sensitive";
  EXPECT_TRUE(Hits(Query("order", {{"nope", "open"}})).empty());
}

TEST_F(SearchStoreTest, UpsertReplacesTextFiltersAndStored) {
  Upsert("k", Doc("alpha", {{"s", "a"}}, {{"v", 1}}), 1);
  Upsert("k", Doc("beta", {{"s", "b"}}, {{"v", 2}}), 2);
  EXPECT_TRUE(Hits(Query("alpha")).empty());
  EXPECT_TRUE(Hits(Query("beta", {{"s", "a"}})).empty());
  auto result = store_->Search(Query("beta", {{"s", "b"}}));
  ASSERT_TRUE(result.ok());
  ASSERT_EQ(result->hits.size(), 1u);
  EXPECT_EQ(result->hits[0].stored.at("v").to_number<int>(), 2);
}

TEST_F(SearchStoreTest, DeleteRemovesTheDocument) {
  Upsert("k", Doc("alpha", {{"s", "a"}}), 1);
  SearchTxn& txn = Begin();
  ASSERT_TRUE(txn.Delete("k").ok());
  ASSERT_TRUE(txn.Delete("never-there").ok());
  Commit(2);
  EXPECT_TRUE(Hits(Query("alpha")).empty());
  int entries = 0;
  ASSERT_TRUE(store_->ForEachEntry([&](auto, auto) { ++entries; }).ok());
  EXPECT_EQ(entries, 0);
}

TEST_F(SearchStoreTest, OperatorCharactersInUserInputAreHarmless) {
  SearchTxn& txn = Begin();
  ASSERT_TRUE(txn.Upsert("salt", Doc("salt and pepper near the body")).ok());
  ASSERT_TRUE(txn.Upsert("other", Doc("salt only")).ok());
  Commit(1);
  // Words that are FTS5 operators are plain words here.
  EXPECT_EQ(Hits(Query("salt AND pepper")), Keys{"salt"});
  EXPECT_EQ(Hits(Query("salt NEAR")), Keys{"salt"});
  EXPECT_TRUE(Hits(Query("salt NOT pepper")).empty()) << "NOT is a word, not an operator";
  EXPECT_TRUE(Hits(Query("salt OR zzz")).empty()) << "OR is a word, not an operator";
  for (const char* hostile :
       {"\"salt", "salt\"", "salt*", "body:salt", "(salt", "salt)", "^salt", "-salt", "+salt",
        "NEAR(salt pepper)", "salt\" OR \"x", "{body}: salt", "salt'; DROP TABLE search_docs;--"}) {
    auto result = store_->Search(Query(hostile));
    EXPECT_TRUE(result.ok()) << hostile << ": " << result.status();
  }
  EXPECT_EQ(Hits(Query("body:salt")), Keys{"salt"}) << "both words, no column filter";
  EXPECT_EQ(Hits(Query("salt")).size(), 2u) << "the store survived the input above";
}

TEST_F(SearchStoreTest, TextWithoutWordsIsInvalid) {
  for (const char* empty : {"", "   ", "!!! ?", "\"\"", "— …", "*"}) {
    auto result = store_->Search(Query(empty));
    ASSERT_FALSE(result.ok()) << empty;
    EXPECT_TRUE(result.status().IsInvalidArgument());
    EXPECT_EQ(result.status().subject(), "q");
  }
}

TEST_F(SearchStoreTest, LimitBoundsAndOffsetPaging) {
  SearchTxn& txn = Begin();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(txn.Upsert("k" + std::to_string(i), Doc("same")).ok());
  Commit(1);
  EXPECT_EQ(store_->Search(Query("same", {}, 0)).status().subject(), "limit");
  EXPECT_EQ(store_->Search(Query("same", {}, 1001)).status().subject(), "limit");
  EXPECT_EQ(Hits(Query("same", {}, 2, 0)), (Keys{"k0", "k1"})) << "equal scores order by key";
  EXPECT_EQ(Hits(Query("same", {}, 2, 2)), (Keys{"k2", "k3"}));
  EXPECT_EQ(Hits(Query("same", {}, 2, 4)), (Keys{"k4"}));
  EXPECT_TRUE(Hits(Query("same", {}, 2, 9)).empty());
}

TEST_F(SearchStoreTest, OffsetPlusLimitAboveTheRankedSetIsInvalid) {
  Upsert("k", Doc("same"), 1);
  EXPECT_EQ(store_->Search(Query("same", {}, 1000, 1)).status().subject(), "offset");
  EXPECT_EQ(store_->Search(Query("same", {}, 10, SIZE_MAX)).status().subject(), "offset");
  EXPECT_EQ(Hits(Query("same", {}, 1, 999)), Keys{});
}

// A small corpus whose documents differ in how often they hold the word and
// in length, so bm25 orders them in many different ways.
void FillVariedCorpus(SearchTxn& txn, int docs) {
  for (int i = 0; i < docs; ++i) {
    std::string text;
    for (int w = 0; w < 1 + (i * 7) % 5; ++w) text += "cocoa ";
    for (int w = 0; w < (i * 3) % 11; ++w) text += "filler" + std::to_string(w) + " ";
    if (i % 4 == 0) text += "mint";
    ASSERT_TRUE(
        txn.Upsert("d" + std::to_string(100 + i), Doc(text, {{"odd", i % 2 ? "y" : "n"}})).ok());
  }
}

TEST_F(SearchStoreTest, TopKIsTheFullRankingsFirstK) {
  FillVariedCorpus(Begin(), 120);
  Commit(1);
  auto full = store_->Search(Query("cocoa", {}, 1000));
  ASSERT_TRUE(full.ok()) << full.status();
  ASSERT_EQ(full->hits.size(), 120u) << "every match is ranked when fewer than 256 match";
  for (size_t i = 1; i < full->hits.size(); ++i) {
    const SearchHit& a = full->hits[i - 1];
    const SearchHit& b = full->hits[i];
    EXPECT_TRUE(a.score > b.score || (a.score == b.score && a.key < b.key)) << i;
  }
  for (size_t k : {1, 3, 10, 20, 119}) {
    Keys first_k;
    for (size_t i = 0; i < k; ++i) first_k.push_back(full->hits[i].key);
    EXPECT_EQ(Hits(Query("cocoa", {}, k)), first_k) << k;
  }
  Keys pages;
  for (size_t offset = 0; offset < 120; offset += 7) {
    for (auto& key : Hits(Query("cocoa", {}, 7, offset))) pages.push_back(key);
  }
  Keys all;
  for (const auto& hit : full->hits) all.push_back(hit.key);
  EXPECT_EQ(pages, all) << "pages by offset cover the ranking once, in order";
}

TEST_F(SearchStoreTest, FilteredTopKIsTheFilteredRankingsFirstK) {
  FillVariedCorpus(Begin(), 120);
  Commit(1);
  Keys odd;
  for (const auto& key : Hits(Query("cocoa", {}, 1000))) {
    if (std::stoi(key.substr(1)) % 2 == 1) odd.push_back(key);
  }
  ASSERT_EQ(odd.size(), 60u);
  EXPECT_EQ(Hits(Query("cocoa", {{"odd", "y"}}, 1000)), odd);
  EXPECT_EQ(Hits(Query("cocoa", {{"odd", "y"}}, 5)), Keys(odd.begin(), odd.begin() + 5));
}

TEST_F(SearchStoreTest, ManyMatchesRankTheNewestCandidatesAndFiltersApplyFirst) {
  SearchTxn& txn = Begin();
  // The best match is the oldest; 300 weaker, newer ones push it out of the
  // ranked set (the newest 256 matches).
  ASSERT_TRUE(txn.Upsert("best", Doc("tea tea tea", {{"kind", "rare"}})).ok());
  for (int i = 0; i < 300; ++i) {
    ASSERT_TRUE(
        txn.Upsert("w" + std::to_string(1000 + i), Doc("tea with a long tail of other words"))
            .ok());
  }
  Commit(1);
  const Keys top = Hits(Query("tea", {}, 3));
  ASSERT_EQ(top.size(), 3u);
  EXPECT_NE(top[0], "best");
  EXPECT_EQ(Hits(Query("tea", {{"kind", "rare"}}, 3)), Keys{"best"})
      << "a filter narrows the matches before the ranked set is taken";
  EXPECT_EQ(Hits(Query("tea", {}, 1, 299)).size(), 1u) << "offset + limit widens the ranked set";
}

// (key, score) of FTS5's own bm25 ranking of every match of `match`, read
// from the store's file: the ranking the store's bounded one must reproduce.
std::vector<std::pair<std::string, double>> Fts5Ranking(const std::filesystem::path& dir,
                                                        const std::string& match) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2((dir / "store.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db,
                               "SELECT d.key, -bm25(search_fts) FROM search_fts JOIN search_docs "
                               "AS d ON d.id = search_fts.rowid WHERE search_fts MATCH ?1 "
                               "ORDER BY bm25(search_fts), d.key",
                               -1, &stmt, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_bind_text(stmt, 1, match.c_str(), -1, SQLITE_TRANSIENT);
  std::vector<std::pair<std::string, double>> ranking;
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    ranking.emplace_back(reinterpret_cast<const char*>(sqlite3_column_blob(stmt, 0)),
                         sqlite3_column_double(stmt, 1));
    ranking.back().first.resize(size_t(sqlite3_column_bytes(stmt, 0)));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return ranking;
}

TEST_F(SearchStoreTest, RankingIsFts5sOwnBm25) {
  FillVariedCorpus(Begin(), 120);
  Commit(1);
  for (const auto& [text, match] : std::vector<std::pair<std::string, std::string>>{
           {"cocoa", R"("cocoa")"},
           {"mint cocoa", R"("mint" AND "cocoa")"},
           {"filler3 mint", R"("filler3" AND "mint")"}}) {
    const auto expected = Fts5Ranking(dir_.path(), match);
    ASSERT_FALSE(expected.empty()) << text;
    auto result = store_->Search(Query(text, {}, 1000));
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_EQ(result->hits.size(), expected.size()) << text;
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(result->hits[i].key, expected[i].first) << text << " #" << i;
      EXPECT_NEAR(result->hits[i].score, expected[i].second, 1e-9) << text << " #" << i;
    }
  }
}

TEST_F(SearchStoreTest, APrefixOfManyTermsStillMatchesThemAll) {
  SearchTxn& txn = Begin();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(txn.Upsert("k" + std::to_string(i), Doc("zz" + std::to_string(i))).ok());
  }
  Commit(1);
  EXPECT_EQ(Hits(Query("zz", {}, 1000)).size(), 100u) << "100 terms: FTS5's own prefix query";
  EXPECT_EQ(Hits(Query("zz5", {}, 1000)).size(), 11u) << "zz5, zz50..zz59: their OR";
  EXPECT_TRUE(Hits(Query("zy", {}, 1000)).empty()) << "no term has the prefix";
}

TEST_F(SearchStoreTest, TermCountsFollowReplacedAndDeletedText) {
  Upsert("a", Doc("apple pie"), 1);
  Upsert("b", Doc("apple"), 2);
  EXPECT_EQ(Hits(Query("app")), (Keys{"b", "a"})) << "shorter document first";
  Upsert("a", Doc("banana"), 3);
  EXPECT_EQ(Hits(Query("pie")), Keys{});
  EXPECT_EQ(Hits(Query("app")), Keys{"b"});
  SearchTxn& txn = Begin();
  ASSERT_TRUE(txn.Delete("b").ok());
  Commit(4);
  EXPECT_EQ(Hits(Query("app")), Keys{});
  EXPECT_EQ(Hits(Query("ban")), Keys{"a"});
  Upsert("a", Doc("banana", {{"s", "x"}}), 5);  // same text, new filter: the row stays
  EXPECT_EQ(Hits(Query("ban", {{"s", "x"}})), Keys{"a"});
  EXPECT_EQ(Hits(Query("ban", {{"s", "y"}})), Keys{});
}

// The same changes in one batch and in batches of 7 rank the same newest
// candidates: ids follow the order texts were set, not the batching.
TEST_F(SearchStoreTest, BatchBoundariesDoNotChangeTheRankedSet) {
  struct Change {
    std::string key;
    std::optional<std::string> text;  // nullopt: delete
    std::string status;
  };
  std::vector<Change> changes;
  for (int i = 0; i < 400; ++i) {
    const std::string key = "k" + std::to_string(1000 + i);
    changes.push_back({key, "tea " + std::string(size_t(i % 5), 'x'), "placed"});
    if (i % 3 == 0) changes.push_back({key, "tea " + std::string(size_t(i % 5), 'x'), "shipped"});
    if (i % 7 == 0) changes.push_back({"k" + std::to_string(1000 + i / 2), "tea changed", "x"});
    if (i % 11 == 0) changes.push_back({"k" + std::to_string(1000 + i / 3), std::nullopt, ""});
  }
  testing::TempDir other_dir;
  auto other = testing::ValueOrThrow(OpenSearchStore(other_dir.path()));
  auto apply = [](SearchTxn& txn, const Change& c) {
    return c.text ? txn.Upsert(c.key, Doc(*c.text, {{"status", c.status}})) : txn.Delete(c.key);
  };
  SearchTxn& one = Begin();
  for (const Change& c : changes) ASSERT_TRUE(apply(one, c).ok());
  Commit(changes.size());
  for (size_t at = 0; at < changes.size(); at += 7) {
    auto txn = other->Begin();
    ASSERT_TRUE(txn.ok());
    auto& search = static_cast<SearchTxn&>(**txn);
    for (size_t i = at; i < std::min(at + 7, changes.size()); ++i) {
      ASSERT_TRUE(apply(search, changes[i]).ok());
    }
    ASSERT_TRUE(other->Commit(std::move(*txn), GlobalPosition(at + 1)).ok());
  }
  for (const SearchQuery& query : {Query("tea", {}, 20), Query("tea", {}, 300, 50),
                                   Query("tea", {{"status", "shipped"}}, 20)}) {
    auto a = store_->Search(query);
    auto b = other->Search(query);
    ASSERT_TRUE(a.ok() && b.ok());
    Keys ka, kb;
    for (const auto& hit : a->hits) ka.push_back(hit.key);
    for (const auto& hit : b->hits) kb.push_back(hit.key);
    EXPECT_EQ(ka, kb) << query.limit;
    EXPECT_FALSE(ka.empty());
  }
}

TEST_F(SearchStoreTest, TxnGetSeesCommittedThenOwnWrites) {
  SearchDocument doc{{{"title", "Zed"}, {"body", "alpha"}}, {{"status", "open"}}, {{"n", 1}}};
  Upsert("k", doc, 1);
  SearchTxn& txn = Begin();
  auto got = txn.Get("k");
  ASSERT_TRUE(got.ok() && got->has_value()) << got.status();
  EXPECT_EQ((*got)->text, doc.text) << "fields come back in the order they were written";
  EXPECT_EQ((*got)->filters, doc.filters);
  EXPECT_EQ((*got)->stored, doc.stored);
  EXPECT_FALSE(txn.Get("missing")->has_value());
  (*got)->filters = {{"status", "shipped"}};
  ASSERT_TRUE(txn.Upsert("k", **got).ok());
  EXPECT_EQ((*txn.Get("k"))->filters, (Pairs{{"status", "shipped"}}));
  ASSERT_TRUE(txn.Delete("k").ok());
  EXPECT_FALSE(txn.Get("k")->has_value());
}

TEST_F(SearchStoreTest, ForEachEntryIsCanonicalAndInKeyOrder) {
  SearchTxn& txn = Begin();
  SearchDocument b{{{"t2", "y"}, {"t1", "x"}}, {{"s", "b"}, {"a", "z"}}, {{"z", 1}, {"a", 2}}};
  ASSERT_TRUE(txn.Upsert("b", b).ok());
  ASSERT_TRUE(txn.Upsert("a", Doc("q")).ok());
  Commit(1);
  std::vector<std::pair<std::string, std::string>> entries;
  ASSERT_TRUE(store_->ForEachEntry([&](auto k, auto c) { entries.emplace_back(k, c); }).ok());
  EXPECT_EQ(entries, (Pairs{{"a", R"({"filters":[],"stored":{},"text":[["name","q"]]})"},
                            {"b", R"({"filters":[["a","z"],["s","b"]],"stored":{"a":2,"z":1},)"
                                  R"("text":[["t1","x"],["t2","y"]]})"}}));
}

TEST_F(SearchStoreTest, IndexSurvivesReopen) {
  Upsert("k", Doc("persistent words", {{"s", "x"}}), 4);
  store_.reset();
  store_ = testing::ValueOrThrow(OpenSearchStore(dir_.path()));
  EXPECT_EQ(store_->checkpoint(), GlobalPosition(4));
  EXPECT_EQ(Hits(Query("persist", {{"s", "x"}})), Keys{"k"});
}

TEST(SearchWordsTest, SplitsOnEverythingButLettersAndDigits) {
  using readstore::SearchWords;
  EXPECT_EQ(SearchWords("  Ada, o'Brien-x2 \"q\" *"),
            (std::vector<std::string>{"Ada", "o", "Brien", "x2", "q"}));
  EXPECT_EQ(SearchWords("Émile—Zoë «café»"), (std::vector<std::string>{"Émile", "Zoë", "café"}));
  EXPECT_EQ(SearchWords("東京 tower"), (std::vector<std::string>{"東京", "tower"}));
  EXPECT_TRUE(SearchWords("\xff\xfe !").empty()) << "invalid UTF-8 is no word";
}

TEST(SearchWordsTest, ExpressionQuotesEveryWordAndPrefixesTheLast) {
  auto expression = readstore::SearchQueryExpression("ada OR lov*");
  ASSERT_TRUE(expression.ok());
  EXPECT_EQ(*expression, R"("ada" AND "OR" AND "lov"*)");
  std::string many;
  for (int i = 0; i < 33; ++i) many += "w ";
  EXPECT_EQ(readstore::SearchQueryExpression(many).status().subject(), "q");
}

}  // namespace
}  // namespace duet
