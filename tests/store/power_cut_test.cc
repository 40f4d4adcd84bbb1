// The thousand cuts: the embedded store, with concurrent writers, aggregate
// snapshots and index checkpoints, on a file system that forgets everything
// not synced when the power goes (tests/support/power_cut_file_system.h).
// After each cut the store reopens from the durable state alone, and every
// append acknowledged before the cut must be there, at its position and
// version; positions are contiguous; verify is clean; the stream index agrees
// with a scan of the log; aggregates loaded through snapshots equal a fold of
// the log.
//
// Seeded: DUET_POWER_CUT_SEED=N replays a run (the seed is in every failure
// message); DUET_POWER_CUTS=N sets the number of cuts.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "domain/snapshot_store.h"
#include "duet/command_bus.h"
#include "duet/embedded_store.h"
#include "duet/repository.h"
#include "tests/domain/tally.h"
#include "tests/support/power_cut_file_system.h"
#include "tests/support/temp_dir.h"

#ifndef DUET_POWER_CUTS_DEFAULT
#define DUET_POWER_CUTS_DEFAULT 100
#endif

namespace duet {
namespace {

using testing::CutOptions;
using testing::PowerCutFileSystem;
namespace tally = testing::tally;

constexpr int kTallies = 3;             // aggregates shared by the command writers
constexpr int kCutsPerStore = 20;       // then a fresh data folder, so checks stay short
constexpr uint64_t kMaxCutPoint = 400;  // mutating file calls before the cut

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return fallback;
  return std::strtoull(text, nullptr, 10);
}

// An append acknowledged (OK returned) before a cut.
struct Ack {
  std::string stream;
  StreamVersion version;
  GlobalPosition position;  // kNoPosition: not told (a multi-stream append)
  EventId id;               // nil when the command bus chose it
};

// Collected by the writers. Thread-safe.
class AckLog {
 public:
  void Add(Ack ack) {
    std::lock_guard lock(mu_);
    acks_.push_back(std::move(ack));
    ++total_;
  }
  // Acknowledgements ever added (Clear does not reset it).
  uint64_t total() const {
    std::lock_guard lock(mu_);
    return total_;
  }
  std::vector<Ack> All() const {
    std::lock_guard lock(mu_);
    return acks_;
  }
  void Clear() {
    std::lock_guard lock(mu_);
    acks_.clear();
  }

 private:
  mutable std::mutex mu_;
  std::vector<Ack> acks_;
  uint64_t total_ = 0;
};

StoreOptions CutStoreOptions(PowerCutFileSystem* fs) {
  StoreOptions options;
  options.durability.mode = Durability::Mode::kSync;
  options.segment_size_bytes = 4 << 10;  // rolls every few dozen events
  options.index_checkpoint_interval = 8;
  options.file_system = fs;
  return options;
}

RepositoryOptions CutRepositoryOptions(const std::filesystem::path& data, PowerCutFileSystem* fs) {
  RepositoryOptions options;
  options.snapshot_dir = data / "snapshots";
  options.snapshot_every = 2;
  options.cache_capacity = 0;  // every command loads through the snapshot
  options.file_system = fs;
  return options;
}

// One process's life on the data folder: the store and the write side on it.
struct Process {
  std::unique_ptr<EmbeddedStore> store;
  std::unique_ptr<Repository> repository;
  std::unique_ptr<CommandBus> bus;

  // Dropped in reverse order, as at exit.
  ~Process() {
    bus.reset();
    repository.reset();
    store.reset();
  }
};

class PowerCutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = EnvNumber("DUET_POWER_CUT_SEED", std::random_device{}());
    random_.seed(seed_);
    std::printf("power cut seed %llu (replay: DUET_POWER_CUT_SEED=%llu)\n",
                static_cast<unsigned long long>(seed_), static_cast<unsigned long long>(seed_));
  }

  std::string Where() const {
    return "seed " + std::to_string(seed_) +
           " (replay: DUET_POWER_CUT_SEED=" + std::to_string(seed_) + "), cut " +
           std::to_string(cut_number_);
  }

  // A fresh data folder on a fresh double.
  void NewFolder() {
    dir_ = std::make_unique<testing::TempDir>();
    fs_ = std::make_unique<PowerCutFileSystem>(dir_->path(), random_());
    acks_.Clear();
  }

  // Opens the store as a restarted process would, with the write side.
  // nullptr when the open failed: on a cut during open (the power is off),
  // or else as a test failure.
  std::unique_ptr<Process> Start() {
    auto process = std::make_unique<Process>();
    auto store = EmbeddedStore::Open(dir_->path(), CutStoreOptions(fs_.get()));
    if (fs_->powered_off()) return nullptr;
    EXPECT_TRUE(store.ok()) << Where() << ": open after the cut: " << store.status().ToString();
    if (!store.ok()) return nullptr;
    process->store = std::move(store).value();
    process->repository = std::make_unique<Repository>(
        process->store.get(), CutRepositoryOptions(dir_->path(), fs_.get()));
    BusOptions bus_options;
    bus_options.retry_backoff = std::chrono::microseconds(0);
    process->bus = std::make_unique<CommandBus>(process->repository.get(), bus_options);
    EXPECT_TRUE(tally::Register(*process->bus).ok());
    return process;
  }

  // Everything that must hold of the durable state the store reopened on.
  void CheckRecovered(Process& process) {
    EmbeddedStore& store = *process.store;
    auto all = store.ReadAll(GlobalPosition(1), SIZE_MAX);
    ASSERT_TRUE(all.ok()) << Where() << ": " << all.status().ToString();
    const GlobalPosition head = store.HeadPosition();
    ASSERT_EQ(all->size(), head.value) << Where();
    std::map<std::string, std::vector<const RecordedEvent*>> by_stream;
    for (size_t i = 0; i < all->size(); ++i) {
      const RecordedEvent& event = (*all)[i];
      ASSERT_EQ(event.position.value, i + 1) << Where() << ": positions not contiguous";
      auto& stream = by_stream[event.stream];
      ASSERT_EQ(event.version.value, stream.size()) << Where() << ": " << event.stream;
      stream.push_back(&event);
    }
    for (const Ack& ack : acks_.All()) {
      auto stream = by_stream.find(ack.stream);
      ASSERT_TRUE(stream != by_stream.end() && ack.version.value < stream->second.size())
          << Where() << ": acknowledged " << ack.stream << "@" << ack.version.value
          << " lost (head " << head.value << ")";
      const RecordedEvent& event = *stream->second[ack.version.value];
      if (ack.position != kNoPosition) {
        EXPECT_EQ(event.position.value, ack.position.value) << Where() << ": " << ack.stream;
      }
      if (!ack.id.IsNil()) {
        EXPECT_EQ(event.id, ack.id) << Where() << ": " << ack.stream;
      }
    }
    auto verified = VerifyDataFolder(dir_->path(), fs_.get());
    ASSERT_TRUE(verified.ok()) << Where() << ": " << verified.status().ToString();
    EXPECT_EQ(verified->head.value, head.value) << Where();
    EXPECT_LE(store.open_report().index_checkpoint.value, head.value) << Where();
    for (const auto& [name, events] : by_stream) {
      auto read = store.ReadStream(name, StreamVersion(0), SIZE_MAX, ReadDirection::kForward);
      ASSERT_TRUE(read.ok()) << Where() << ": " << read.status().ToString();
      ASSERT_EQ(read->size(), events.size()) << Where() << ": index of " << name;
      for (size_t v = 0; v < events.size(); ++v) {
        EXPECT_EQ((*read)[v].position.value, events[v]->position.value) << Where() << ": " << name;
      }
      EXPECT_EQ(store.StreamHead(name), StreamVersion(events.size() - 1)) << Where();
    }
    CheckAggregates(process, by_stream);
  }

  // Each tally loaded through its snapshot (or rebuilt when the snapshot is
  // unusable) equals the fold of its events in the log.
  void CheckAggregates(Process& process,
                       const std::map<std::string, std::vector<const RecordedEvent*>>& by_stream) {
    for (int t = 0; t < kTallies; ++t) {
      const std::string id = "t" + std::to_string(t);
      tally::State folded;
      auto it = by_stream.find("tally-" + id);
      if (it != by_stream.end()) {
        for (const RecordedEvent* event : it->second) {
          ASSERT_EQ(event->type, "Added") << Where();
          folded.total += boost::json::parse(event->data).as_object().at("amount").as_int64();
          ++folded.count;
        }
      }
      auto loaded = process.repository->Load(tally::kTally, id);
      ASSERT_TRUE(loaded.ok()) << Where() << ": " << loaded.status().ToString();
      EXPECT_EQ(loaded->state.total, folded.total) << Where() << ": tally " << id;
      EXPECT_EQ(loaded->state.count, folded.count) << Where() << ": tally " << id;
    }
  }

  // Writers go on until the power goes (or the store fails without a cut,
  // which RunCuts reports).
  // `rounds`: the appends each writer makes at most.
  bool Running(EmbeddedStore& store, uint64_t& round, uint64_t rounds) const {
    return round++ < rounds && !fs_->powered_off() && store.Health().ok();
  }

  // Writers, until the power goes: each a different kind of append.
  std::vector<std::thread> StartWriters(Process& process, uint64_t writer_seed, uint64_t rounds) {
    std::vector<std::thread> writers;
    EmbeddedStore* store = process.store.get();
    CommandBus* bus = process.bus.get();
    // Single-stream appends with exact expected versions on the writer's own streams.
    for (int w = 0; w < 2; ++w) {
      writers.emplace_back([this, store, w, writer_seed, rounds] {
        std::mt19937_64 random(writer_seed + static_cast<uint64_t>(w));
        for (uint64_t round = 0; Running(*store, round, rounds);) {
          const std::string stream = "own" + std::to_string(w) + "-" + std::to_string(random() % 3);
          const std::optional<StreamVersion> head = store->StreamHead(stream);
          const ExpectedVersion expected =
              head ? ExpectedVersion::Exact(*head) : ExpectedVersion::NoStream();
          std::vector<EventData> events;
          for (uint64_t e = 0, n = 1 + random() % 3; e < n; ++e) {
            events.push_back(EventData{EventId::Random(), "Written", "{\"w\":1}", "{}"});
          }
          auto result = store->Append(stream, expected, events);
          if (!result.ok()) continue;
          const uint64_t n = events.size();
          for (uint64_t e = 0; e < n; ++e) {
            acks_.Add({stream, StreamVersion(result->next_expected_version.value - (n - 1 - e)),
                       GlobalPosition(result->position.value - (n - 1 - e)), events[e].id});
          }
        }
      });
    }
    // Multi-stream transactions over shared streams, any version.
    writers.emplace_back([this, store, writer_seed, rounds] {
      std::mt19937_64 random(writer_seed + 100);
      for (uint64_t round = 0; Running(*store, round, rounds);) {
        std::vector<StreamAppend> appends;
        const uint64_t first = random() % 4;
        for (uint64_t s : {first, (first + 1 + random() % 3) % 4}) {
          appends.push_back({"shared-" + std::to_string(s),
                             ExpectedVersion::Any(),
                             {EventData{EventId::Random(), "Moved", "{\"m\":1}", "{}"}}});
        }
        auto result = store->AppendMulti(appends);
        if (!result.ok()) continue;
        for (size_t i = 0; i < appends.size(); ++i) {
          acks_.Add({appends[i].stream, result->streams[i].next_expected_version, kNoPosition,
                     appends[i].events[0].id});
        }
      }
    });
    // Commands on shared aggregates: conflicts, retries and snapshots.
    for (int w = 0; w < 2; ++w) {
      writers.emplace_back([this, store, bus, w, writer_seed, rounds] {
        std::mt19937_64 random(writer_seed + 200 + static_cast<uint64_t>(w));
        for (uint64_t round = 0; Running(*store, round, rounds);) {
          const std::string id = "t" + std::to_string(random() % kTallies);
          auto result = bus->Dispatch(tally::Add{id, static_cast<int64_t>(1 + random() % 9)});
          if (!result.ok() || !result->version) continue;
          acks_.Add({result->stream, *result->version, result->position, EventId()});
        }
      });
    }
    return writers;
  }

  // `cuts` cuts, each at a random mutating call, with torn tails half the time.
  void RunCuts(uint64_t cuts) {
    for (cut_number_ = 0; cut_number_ < cuts; ++cut_number_) {
      if (cut_number_ % kCutsPerStore == 0) NewFolder();
      fs_->PowerOn();
      // A quarter of the cuts fall into the next open's recovery instead
      // (truncating a torn tail, removing stale files, the first syncs).
      if (random_() % 4 == 0) {
        fs_->CutBeforeMutation(1 + random_() % 8, {.torn_tails = random_() % 2 == 0});
      }
      std::unique_ptr<Process> process = Start();
      fs_->CutBeforeMutation(0);  // a planned cut the open did not reach is dropped
      // The cut may also hit the checkpointer the open started, after Open
      // returned: the same case, one mutation later.
      if (fs_->powered_off()) {
        ++cuts_during_open_;
        continue;
      }
      ASSERT_NE(process, nullptr);
      CheckRecovered(*process);
      Tally(*process);
      if (HasFatalFailure() || HasFailure()) return;
      const CutOptions options{.torn_tails = random_() % 2 == 0};
      if (random_() % 8 == 0) {
        // A clean close, with the cut in its last index checkpoint or just after.
        for (std::thread& writer : StartWriters(*process, random_(), 10)) writer.join();
        ASSERT_TRUE(process->store->Health().ok()) << Where();
        fs_->CutBeforeMutation(1 + random_() % 6, options);
        process.reset();
        if (!fs_->powered_off()) fs_->Cut(options);
        ++cuts_after_close_;
        continue;
      }
      fs_->CutBeforeMutation(1 + random_() % kMaxCutPoint, options);
      for (std::thread& writer : StartWriters(*process, random_(), UINT64_MAX)) writer.join();
      ASSERT_TRUE(fs_->powered_off())
          << Where()
          << ": the store failed with the power on: " << process->store->Health().ToString();
      process.reset();  // the old process's last writes reach nothing: the power is off
    }
    std::printf(
        "power cuts done: %llu (%llu during open, %llu at a clean close), seed %llu; %llu appends "
        "acknowledged; "
        "reopened on an index "
        "checkpoint %llu times, on a torn tail %llu times; %llu snapshots loaded\n",
        static_cast<unsigned long long>(cut_number_),
        static_cast<unsigned long long>(cuts_during_open_),
        static_cast<unsigned long long>(cuts_after_close_), static_cast<unsigned long long>(seed_),
        static_cast<unsigned long long>(acks_.total()),
        static_cast<unsigned long long>(opened_on_checkpoint_),
        static_cast<unsigned long long>(opened_on_torn_tail_),
        static_cast<unsigned long long>(snapshots_loaded_));
  }

  // What the reopened store found, to show the cuts hit what they should.
  void Tally(Process& process) {
    const OpenReport report = process.store->open_report();
    if (report.index_checkpoint != kNoPosition) ++opened_on_checkpoint_;
    if (report.truncated_bytes > 0) ++opened_on_torn_tail_;
    snapshots_loaded_ += process.repository->Stats().snapshots_loaded;
  }

  uint64_t seed_ = 0;
  std::mt19937_64 random_;
  uint64_t cut_number_ = 0;
  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<PowerCutFileSystem> fs_;
  AckLog acks_;
  uint64_t cuts_during_open_ = 0;
  uint64_t cuts_after_close_ = 0;
  uint64_t opened_on_checkpoint_ = 0;
  uint64_t opened_on_torn_tail_ = 0;
  uint64_t snapshots_loaded_ = 0;
};

// Regression: the store created data/log and data/index but never synced the
// data folder, so a power cut could take the log folder's entry, and every
// acknowledged event with it.
TEST_F(PowerCutTest, FreshStoreKeepsItsFirstAcknowledgedAppend) {
  NewFolder();
  auto store = EmbeddedStore::Open(dir_->path(), CutStoreOptions(fs_.get()));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  const std::vector<EventData> events{EventData{EventId::Random(), "Happened", "{}", "{}"}};
  auto appended = (*store)->Append("s", ExpectedVersion::NoStream(), events);
  ASSERT_TRUE(appended.ok()) << appended.status().ToString();
  fs_->Cut();
  store->reset();
  fs_->PowerOn();
  auto reopened = EmbeddedStore::Open(dir_->path(), CutStoreOptions(fs_.get()));
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  EXPECT_EQ((*reopened)->HeadPosition(), GlobalPosition(1));
}

// Regression: the snapshot folder was created without syncing its parent, so
// a power cut could take every snapshot written into it.
TEST_F(PowerCutTest, FirstSnapshotSurvivesACut) {
  NewFolder();
  domain::SnapshotStore snapshots(dir_->path() / "snapshots", fs_.get());
  domain::Snapshot snapshot;
  snapshot.stream = "tally-t0";
  snapshot.schema_version = 1;
  snapshot.version = StreamVersion(4);
  snapshot.event_id = EventId::Random();
  snapshot.payload = R"({"total":5,"count":5})";
  ASSERT_TRUE(snapshots.Write(snapshot).ok());
  fs_->Cut();
  fs_->PowerOn();
  auto read = domain::SnapshotStore(dir_->path() / "snapshots", fs_.get()).Read("tally-t0");
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->version, StreamVersion(4));
  EXPECT_EQ((*read)->payload, snapshot.payload);
}

TEST_F(PowerCutTest, AcknowledgedAppendsSurviveEveryCut) {
  RunCuts(EnvNumber("DUET_POWER_CUTS", DUET_POWER_CUTS_DEFAULT));
}

}  // namespace
}  // namespace duet
