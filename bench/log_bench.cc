// Micro-benchmarks of the log layer: record encoding, CRC32C (hardware and
// portable), Scan throughput, and group-committed appends from many threads.
// Prints figures; asserts nothing. Run: build/bench/log_bench
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "log/log.h"
#include "util/crc32c.h"

namespace duet::log {
namespace {

RecordView SampleRecord(uint64_t position, bool commit, const std::string& data) {
  RecordView r;
  r.position = GlobalPosition(position);
  r.version = StreamVersion(position % 100);
  r.timestamp_us = 1'700'000'000'000'000;
  r.id = EventId{position, ~position};
  r.commit = commit;
  r.stream = "account-12345";
  r.type = "MoneyDeposited";
  r.data = data;
  r.metadata = R"({"correlation":"c0ffee","causation":"beef"})";
  return r;
}

std::filesystem::path FreshDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      std::string(base != nullptr && *base ? base : "/tmp") + "/duet-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

void BM_EncodeRecord(benchmark::State& state) {
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  std::string out;
  uint64_t p = 0;
  for (auto _ : state) {
    if (out.size() > (1 << 20)) out.clear();
    AppendRecord(SampleRecord(++p, true, data), &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EncodeRecord)->Arg(100)->Arg(1000);

template <uint32_t (*Fn)(uint32_t, const char*, size_t)>
void BM_Crc32c(benchmark::State& state) {
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  uint32_t crc = 0;
  for (auto _ : state) {
    crc = Fn(crc, data.data(), data.size());
    benchmark::DoNotOptimize(crc);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK_TEMPLATE(BM_Crc32c, crc32c::Extend)->Name("BM_Crc32cDispatched")->Arg(256)->Arg(64 << 10);
BENCHMARK_TEMPLATE(BM_Crc32c, crc32c::ExtendPortableForTest)
    ->Name("BM_Crc32cPortable")
    ->Arg(256)
    ->Arg(64 << 10);

// Reads every record of a 200k-event log (≈250 B each), checking CRCs.
void BM_Scan(benchmark::State& state) {
  constexpr uint64_t kEvents = 200'000;
  const std::filesystem::path dir = FreshDir();
  LogOptions options;
  options.durability.mode = Durability::Mode::kNone;
  options.segment_size_bytes = 16 << 20;
  auto log = std::move(Log::Open(dir, options)).value();
  const std::string data(120, 'x');
  for (uint64_t first = 1; first <= kEvents; first += 1000) {
    std::string txn;
    for (uint64_t p = first; p < first + 1000; ++p)
      AppendRecord(SampleRecord(p, p == first + 999, data), &txn);
    if (!log->Enqueue(std::move(txn), GlobalPosition(first), GlobalPosition(first + 999)).ok())
      std::abort();
  }
  if (!log->WaitCommitted(GlobalPosition(kEvents)).ok()) std::abort();
  uint64_t bytes = 0;
  for (auto _ : state) {
    bytes = 0;
    const Status s = log->Scan(GlobalPosition(1), UINT64_MAX, [&](const RecordView& r) {
      bytes += r.data.size();
      return true;
    });
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
  }
  state.SetItemsProcessed(state.iterations() * kEvents);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(log->Stats().bytes));
  log.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Scan)->Unit(benchmark::kMillisecond);

// Appends from many threads as the store does (positions under one lock,
// waiting outside it). range(0): events per append; range(1): 1 = sync.
struct Shared {
  std::mutex mu;
  uint64_t next = 1;
  std::unique_ptr<Log> log;
  std::filesystem::path dir;
} g_shared;

void BM_Append(benchmark::State& state) {
  const uint64_t batch = static_cast<uint64_t>(state.range(0));
  const bool sync = state.range(1) == 1;
  if (state.thread_index() == 0) {
    g_shared.dir = FreshDir();
    LogOptions options;
    options.durability.mode = sync ? Durability::Mode::kSync : Durability::Mode::kNone;
    g_shared.log = std::move(Log::Open(g_shared.dir, options)).value();
    g_shared.next = 1;
  }
  const std::string data(100, 'x');
  std::string txn;
  for (auto _ : state) {
    uint64_t first;
    {
      std::lock_guard lock(g_shared.mu);
      first = g_shared.next;
      g_shared.next += batch;
      txn.clear();
      for (uint64_t p = first; p < first + batch; ++p)
        AppendRecord(SampleRecord(p, p == first + batch - 1, data), &txn);
      if (!g_shared.log->Enqueue(txn, GlobalPosition(first), GlobalPosition(first + batch - 1))
               .ok()) {
        state.SkipWithError("enqueue failed");
        break;
      }
    }
    if (!g_shared.log->WaitCommitted(GlobalPosition(first + batch - 1)).ok()) {
      state.SkipWithError("commit failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
  if (state.thread_index() == 0) {
    g_shared.log.reset();
    std::filesystem::remove_all(g_shared.dir);
  }
}
BENCHMARK(BM_Append)
    ->ArgNames({"batch", "sync"})
    ->Args({1, 1})
    ->Threads(1)
    ->Threads(8)
    ->Threads(64)
    ->UseRealTime();
BENCHMARK(BM_Append)
    ->ArgNames({"batch", "sync"})
    ->Args({1, 0})
    ->Threads(1)
    ->Threads(8)
    ->UseRealTime();
BENCHMARK(BM_Append)
    ->ArgNames({"batch", "sync"})
    ->Args({1000, 1})
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime();

}  // namespace
}  // namespace duet::log
