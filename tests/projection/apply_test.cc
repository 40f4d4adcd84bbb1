// Applier::ApplyBatch: one transaction per batch, the failure algorithm
// (discard, redo the prefix, then stop or park), exceptions, type filters.
#include "projection/apply.h"

#include <gtest/gtest.h>

#include "tests/projection/test_projections.h"

namespace duet {
namespace {

using projection::Applier;

std::vector<RecordedEvent> Batch(const std::vector<std::string>& types, uint64_t first = 1) {
  std::vector<RecordedEvent> events;
  for (size_t i = 0; i < types.size(); ++i) {
    RecordedEvent e;
    e.stream = "s";
    e.version = StreamVersion(first - 1 + i);
    e.position = GlobalPosition(first + i);
    e.type = types[i];
    events.push_back(std::move(e));
  }
  return events;
}

int64_t CountOf(DocumentStore& store, const std::string& key) {
  auto read = store.Get(key);
  if (!read.ok() || !read->doc) return -1;
  return read->doc->at("count").as_int64();
}

class ApplyBatchTest : public ::testing::Test {
 protected:
  std::atomic<bool> poisoned_{true};
  std::unique_ptr<DocumentStore> store_ = NewMemoryDocumentStore();
};

TEST_F(ApplyBatchTest, AppliesHandledTypesAndCommitsTheLastPosition) {
  testing::CountingProjection counting(testing::Info("p", 1, FailurePolicy::kStop, {"A"}));
  Applier applier(&counting);
  auto result = applier.ApplyBatch(*store_, Batch({"A", "B", "A", "B"}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->committed, GlobalPosition(4));  // unhandled events advance it too
  EXPECT_EQ(result->events, 4u);
  EXPECT_FALSE(result->failure);
  EXPECT_EQ(store_->checkpoint(), GlobalPosition(4));
  EXPECT_EQ(CountOf(*store_, "s"), 2);
}

TEST_F(ApplyBatchTest, StopPolicyCommitsUpToTheEventBeforeAndDiscardsItsWrites) {
  testing::PoisonProjection poison(testing::Info("p"), &poisoned_);
  Applier applier(&poison);
  auto result = applier.ApplyBatch(*store_, Batch({"A", "A", "Poison", "A", "A"}));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->failure);
  EXPECT_EQ(result->failure->position, GlobalPosition(3));
  EXPECT_NE(result->failure->error.find("poison"), std::string::npos) << result->failure->error;
  EXPECT_EQ(result->committed, GlobalPosition(2));
  EXPECT_EQ(store_->checkpoint(), GlobalPosition(2));
  // The poison event counted before failing; that write was discarded, and
  // nothing after it was applied.
  EXPECT_EQ(CountOf(*store_, "s"), 2);
  auto parked = store_->Parked();
  ASSERT_TRUE(parked.ok());
  EXPECT_TRUE(parked->empty());
}

TEST_F(ApplyBatchTest, StopPolicyFailingOnTheFirstEventCommitsNothing) {
  testing::PoisonProjection poison(testing::Info("p"), &poisoned_);
  Applier applier(&poison);
  auto result = applier.ApplyBatch(*store_, Batch({"Poison", "A"}));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->failure);
  EXPECT_EQ(result->failure->position, GlobalPosition(1));
  EXPECT_EQ(store_->checkpoint(), kNoPosition);
  EXPECT_EQ(CountOf(*store_, "s"), -1);
  // The store's transaction was released: the next batch can begin.
  poisoned_ = false;
  auto retry = applier.ApplyBatch(*store_, Batch({"Poison", "A"}));
  ASSERT_TRUE(retry.ok()) << retry.status();
  EXPECT_EQ(CountOf(*store_, "s"), 2);
}

TEST_F(ApplyBatchTest, ParkPolicyParksEachFailureAndAppliesTheRest) {
  testing::PoisonProjection poison(testing::Info("p", 1, FailurePolicy::kPark), &poisoned_);
  Applier applier(&poison);
  auto result = applier.ApplyBatch(*store_, Batch({"A", "Poison", "A", "Poison", "A"}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->failure);
  EXPECT_EQ(result->parked, 2u);
  EXPECT_EQ(store_->checkpoint(), GlobalPosition(5));
  EXPECT_EQ(CountOf(*store_, "s"), 3);
  auto parked = store_->Parked();
  ASSERT_TRUE(parked.ok());
  ASSERT_EQ(parked->size(), 2u);
  EXPECT_EQ((*parked)[0].position, GlobalPosition(2));
  EXPECT_EQ((*parked)[1].position, GlobalPosition(4));
  EXPECT_EQ((*parked)[1].stream, "s");
  EXPECT_EQ((*parked)[1].type, "Poison");
  EXPECT_NE((*parked)[1].error.find("poison"), std::string::npos);
}

TEST_F(ApplyBatchTest, AnExceptionFromApplyIsAFailure) {
  testing::PoisonProjection poison(testing::Info("p"), &poisoned_);
  Applier applier(&poison);
  auto result = applier.ApplyBatch(*store_, Batch({"A", "Throw"}));
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(result->failure);
  EXPECT_EQ(result->failure->position, GlobalPosition(2));
  EXPECT_NE(result->failure->error.find("boom"), std::string::npos) << result->failure->error;
  EXPECT_EQ(store_->checkpoint(), GlobalPosition(1));
}

TEST_F(ApplyBatchTest, AStoreErrorCommitsNothing) {
  testing::CountingProjection counting(testing::Info("p"));
  Applier applier(&counting);
  auto held = store_->Begin();  // a second transaction cannot begin
  ASSERT_TRUE(held.ok());
  auto result = applier.ApplyBatch(*store_, Batch({"A"}));
  EXPECT_FALSE(result.ok());
  held->reset();
  EXPECT_EQ(store_->checkpoint(), kNoPosition);
}

// Stored "Old" is two "New" today, "Gone" is nothing, "Bad" cannot be read.
std::shared_ptr<const UpcasterChain> SplitDropFailChain() {
  auto two_new = [](const UpcastEvent& e) -> Result<std::vector<UpcastEvent>> {
    return std::vector<UpcastEvent>{{"New", 1, e.data}, {"New", 1, e.data}};
  };
  auto nothing = [](const UpcastEvent&) -> Result<std::vector<UpcastEvent>> {
    return std::vector<UpcastEvent>{};
  };
  auto fails = [](const UpcastEvent&) -> Result<std::vector<UpcastEvent>> {
    return Status::InvalidArgument("data", "unreadable");
  };
  return UpcasterChain::Make({{"Old", 1, two_new}, {"Gone", 1, nothing}, {"Bad", 1, fails}})
      .value();
}

std::vector<RecordedEvent> JsonBatch(const std::vector<std::string>& types) {
  std::vector<RecordedEvent> events = Batch(types);
  for (RecordedEvent& e : events) e.data = "{}";
  return events;
}

TEST_F(ApplyBatchTest, UpcastEventsReachTheProjectionUnderTheirTypesOfToday) {
  testing::CountingProjection counting(testing::Info("p", 1, FailurePolicy::kStop, {"New"}));
  Applier applier(&counting, SplitDropFailChain());
  auto result = applier.ApplyBatch(*store_, JsonBatch({"Old", "Gone", "New"}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_FALSE(result->failure);
  EXPECT_EQ(result->committed, GlobalPosition(3));
  EXPECT_EQ(CountOf(*store_, "s"), 3);  // two from the split Old, the New; Gone dropped
}

TEST_F(ApplyBatchTest, AnEventTheUpcastersFailOnIsParkedAsStored) {
  testing::CountingProjection counting(testing::Info("p", 1, FailurePolicy::kPark, {"New"}));
  Applier applier(&counting, SplitDropFailChain());
  auto result = applier.ApplyBatch(*store_, JsonBatch({"New", "Bad", "Old"}));
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->parked, 1u);
  EXPECT_EQ(store_->checkpoint(), GlobalPosition(3));
  EXPECT_EQ(CountOf(*store_, "s"), 3);
  auto parked = store_->Parked();
  ASSERT_TRUE(parked.ok());
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ((*parked)[0].position, GlobalPosition(2));
  EXPECT_EQ((*parked)[0].type, "Bad");
  EXPECT_NE((*parked)[0].error.find("upcast_failed"), std::string::npos) << (*parked)[0].error;
}

}  // namespace
}  // namespace duet
