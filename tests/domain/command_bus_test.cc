#include "duet/command_bus.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <thread>

#include "duet/embedded_store.h"
#include "tests/domain/counter_example.h"
#include "tests/domain/tally.h"
#include "tests/support/store_decorators.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

using testing::tally::Add;

StoreOptions Fast() {
  StoreOptions options;
  options.durability.mode = Durability::Mode::kNone;
  return options;
}

class CommandBusTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(BusOptions bus_options = {}) {
    bus_.reset();
    repo_.reset();
    faults_.reset();
    store_.reset();
    store_ = EmbeddedStore::Open(dir_ / "data", Fast()).value();
    faults_ = std::make_unique<testing::FaultInjectingStore>(store_.get());
    RepositoryOptions options;
    options.snapshot_dir = dir_ / "data" / "snapshots";
    repo_ = std::make_unique<Repository>(faults_.get(), options);
    bus_options.retry_backoff = std::chrono::microseconds(0);
    bus_ = std::make_unique<CommandBus>(repo_.get(), bus_options);
    ASSERT_TRUE(counter::Register(*bus_).ok());
    ASSERT_TRUE(testing::tally::Register(*bus_).ok());
  }

  std::vector<RecordedEvent> Read(const std::string& stream) {
    return store_->ReadStream(stream, StreamVersion(0), 1000, ReadDirection::kForward).value();
  }

  testing::TempDir dir_;
  std::unique_ptr<EmbeddedStore> store_;
  std::unique_ptr<testing::FaultInjectingStore> faults_;
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<CommandBus> bus_;
};

TEST_F(CommandBusTest, TypedCommandIsAcknowledgedWithStreamVersionAndPosition) {
  auto r = bus_->Dispatch(counter::Increment{"c1", 5});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream, "counter-c1");
  EXPECT_EQ(r->version, StreamVersion(0));
  EXPECT_EQ(r->position, store_->HeadPosition());
  EXPECT_EQ(r->streams, (std::vector<StreamRevision>{{"counter-c1", StreamVersion(0)}}));
  EXPECT_FALSE(r->duplicate);
  auto events = Read("counter-c1");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, "Incremented");
  EXPECT_EQ(events[0].data, R"({"by":5})");
  EXPECT_FALSE(events[0].id.IsNil());
}

TEST_F(CommandBusTest, CommandsBuildOnTheCurrentState) {
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 600}).ok());
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 400}).ok());
  auto r = bus_->Dispatch(counter::Increment{"c1", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsDomainRuleViolated());
  EXPECT_EQ(r.status().subject(), "max-1000");
  EXPECT_EQ(Read("counter-c1").size(), 2u);  // the refused command appended nothing
}

TEST_F(CommandBusTest, JsonCommandIsDecodedAndDispatched) {
  auto r = bus_->Dispatch("Increment", R"({"counter":"c2","by":3})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stream, "counter-c2");
  EXPECT_EQ(Read("counter-c2").at(0).data, R"({"by":3})");
}

TEST_F(CommandBusTest, UnknownCommandTypeIsNotFound) {
  auto r = bus_->Dispatch("Decrement", R"({"counter":"c2"})");
  EXPECT_TRUE(r.status().IsNotFound());
}

TEST_F(CommandBusTest, MalformedJsonIsBadBody) {
  auto r = bus_->Dispatch("Increment", R"({"counter":)");
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(r.status().subject(), "body");
}

TEST_F(CommandBusTest, MissingFieldIsNamed) {
  auto r = bus_->Dispatch("Increment", R"({"counter":"c"})");
  EXPECT_TRUE(r.status().IsInvalidArgument());
  EXPECT_EQ(r.status().subject(), "by");
}

TEST_F(CommandBusTest, UnknownFieldIsNamed) {
  auto r = bus_->Dispatch("Increment", R"({"counter":"c","by":1,"bye":2})");
  EXPECT_EQ(r.status().subject(), "bye");
  EXPECT_EQ(store_->HeadPosition(), kNoPosition);
}

TEST_F(CommandBusTest, ValidatorRunsForTypedAndJsonCommands) {
  EXPECT_EQ(bus_->Dispatch(Add{"bad id", 1}).status().subject(), "id");
  EXPECT_EQ(bus_->Dispatch("Add", R"({"id":"bad id","amount":1})").status().subject(), "id");
  EXPECT_EQ(store_->HeadPosition(), kNoPosition);
}

// A declared contract is checked on the JSON path, and on the typed path
// through to_json; the refusal names the field either way, and nothing is
// appended.
struct Rename {
  std::string counter;
  std::string name;
};

TEST_F(CommandBusTest, ContractIsCheckedOnBothPaths) {
  CommandBus bus(repo_.get());
  ASSERT_TRUE(
      bus.Register(CommandType<Rename>{
                       .name = "Rename",
                       .decode = [](JsonReader& f) -> Result<Rename> {
                         return Rename{f.String("counter"), f.String("name")};
                       },
                       .fields = {{.name = "counter", .pattern = FieldPattern(kIdPattern)},
                                  {.name = "name", .min_length = 1, .max_length = 8}},
                       .to_json = [](const Rename& r) -> boost::json::object {
                         return {{"counter", r.counter}, {"name", r.name}};
                       }},
                   CommandHandler<Rename>([](const Rename&, UnitOfWork&) { return Status::OK(); }))
          .ok());
  EXPECT_EQ(bus.Dispatch("Rename", R"({"counter":"c","name":"far too long"})").status().subject(),
            "name");
  EXPECT_EQ(bus.Dispatch(Rename{"c", "far too long"}).status().subject(), "name");
  EXPECT_EQ(bus.Check(Rename{"c d", "ok"}).subject(), "counter");
  EXPECT_TRUE(bus.Check(Rename{"c", "ok"}).ok());
  EXPECT_EQ(bus.Dispatch("Rename", R"({"counter":"c","name":"ok","x":1})").status().subject(), "x");
  EXPECT_EQ(store_->HeadPosition(), kNoPosition);
  ASSERT_EQ(bus.Commands().size(), 1u);
  EXPECT_EQ(bus.Commands()[0].fields.size(), 2u);
}

TEST_F(CommandBusTest, AnIllDeclaredContractIsRefusedAtRegistration) {
  CommandBus bus(repo_.get());
  const Status status = bus.Register(
      CommandType<Rename>{.name = "Rename",
                          .decode = [](JsonReader&) -> Result<Rename> { return Rename{}; },
                          .fields = {{.name = "name"}, {.name = "name"}}},
      CommandHandler<Rename>([](const Rename&, UnitOfWork&) { return Status::OK(); }));
  EXPECT_EQ(status.subject(), "name");
  EXPECT_TRUE(bus.CommandTypes().empty());
}

TEST_F(CommandBusTest, UnregisteredTypedCommandIsNotFound) {
  struct Unregistered {};
  EXPECT_TRUE(bus_->Dispatch(Unregistered{}).status().IsNotFound());
}

TEST_F(CommandBusTest, RegisteringANameTwiceFails) {
  EXPECT_EQ(counter::Register(*bus_).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(bus_->CommandTypes(), (std::vector<std::string>{"Add", "Increment", "Reset"}));
}

TEST_F(CommandBusTest, EveryEventCarriesCommandMetadata) {
  CommandOptions options;
  options.command_id = "cmd-1";
  options.correlation_id = "corr-9";
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 1}, options).ok());
  auto meta = ParseJsonObject(Read("counter-c1").at(0).metadata).value();
  EXPECT_EQ(meta.at("command_type").as_string(), "Increment");
  EXPECT_EQ(meta.at("command_id").as_string(), "cmd-1");
  EXPECT_EQ(meta.at("correlation_id").as_string(), "corr-9");
  EXPECT_EQ(meta.at("causation_id").as_string(), "cmd-1");
}

TEST_F(CommandBusTest, WithoutCommandIdAnIdIsGeneratedForMetadata) {
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 1}).ok());
  auto meta = ParseJsonObject(Read("counter-c1").at(0).metadata).value();
  EXPECT_TRUE(EventId::Parse(meta.at("command_id").as_string()).ok());
  EXPECT_EQ(meta.at("correlation_id"), meta.at("command_id"));
}

TEST_F(CommandBusTest, ConflictIsRetriedOnFreshState) {
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 1}).ok());  // cached at version 0
  faults_->InjectConflicts(2, [](const std::string&) {
    return EventData{EventId::Random(), "Incremented", R"({"by":100})", "{}"};
  });
  auto r = bus_->Dispatch(counter::Increment{"c1", 1});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version, StreamVersion(3));  // 1 + 2 racing writes + this one
  EXPECT_EQ(faults_->appends(), 4u);        // first command + 3 attempts
  EXPECT_EQ(bus_->Stats().conflicts, 2u);
  EXPECT_EQ(bus_->Stats().retries_exhausted, 0u);
  auto state = repo_->Load(counter::kCounter, "c1");
  EXPECT_EQ(state->state.value, 202);
}

// DispatchAsync goes on after a conflict only through the caller's Deferrer,
// with the backoff as its delay: never on the thread that told the conflict.
TEST_F(CommandBusTest, AsyncDispatchRetriesThroughTheDeferrer) {
  Open(BusOptions{5, std::chrono::microseconds(0)});
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 1}).ok());
  faults_->InjectConflicts(1, [](const std::string&) {
    return EventData{EventId::Random(), "Incremented", R"({"by":10})", "{}"};
  });
  std::vector<std::function<void()>> deferred;
  Deferrer defer = [&deferred](std::chrono::microseconds, std::function<void()> fn) {
    deferred.push_back(std::move(fn));
  };
  std::vector<Result<CommandResult>> told;
  bus_->DispatchAsync("Increment", R"({"counter":"c1","by":1})", {}, defer,
                      [&told](Result<CommandResult> r) { told.push_back(std::move(r)); });
  EXPECT_TRUE(told.empty()) << "answered without retrying the conflict";
  ASSERT_EQ(deferred.size(), 1u);
  std::function<void()> retry = std::move(deferred.front());
  deferred.clear();
  retry();
  ASSERT_EQ(told.size(), 1u);
  ASSERT_TRUE(told[0].ok()) << told[0].status();
  EXPECT_EQ(told[0]->version, StreamVersion(2));  // the first, the racing write, this one
  EXPECT_TRUE(deferred.empty());
  EXPECT_EQ(bus_->Stats().conflicts, 1u);
}

TEST_F(CommandBusTest, AsyncDispatchRefusesBadInputBeforeReturning) {
  std::vector<Result<CommandResult>> told;
  Deferrer never = [](std::chrono::microseconds, std::function<void()>) {
    ADD_FAILURE() << "deferred";
  };
  bus_->DispatchAsync("Increment", R"({"counter":"c1"})", {}, never,
                      [&told](Result<CommandResult> r) { told.push_back(std::move(r)); });
  bus_->DispatchAsync("NoSuchCommand", "{}", {}, never,
                      [&told](Result<CommandResult> r) { told.push_back(std::move(r)); });
  ASSERT_EQ(told.size(), 2u);
  EXPECT_TRUE(told[0].status().IsInvalidArgument()) << told[0].status();
  EXPECT_TRUE(told[1].status().IsNotFound()) << told[1].status();
}

TEST_F(CommandBusTest, RetriedDecisionSeesTheRacingWrite) {
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 999}).ok());
  faults_->InjectConflicts(1, [](const std::string&) {
    return EventData{EventId::Random(), "Incremented", R"({"by":1})", "{}"};
  });
  auto r = bus_->Dispatch(counter::Increment{"c1", 1});  // would fit without the race
  EXPECT_EQ(r.status().subject(), "max-1000");
}

TEST_F(CommandBusTest, ConflictsBeyondTheAttemptsAreReported) {
  Open(BusOptions{3, {}});
  faults_->InjectConflicts(3, [](const std::string&) {
    return EventData{EventId::Random(), "Incremented", R"({"by":1})", "{}"};
  });
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 1}).ok() == false);
  auto r = bus_->Dispatch(counter::Increment{"c1", 1});  // the injections are spent
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Read("counter-c1").size(), 4u);  // 3 racing writes + 1
}

TEST_F(CommandBusTest, ExhaustedRetriesAreWrongExpectedVersion) {
  Open(BusOptions{2, {}});
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 1}).ok());
  faults_->InjectConflicts(2, [](const std::string&) {
    return EventData{EventId::Random(), "Incremented", R"({"by":1})", "{}"};
  });
  auto r = bus_->Dispatch(counter::Increment{"c1", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsWrongExpectedVersion());
  EXPECT_EQ(r.status().subject(), "counter-c1");
  EXPECT_EQ(bus_->Stats().retries_exhausted, 1u);
}

// Another writer resets the counter behind this bus's cache, which still holds
// it full (999): the stream moves on without the cache knowing.
void ResetBehindTheCache(EventStore* store) {
  const EventData reset{EventId::Random(), "CounterReset", "{}", "{}"};
  ASSERT_TRUE(store->Append("counter-c1", ExpectedVersion::Any(), {&reset, 1}).ok());
}

TEST_F(CommandBusTest, RefusalIsDecidedOnTheCurrentStateNotAStaleCache) {
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 999}).ok());  // cached: 999 at version 0
  ResetBehindTheCache(store_.get());                                // now: 0 at version 1
  auto r = bus_->Dispatch(counter::Increment{"c1", 5});             // the stale 999 would refuse it
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version, StreamVersion(2));
  EXPECT_EQ(bus_->Stats().conflicts, 1u);
  EXPECT_EQ(repo_->Load(counter::kCounter, "c1")->state.value, 5);
}

TEST_F(CommandBusTest, StaleRefusalWithoutAttemptsLeftIsAConflict) {
  Open(BusOptions{1, {}});
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 999}).ok());
  ResetBehindTheCache(store_.get());
  auto r = bus_->Dispatch(counter::Increment{"c1", 5});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsWrongExpectedVersion()) << r.status();
  EXPECT_EQ(r.status().subject(), "counter-c1");
  EXPECT_EQ(r.status().actual_version(), std::optional<uint64_t>(1));
  EXPECT_EQ(Read("counter-c1").size(), 2u);  // nothing appended
  EXPECT_EQ(bus_->Stats().retries_exhausted, 1u);
}

TEST_F(CommandBusTest, RefusalOnCurrentStateIsReturnedWithoutRetry) {
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 999}).ok());
  auto r = bus_->Dispatch(counter::Increment{"c1", 5});
  EXPECT_EQ(r.status().subject(), "max-1000");
  EXPECT_EQ(bus_->Stats().conflicts, 0u);
  EXPECT_EQ(faults_->appends(), 1u);
}

TEST_F(CommandBusTest, StorageFailurePassesThroughUnchanged) {
  faults_->FailAppends(1, Status::IOError("disk on fire"));
  auto r = bus_->Dispatch(counter::Increment{"c1", 1});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status(), Status::IOError("disk on fire"));
  EXPECT_EQ(faults_->appends(), 1u);  // not retried
}

TEST_F(CommandBusTest, SameCommandIdTwiceReturnsTheOriginalResultAndAppendsOnce) {
  CommandOptions options{"req-42", "", ""};
  auto first = bus_->Dispatch(counter::Increment{"c1", 5}, options);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = bus_->Dispatch(counter::Increment{"c1", 5}, options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(bus_->Stats().duplicates, 1u);
  EXPECT_EQ(second->stream, first->stream);
  EXPECT_EQ(second->version, first->version);
  EXPECT_EQ(second->position, first->position);
  EXPECT_EQ(second->streams, first->streams);
  EXPECT_EQ(Read("counter-c1").size(), 1u);
  EXPECT_EQ(Read("$command-req-42").size(), 1u);
}

TEST_F(CommandBusTest, DuplicateReturnsOriginalEvenWhenADecisionWouldNowFail) {
  CommandOptions options{"fill", "", ""};
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 1000}, options).ok());
  auto again = bus_->Dispatch(counter::Increment{"c1", 1000}, options);  // counter is full now
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
}

TEST_F(CommandBusTest, DuplicateIsRecognisedAfterReopeningTheStore) {
  CommandOptions options{"req-7", "", ""};
  auto first = bus_->Dispatch(counter::Increment{"c1", 5}, options);
  ASSERT_TRUE(first.ok());
  Open();
  auto second = bus_->Dispatch(counter::Increment{"c1", 5}, options);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->duplicate);
  EXPECT_EQ(second->position, first->position);
  EXPECT_EQ(Read("counter-c1").size(), 1u);
}

TEST_F(CommandBusTest, RacingTwinWithSameCommandIdGetsTheRecordedResult) {
  CommandOptions options{"twin", "", ""};
  // The twin commits between our check and our append: our append then
  // conflicts, and we return the twin's recorded result.
  faults_->InjectTwins(1);
  auto r = bus_->Dispatch(counter::Increment{"c1", 5}, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->duplicate);
  EXPECT_EQ(r->version, StreamVersion(0));
  EXPECT_EQ(Read("counter-c1").size(), 1u);
  EXPECT_EQ(Read("$command-twin").size(), 1u);
  EXPECT_EQ(r->position, Read("$command-twin").at(0).position);
}

TEST_F(CommandBusTest, CommandIdOfAnotherCommandTypeIsRejected) {
  CommandOptions options{"shared", "", ""};
  ASSERT_TRUE(bus_->Dispatch(counter::Increment{"c1", 5}, options).ok());
  auto other = bus_->Dispatch(counter::Reset{"c1"}, options);
  EXPECT_EQ(other.status().code(), StatusCode::kIdempotencyKeyReused) << other.status();
  EXPECT_EQ(other.status().subject(), "command_id");
  auto json = bus_->Dispatch("Reset", R"({"counter":"c1"})", options);
  EXPECT_EQ(json.status().code(), StatusCode::kIdempotencyKeyReused) << json.status();
  EXPECT_EQ(Read("counter-c1").size(), 1u);  // no reset appended
}

TEST_F(CommandBusTest, SameIdAndSameBodyIsADuplicateWhateverTheKeyOrderAndSpacing) {
  CommandOptions options{"k-1", "", ""};
  auto first = bus_->Dispatch("Increment", R"({"counter":"c1","by":5})", options);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->duplicate);
  auto again = bus_->Dispatch("Increment", "{ \"by\": 5,\n \"counter\" : \"c1\" }", options);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->position, first->position);
  EXPECT_EQ(again->version, first->version);
  EXPECT_EQ(Read("counter-c1").size(), 1u);
}

TEST_F(CommandBusTest, SameIdWithAnotherBodyIsRefusedAndAppendsNothing) {
  CommandOptions options{"k-2", "", ""};
  ASSERT_TRUE(bus_->Dispatch("Increment", R"({"counter":"c1","by":5})", options).ok());
  const GlobalPosition head = store_->HeadPosition();
  for (std::string body : {R"({"counter":"c1","by":6})", R"({"counter":"c2","by":5})"}) {
    auto reused = bus_->Dispatch("Increment", body, options);
    ASSERT_FALSE(reused.ok()) << body;
    EXPECT_EQ(reused.status().code(), StatusCode::kIdempotencyKeyReused) << reused.status();
    EXPECT_EQ(reused.status().subject(), "command_id");
  }
  EXPECT_EQ(store_->HeadPosition(), head);
  EXPECT_EQ(Read("counter-c1").size(), 1u);
  EXPECT_TRUE(Read("counter-c2").empty());
  EXPECT_EQ(bus_->Stats().duplicates, 0u);
}

TEST_F(CommandBusTest, TheRecordHoldsTheRequestDigest) {
  ASSERT_TRUE(
      bus_->Dispatch("Increment", R"({"counter":"c1","by":5})", CommandOptions{"k-3", "", ""})
          .ok());
  const std::vector<RecordedEvent> record = Read("$command-k-3");
  ASSERT_EQ(record.size(), 1u);
  const boost::json::object data = boost::json::parse(record[0].data).as_object();
  ASSERT_TRUE(data.contains("request_digest")) << record[0].data;
  const std::string digest(data.at("request_digest").as_string());
  EXPECT_EQ(digest.rfind("sha256:", 0), 0u) << digest;
  EXPECT_EQ(digest.size(), 7u + 64u) << digest;
}

// Records written before the digest existed (format version 1) hold none:
// any body of the recorded command type is answered as their duplicate.
TEST_F(CommandBusTest, ARecordWithoutADigestIsStillADuplicate) {
  const std::string old_record = R"({"command_type":"Increment","stream":"counter-c1","version":0,)"
                                 R"("streams":[{"stream":"counter-c1","version":0}]})";
  const std::vector<EventData> record{
      EventData{EventId::Random(), "$CommandHandled", old_record, "{}"}};
  auto appended = store_->Append("$command-old", ExpectedVersion::NoStream(), record);
  ASSERT_TRUE(appended.ok()) << appended.status();
  auto r = bus_->Dispatch("Increment", R"({"counter":"c1","by":9})", CommandOptions{"old", "", ""});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->duplicate);
  EXPECT_EQ(r->position, appended->position);
  EXPECT_TRUE(Read("counter-c1").empty());
  auto other_type = bus_->Dispatch("Reset", R"({"counter":"c1"})", CommandOptions{"old", "", ""});
  EXPECT_EQ(other_type.status().code(), StatusCode::kIdempotencyKeyReused);
}

// Racing dispatches of one id with different bodies: whichever commits
// first wins, every other is refused (after its append conflicted on the
// record stream), and exactly one command's events are in the log.
TEST_F(CommandBusTest, RacingDifferentBodiesWithOneIdCommitExactlyOne) {
  constexpr int kThreads = 8;
  std::vector<Result<CommandResult>> results(kThreads, Status::FailedPrecondition("not run"));
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load()) std::this_thread::yield();
      results[i] =
          bus_->Dispatch("Increment", R"({"counter":"c1","by":)" + std::to_string(i + 1) + "}",
                         CommandOptions{"race", "", ""});
    });
  }
  go = true;
  for (std::thread& t : threads) t.join();
  int committed = 0;
  for (const auto& r : results) {
    if (r.ok()) {
      ++committed;
      EXPECT_FALSE(r->duplicate);
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kIdempotencyKeyReused) << r.status();
    }
  }
  EXPECT_EQ(committed, 1);
  EXPECT_EQ(Read("counter-c1").size(), 1u);
  EXPECT_EQ(Read("$command-race").size(), 1u);
}

TEST_F(CommandBusTest, InvalidCommandIdIsRejected) {
  for (std::string id : {std::string("has space"), std::string(129, 'x'), std::string("a/b")}) {
    auto r = bus_->Dispatch(counter::Increment{"c1", 1}, CommandOptions{id, "", ""});
    EXPECT_EQ(r.status().subject(), "command_id") << id;
  }
  EXPECT_TRUE(
      bus_->Dispatch(counter::Increment{"c1", 1}, CommandOptions{std::string(128, 'x'), "", ""})
          .ok());
}

TEST_F(CommandBusTest, CommitUpdatesCacheSoTheNextCommandReadsNothing) {
  testing::CountingStore counting(store_.get());
  Repository repo(&counting, RepositoryOptions{});
  CommandBus bus(&repo);
  ASSERT_TRUE(counter::Register(bus).ok());
  ASSERT_TRUE(bus.Dispatch(counter::Increment{"c1", 1}).ok());
  counting.Reset();
  auto r = bus.Dispatch(counter::Increment{"c1", 1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->version, StreamVersion(1));
  EXPECT_EQ(counting.stream_reads(), 0u);
}

TEST_F(CommandBusTest, CommitsWriteSnapshotsEveryNEvents) {
  RepositoryOptions options;
  options.snapshot_dir = dir_ / "snaps";
  options.snapshot_every = 4;
  Repository repo(store_.get(), options);
  CommandBus bus(&repo);
  ASSERT_TRUE(testing::tally::Register(bus).ok());
  for (int i = 0; i < 9; ++i) ASSERT_TRUE(bus.Dispatch(Add{"t", 1}).ok());
  EXPECT_EQ(repo.Stats().snapshots_written, 2u);  // after events 4 and 8
  Repository fresh(store_.get(), options);
  auto loaded = fresh.Load(testing::tally::kTally, "t");
  EXPECT_EQ(loaded->state.count, 9);
  EXPECT_EQ(fresh.Stats().snapshots_loaded, 1u);
  EXPECT_EQ(fresh.Stats().events_replayed, 1u);
}

// A handler that breaks the unit-of-work contract or throws.
struct Misbehave {
  int how = 0;
};

TEST_F(CommandBusTest, RecordingAnUnloadedStreamIsAnError) {
  ASSERT_TRUE(
      bus_->Register(
              CommandType<Misbehave>{"Misbehave",
                                     [](JsonReader&) -> Result<Misbehave> { return Misbehave{}; }},
              CommandHandler<Misbehave>([](const Misbehave& m, UnitOfWork& unit) -> Status {
                if (m.how == 1) throw std::runtime_error("boom");
                return unit.Record(counter::kCounter, "never-loaded", {counter::Incremented{1}});
              }))
          .ok());
  EXPECT_EQ(bus_->Dispatch(Misbehave{0}).status().code(), StatusCode::kFailedPrecondition);
  auto thrown = bus_->Dispatch(Misbehave{1});
  EXPECT_EQ(thrown.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(thrown.status().message().find("boom"), std::string::npos);
  EXPECT_EQ(store_->HeadPosition(), kNoPosition);
}

}  // namespace
}  // namespace duet
