// Read store micro-benchmarks.
//
// BM_BalanceProjection: what replaying the ledger balance projection costs a
// document store. Per event: Get the account document, add the amount to one
// currency's balance, Put it back (with an unchanged "by_owner" index entry);
// one Commit per batch. 10k accounts, events spread uniformly (seeded).
// items_per_second = events per second of wall time (a commit's file I/O
// counts).
//
// BM_GetByKey: the query path, warm (every account read once first): Get of
// a random account. The reported time is the mean per Get.
//
// BM_ListPage: one 50-document page of an index value.
//
// Peer, same run: BM_BalancePlainSqlite and BM_GetPlainSqlite are what a user
// would hand-write on SQLite without Duet: a balances(account, currency,
// amount) table updated with one UPSERT per event (same events, same batch
// per transaction, same WAL + synchronous=NORMAL), and a prepared point
// SELECT of an account's JSON text. The ratio to BM_BalanceProjection/
// BM_GetByKey (sqlite:1) is the cost or gain of Duet's document store.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "duet/read_store.h"

namespace {

constexpr int kAccounts = 10'000;
const char* const kCurrencies[] = {"EUR", "USD", "GBP", "CHF"};

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "duet-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::vector<std::string> AccountKeys() {
  std::vector<std::string> keys;
  for (int i = 0; i < kAccounts; ++i) keys.push_back("account-" + std::to_string(i));
  return keys;
}

std::unique_ptr<duet::DocumentStore> OpenStore(bool sqlite, const ScratchDir& dir) {
  if (!sqlite) return duet::NewMemoryDocumentStore();
  auto store = duet::OpenDocumentStore(dir.path() / "balances");
  if (!store.ok()) std::abort();
  return std::move(store).value();
}

// Applies one "Deposited" event to the account's balance document.
void ApplyDeposit(duet::DocumentTxn& txn, const std::string& key, const char* currency,
                  int64_t amount) {
  auto current = txn.Get(key);
  if (!current.ok()) std::abort();
  boost::json::object doc = *current ? **current : boost::json::object{{"account", key}};
  boost::json::value& balances = doc["balances"];
  if (!balances.is_object()) balances = boost::json::object{};
  boost::json::value& balance = balances.get_object()[currency];
  balance = (balance.is_int64() ? balance.get_int64() : 0) + amount;
  const std::string owner = "owner-" + std::to_string(key.size() % 100);
  if (!txn.Put(key, std::move(doc), {{"by_owner", owner, key}}).ok()) std::abort();
}

void BM_BalanceProjection(benchmark::State& state) {
  const bool sqlite = state.range(0) == 1;
  const int64_t batch = state.range(1);
  ScratchDir dir;
  auto store = OpenStore(sqlite, dir);
  const std::vector<std::string> keys = AccountKeys();
  std::mt19937_64 rng(42);
  uint64_t position = 0;
  for (auto _ : state) {
    auto txn = store->Begin();
    if (!txn.ok()) std::abort();
    auto& docs = static_cast<duet::DocumentTxn&>(**txn);
    for (int64_t i = 0; i < batch; ++i) {
      const uint64_t r = rng();
      ApplyDeposit(docs, keys[r % kAccounts], kCurrencies[(r >> 32) % 4], int64_t(r >> 40) % 1000);
    }
    position += uint64_t(batch);
    if (!store->Commit(std::move(*txn), duet::GlobalPosition(position)).ok()) std::abort();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel(sqlite ? "sqlite" : "memory");
}
BENCHMARK(BM_BalanceProjection)
    ->ArgNames({"sqlite", "batch"})
    ->ArgsProduct({{0, 1}, {1024, 8192}})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// A store holding one document per account, every account read once.
std::unique_ptr<duet::DocumentStore> WarmStore(bool sqlite, const ScratchDir& dir,
                                               const std::vector<std::string>& keys) {
  auto store = OpenStore(sqlite, dir);
  auto txn = store->Begin();
  if (!txn.ok()) std::abort();
  auto& docs = static_cast<duet::DocumentTxn&>(**txn);
  for (const std::string& key : keys) {
    for (const char* currency : kCurrencies) ApplyDeposit(docs, key, currency, 100);
  }
  if (!store->Commit(std::move(*txn), duet::GlobalPosition(1)).ok()) std::abort();
  for (const std::string& key : keys) {
    if (!store->Get(key).ok()) std::abort();
  }
  return store;
}

void BM_GetByKey(benchmark::State& state) {
  const bool sqlite = state.range(0) == 1;
  ScratchDir dir;
  const std::vector<std::string> keys = AccountKeys();
  auto store = WarmStore(sqlite, dir, keys);
  std::mt19937_64 rng(7);
  for (auto _ : state) {
    auto read = store->Get(keys[rng() % kAccounts]);
    if (!read.ok() || !read->doc) std::abort();
    benchmark::DoNotOptimize(read);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(sqlite ? "sqlite" : "memory");
}
BENCHMARK(BM_GetByKey)->ArgNames({"sqlite"})->Arg(0)->Arg(1);

void BM_ListPage(benchmark::State& state) {
  const bool sqlite = state.range(0) == 1;
  ScratchDir dir;
  const std::vector<std::string> keys = AccountKeys();
  auto store = WarmStore(sqlite, dir, keys);
  duet::ListRequest request;
  request.index = "by_owner";
  request.value = "owner-10";  // keys of length 10: account-10 .. account-99
  request.limit = 50;
  for (auto _ : state) {
    auto page = store->List(request);
    if (!page.ok() || page->items.empty()) std::abort();
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(sqlite ? "sqlite" : "memory");
}
BENCHMARK(BM_ListPage)->ArgNames({"sqlite"})->Arg(0)->Arg(1);

// A raw SQLite connection for the peer benchmarks; aborts on any error.
class PlainSqlite {
 public:
  explicit PlainSqlite(const std::filesystem::path& file) {
    if (sqlite3_open(file.c_str(), &db_) != SQLITE_OK) std::abort();
    Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;");
  }
  ~PlainSqlite() { sqlite3_close(db_); }
  void Exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) std::abort();
  }
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      std::abort();
    }
    return stmt;
  }

 private:
  sqlite3* db_ = nullptr;
};

void BM_BalancePlainSqlite(benchmark::State& state) {
  const int64_t batch = state.range(0);
  ScratchDir dir;
  PlainSqlite db(dir.path() / "peer.db");
  db.Exec(
      "CREATE TABLE balances(account TEXT, currency TEXT, amount INTEGER,"
      " PRIMARY KEY(account, currency)) WITHOUT ROWID");
  sqlite3_stmt* upsert = db.Prepare(
      "INSERT INTO balances VALUES(?1, ?2, ?3)"
      " ON CONFLICT(account, currency) DO UPDATE SET amount = amount + excluded.amount");
  const std::vector<std::string> keys = AccountKeys();
  std::mt19937_64 rng(42);
  for (auto _ : state) {
    db.Exec("BEGIN");
    for (int64_t i = 0; i < batch; ++i) {
      const uint64_t r = rng();
      const std::string& key = keys[r % kAccounts];
      sqlite3_bind_text(upsert, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
      sqlite3_bind_text(upsert, 2, kCurrencies[(r >> 32) % 4], 3, SQLITE_STATIC);
      sqlite3_bind_int64(upsert, 3, int64_t(r >> 40) % 1000);
      if (sqlite3_step(upsert) != SQLITE_DONE) std::abort();
      sqlite3_reset(upsert);
    }
    db.Exec("COMMIT");
  }
  sqlite3_finalize(upsert);
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel("plain sqlite peer");
}
BENCHMARK(BM_BalancePlainSqlite)
    ->ArgNames({"batch"})
    ->Arg(1024)
    ->Arg(8192)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_GetPlainSqlite(benchmark::State& state) {
  ScratchDir dir;
  PlainSqlite db(dir.path() / "peer.db");
  db.Exec("CREATE TABLE docs(key TEXT PRIMARY KEY, json TEXT) WITHOUT ROWID");
  const std::vector<std::string> keys = AccountKeys();
  sqlite3_stmt* insert = db.Prepare("INSERT INTO docs VALUES(?1, ?2)");
  db.Exec("BEGIN");
  for (const std::string& key : keys) {
    const std::string json =
        R"({"account":")" + key + R"(","balances":{"CHF":100,"EUR":100,"GBP":100,"USD":100}})";
    sqlite3_bind_text(insert, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert, 2, json.data(), static_cast<int>(json.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(insert) != SQLITE_DONE) std::abort();
    sqlite3_reset(insert);
  }
  db.Exec("COMMIT");
  sqlite3_finalize(insert);
  sqlite3_stmt* get = db.Prepare("SELECT json FROM docs WHERE key = ?1");
  std::mt19937_64 rng(7);
  for (auto _ : state) {
    const std::string& key = keys[rng() % kAccounts];
    sqlite3_bind_text(get, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    if (sqlite3_step(get) != SQLITE_ROW) std::abort();
    // Parsed, as Duet's Get returns a parsed document.
    auto doc = boost::json::parse(
        std::string_view(reinterpret_cast<const char*>(sqlite3_column_text(get, 0)),
                         static_cast<size_t>(sqlite3_column_bytes(get, 0))));
    benchmark::DoNotOptimize(doc);
    sqlite3_reset(get);
  }
  sqlite3_finalize(get);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("plain sqlite peer");
}
BENCHMARK(BM_GetPlainSqlite);

}  // namespace
