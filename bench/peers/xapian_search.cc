// The Xapian side of the search evaluation (docs/decisions.md, "Search:
// bm25 over a bounded candidate set"): indexes the orders bench's corpus
// (the same customers, catalog and generator as examples/orders'
// AppendHistory: 1-3 of 40 products per order, 4 of them chocolate) into an
// on-disk Xapian database and times top-20 BM25 queries shaped like
// SearchQueryExpression's (words ANDed, the last one a prefix, an optional
// status filter). Not part of the build; Xapian is a benchmark peer
// (Makefile DEPS_PEERS: libxapian-dev):
//
//   g++ -O2 -std=c++20 -Iexamples bench/peers/xapian_search.cc -o /tmp/xapian_search \
//       $(pkg-config --cflags --libs xapian-core)
//   /tmp/xapian_search DIR ORDERS
//
// Prints one JSON line per query: matches (Xapian's estimate), p50/p99 ms.
#include <xapian.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "orders/orders_bench_catalog.h"

namespace {

using duet::examples::orders::kBenchProducts;
constexpr const char* kStatus[] = {"confirmed", "confirmed", "confirmed", "confirmed", "confirmed",
                                   "confirmed", "shipped",   "shipped",   "cancelled", "placed"};

void Build(const std::string& dir, uint64_t orders) {
  Xapian::WritableDatabase db(dir, Xapian::DB_CREATE_OR_OPEN);
  if (db.get_doccount() >= orders) return;
  Xapian::TermGenerator gen;
  for (uint64_t i = db.get_doccount(); i < orders; ++i) {
    std::mt19937_64 rng(i);
    std::string text = "Customer " + std::to_string(i % 5000) + "\n";
    for (uint64_t n = 1 + rng() % 3; n > 0; --n) {
      text += kBenchProducts[rng() % std::size(kBenchProducts)];
      text += ' ';
      rng();  // qty
      rng();  // price
    }
    Xapian::Document doc;
    gen.set_document(doc);
    gen.index_text(text);
    doc.add_boolean_term(std::string("XS") + kStatus[i % 10]);
    doc.set_data("bo-" + std::to_string(i));
    db.add_document(doc);
    if (i % 100000 == 99999) db.commit();
  }
  db.commit();
}

// Words ANDed, the last one a prefix unless `exact`.
Xapian::Query Parse(const std::vector<std::string>& words, const char* status, bool exact) {
  std::vector<Xapian::Query> parts;
  for (size_t i = 0; i + 1 < words.size(); ++i) parts.emplace_back(words[i]);
  if (exact) {
    parts.emplace_back(words.back());
  } else {
    parts.emplace_back(Xapian::Query::OP_WILDCARD, words.back());
  }
  Xapian::Query q(Xapian::Query::OP_AND, parts.begin(), parts.end());
  if (status != nullptr) {
    q = Xapian::Query(Xapian::Query::OP_FILTER, q, Xapian::Query(std::string("XS") + status));
  }
  return q;
}

void Time(Xapian::Database& db, const char* label, const std::vector<std::string>& words,
          const char* status, bool exact = false) {
  Xapian::Enquire enquire(db);
  enquire.set_query(Parse(words, status, exact));  // BM25Weight is the default
  std::vector<double> ms;
  Xapian::doccount matches = 0;
  for (int run = 0; run < 200; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    Xapian::MSet mset = enquire.get_mset(0, 20);
    for (auto it = mset.begin(); it != mset.end(); ++it) (void)it.get_document().get_data();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    matches = mset.get_matches_estimated();
  }
  std::sort(ms.begin(), ms.end());
  std::printf(
      "{\"engine\":\"xapian\",\"docs\":%u,\"query\":\"%s\",\"matches\":%u,\"p50_ms\":%.3f,"
      "\"p99_ms\":%.3f}\n",
      db.get_doccount(), label, matches, ms[ms.size() / 2], ms[ms.size() * 99 / 100 - 1]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: xapian_search DIR ORDERS\n");
    return 2;
  }
  const auto t0 = std::chrono::steady_clock::now();
  Build(argv[1], std::stoull(argv[2]));
  std::fprintf(stderr, "built in %.1f s\n",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  Xapian::Database db(argv[1]);
  Time(db, "chocolate", {"chocolate"}, nullptr, true);
  Time(db, "chocolate*", {"chocolate"}, nullptr);
  Time(db, "choc*", {"choc"}, nullptr);
  Time(db, "chocolate* status=cancelled", {"chocolate"}, "cancelled");
  Time(db, "customer 123*", {"customer", "123"}, nullptr);
  return 0;
}
