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
#include <benchmark/benchmark.h>

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

}  // namespace
