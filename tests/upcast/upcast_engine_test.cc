// The projection engine reads through its upcasters on every path: the live
// runner, a parked event retried (RetryParked) and a rebuild.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "duet/embedded_store.h"
#include "duet/projection_engine.h"
#include "duet/upcast.h"
#include "tests/projection/test_projections.h"
#include "tests/support/temp_dir.h"

namespace duet {
namespace {

constexpr std::chrono::milliseconds kLongWait{60'000};  // a bound against hangs only

// Whether the upcaster of "Flaky" fails, as one with a bug does until fixed.
std::atomic<bool> g_flaky_unreadable{true};

// Stored "Flaky" is a "Happened" today.
Result<std::vector<UpcastEvent>> FlakyV1(const UpcastEvent& event) {
  if (g_flaky_unreadable) return Status::InvalidArgument("data", "cannot read it yet");
  return std::vector<UpcastEvent>{{"Happened", 1, event.data}};
}

int64_t Count(ProjectionEngine& engine, const std::string& stream) {
  auto store = engine.ServingStore("p");
  if (!store.ok()) return -1;
  auto read = static_cast<DocumentStore&>(**store).Get(stream);
  if (!read.ok() || !read->doc) return -1;
  return read->doc->at("count").as_int64();
}

TEST(UpcastEngineTest, AParkedEventIsRetriedAndRebuiltThroughTheUpcasters) {
  g_flaky_unreadable = true;
  testing::TempDir dir;
  auto store = EmbeddedStore::Open(dir.path() / "data", testing::FastStoreOptions());
  ASSERT_TRUE(store.ok()) << store.status();
  testing::AppendEvents(**store, "s", 2);
  const GlobalPosition head = testing::AppendEvents(**store, "s", 1, "Flaky");
  ProjectionEngineOptions options;
  options.in_memory = true;
  options.upcasters = UpcasterChain::Make({{"Flaky", 1, FlakyV1}}).value();
  auto engine = ProjectionEngine::Open(store->get(), dir.path() / "readstores", options);
  ASSERT_TRUE(engine.ok()) << engine.status();
  ASSERT_TRUE((*engine)
                  ->Add(std::make_unique<testing::CountingProjection>(
                      testing::Info("p", 1, FailurePolicy::kPark, {"Happened"})))
                  .ok());
  ASSERT_EQ((*engine)->WaitFor("p", head, kLongWait).value(), head);
  EXPECT_EQ(Count(**engine, "s"), 2);
  auto parked = (*(*engine)->ServingStore("p"))->Parked();
  ASSERT_TRUE(parked.ok());
  ASSERT_EQ(parked->size(), 1u);
  EXPECT_EQ((*parked)[0].type, "Flaky");
  EXPECT_NE((*parked)[0].error.find("upcast_failed"), std::string::npos) << (*parked)[0].error;

  g_flaky_unreadable = false;  // the fix
  Result<uint64_t> remaining = (*engine)->RetryParked("p");
  ASSERT_TRUE(remaining.ok()) << remaining.status();
  EXPECT_EQ(*remaining, 0u);
  EXPECT_EQ(Count(**engine, "s"), 3);

  Result<ProjectionStatus> rebuilt =
      RebuildAndWait(**engine, "p", std::chrono::milliseconds(10), nullptr);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
  EXPECT_EQ(rebuilt->parked, 0u);
  EXPECT_EQ(Count(**engine, "s"), 3);
}

}  // namespace
}  // namespace duet
