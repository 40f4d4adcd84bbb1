#include "duet/status.h"

#include <gtest/gtest.h>

namespace duet {
namespace {

// Names are part of the wire format (problem documents, metrics labels).
TEST(StatusTest, ConflictHasItsOwnCodeAndName) {
  const Status s = Status::Conflict("a rebuild of counts is running");
  EXPECT_EQ(s.code(), StatusCode::kConflict);
  EXPECT_EQ(StatusCodeName(StatusCode::kConflict), "conflict");
  EXPECT_EQ(s.message(), "a rebuild of counts is running");
  EXPECT_EQ(s.ToString(), "conflict: a rebuild of counts is running");
  EXPECT_NE(s, Status::FailedPrecondition("a rebuild of counts is running"));
  EXPECT_EQ(StatusCodeName(StatusCode::kFailedPrecondition), "failed_precondition");
}

TEST(StatusTest, UnavailableHasItsOwnCodeAndName) {
  const Status s = Status::Unavailable("postgresql: connection refused");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeName(StatusCode::kUnavailable), "unavailable");
  EXPECT_EQ(s.ToString(), "unavailable: postgresql: connection refused");
  EXPECT_NE(s, Status::IOError("postgresql: connection refused"));
}

}  // namespace
}  // namespace duet
