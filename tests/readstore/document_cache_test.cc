#include "readstore/document_cache.h"

#include <gtest/gtest.h>

namespace duet::readstore {
namespace {

CachedDocument Doc(int n) {
  return CachedDocument{std::make_shared<const boost::json::object>(boost::json::object{{"n", n}}),
                        std::make_shared<const IndexEntries>()};
}

TEST(DocumentCacheTest, StaysWithinCapacity) {
  DocumentCache cache(3, kNoPosition);
  for (int i = 0; i < 10; ++i) {
    std::unique_lock lock(cache.mutex());
    (void)cache.PutLocked("k" + std::to_string(i), Doc(i));
  }
  int present = 0;
  for (int i = 0; i < 10; ++i) present += cache.Lookup("k" + std::to_string(i)).found ? 1 : 0;
  EXPECT_EQ(present, 3);
}

TEST(DocumentCacheTest, PutReturnsTheReplacedEntry) {
  DocumentCache cache(10, kNoPosition);
  std::unique_lock lock(cache.mutex());
  EXPECT_EQ(cache.PutLocked("k", Doc(1)).doc, nullptr);
  CachedDocument old = cache.PutLocked("k", Doc(2));
  ASSERT_NE(old.doc, nullptr);
  EXPECT_EQ(old.doc->at("n").to_number<int>(), 1);
}

TEST(DocumentCacheTest, HitsCarryTheCheckpointPublishedWithThem) {
  DocumentCache cache(10, GlobalPosition(4));
  EXPECT_EQ(cache.Lookup("k").checkpoint, GlobalPosition(4));
  {
    std::unique_lock lock(cache.mutex());
    (void)cache.PutLocked("k", Doc(1));
    cache.PublishLocked(GlobalPosition(9));
  }
  auto hit = cache.Lookup("k");
  ASSERT_TRUE(hit.found);
  EXPECT_EQ(hit.checkpoint, GlobalPosition(9));
}

TEST(DocumentCacheTest, AFillFromBeforeACommitIsDropped) {
  DocumentCache cache(10, kNoPosition);
  const uint64_t seen = cache.Lookup("k").generation;  // a reader misses...
  {
    std::unique_lock lock(cache.mutex());  // ...a commit happens...
    cache.PublishLocked(GlobalPosition(1));
  }
  cache.FillIfCurrent("k", Doc(0), seen);  // ...and its stale read must not land
  EXPECT_FALSE(cache.Lookup("k").found);
  cache.FillIfCurrent("k", Doc(1), cache.Lookup("k").generation);
  EXPECT_TRUE(cache.Lookup("k").found);
}

TEST(DocumentCacheTest, ZeroCapacityCachesNothing) {
  DocumentCache cache(0, kNoPosition);
  cache.FillIfCurrent("k", Doc(1), 0);
  EXPECT_FALSE(cache.Lookup("k").found);
}

}  // namespace
}  // namespace duet::readstore
