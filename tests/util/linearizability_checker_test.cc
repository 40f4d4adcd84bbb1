// The linearizability checker fed hand-made histories: a clean one passes, and
// each kind of violation, planted alone, is reported as exactly that kind.
#include <gtest/gtest.h>

#include "tests/support/linearizability.h"

namespace duet::testing::linearizability {
namespace {

Clock::time_point At(int second) { return Clock::time_point{} + std::chrono::seconds(second); }

Operation Acked(std::string id, int invoked, int returned, std::string stream, uint64_t version,
                uint64_t position) {
  Operation op;
  op.command_id = std::move(id);
  op.request = "append to " + stream;
  op.invoked = At(invoked);
  op.returned = At(returned);
  op.outcome = Outcome::kAcknowledged;
  op.acked_versions = {AckedVersion{std::move(stream), version}};
  op.acked_position = position;
  return op;
}

Operation Refused(std::string id, int invoked, int returned) {
  Operation op;
  op.command_id = std::move(id);
  op.request = "withdraw";
  op.invoked = At(invoked);
  op.returned = At(returned);
  op.outcome = Outcome::kRefused;
  op.error = "no-overdraft";
  return op;
}

LoggedEvent Event(std::string stream, uint64_t version, uint64_t position, std::string id) {
  return LoggedEvent{std::move(stream), version, position, std::move(id), "Appended", "{}"};
}

// a (acked s@0, pos 1) returns before b (acked s@1, pos 2) and the refused c
// are invoked; d timed out and never took effect.
class CheckerTest : public ::testing::Test {
 protected:
  CheckerTest() {
    history_ = {Acked("a", 0, 1, "s", 0, 1), Acked("b", 2, 3, "s", 1, 2), Refused("c", 2, 3)};
    Operation unknown;
    unknown.command_id = "d";
    unknown.invoked = At(2);
    unknown.returned = At(9);
    history_.push_back(unknown);
    log_ = {Event("s", 0, 1, "a"), Event("s", 1, 2, "b")};
  }

  std::vector<ViolationKind> Found(const DomainHooks& hooks = {}) {
    std::vector<Violation> violations = Check(history_, log_, hooks);
    return Kinds(violations);
  }

  std::vector<Operation> history_;
  std::vector<LoggedEvent> log_;
};

using KindList = std::vector<ViolationKind>;

TEST_F(CheckerTest, CleanHistoryPasses) { EXPECT_EQ(Describe(Check(history_, log_)), ""); }

TEST_F(CheckerTest, UnknownOutcomeMayHaveTakenEffect) {
  history_[3].acked_versions.clear();
  log_.push_back(Event("s", 2, 3, "d"));
  EXPECT_EQ(Found(), KindList{});
}

TEST_F(CheckerTest, AcknowledgedButMissing) {
  log_.pop_back();
  EXPECT_EQ(Found(), KindList{ViolationKind::kAcknowledgedButMissing});
}

TEST_F(CheckerTest, AcknowledgedMultiEventCommandOnlyInPartIsMissing) {
  history_[1].events = 2;
  EXPECT_EQ(Found(), KindList{ViolationKind::kAcknowledgedButMissing});
}

TEST_F(CheckerTest, Duplicated) {
  log_.push_back(Event("s", 2, 3, "a"));
  EXPECT_EQ(Found(), KindList{ViolationKind::kDuplicated});
}

TEST_F(CheckerTest, VersionGap) {
  log_[1].version = 2;
  history_[1].acked_versions[0].version = 2;
  EXPECT_EQ(Found(), KindList{ViolationKind::kVersionGapOrReuse});
}

TEST_F(CheckerTest, VersionReuse) {
  log_[1].version = 0;
  history_[1].acked_versions[0].version = 0;
  EXPECT_EQ(Found(), KindList{ViolationKind::kVersionGapOrReuse});
}

TEST_F(CheckerTest, PositionGap) {
  log_[1].position = 3;
  history_[1].acked_position = 3;
  EXPECT_EQ(Found(), KindList{ViolationKind::kPositionGapOrReuse});
}

TEST_F(CheckerTest, AcknowledgedVersionNotInTheLog) {
  history_[1].acked_versions[0].version = 5;
  EXPECT_EQ(Found(), KindList{ViolationKind::kAckMismatch});
}

TEST_F(CheckerTest, AcknowledgedPositionNotInTheLog) {
  history_[1].acked_position = 7;
  EXPECT_EQ(Found(), KindList{ViolationKind::kAckMismatch});
}

TEST_F(CheckerTest, RealTimeOrderViolated) {
  // b committed first although a had returned before b was invoked.
  log_ = {Event("s", 0, 1, "b"), Event("s", 1, 2, "a")};
  history_[0].acked_versions[0].version = 1;
  history_[0].acked_position = 2;
  history_[1].acked_versions[0].version = 0;
  history_[1].acked_position = 1;
  EXPECT_EQ(Found(), KindList{ViolationKind::kRealTimeOrder});
}

TEST_F(CheckerTest, OverlappingOperationsMayCommitInEitherOrder) {
  history_[0].returned = At(5);  // a and b now overlap
  log_ = {Event("s", 0, 1, "b"), Event("s", 1, 2, "a")};
  history_[0].acked_versions[0].version = 1;
  history_[0].acked_position = 2;
  history_[1].acked_versions[0].version = 0;
  history_[1].acked_position = 1;
  EXPECT_EQ(Found(), KindList{});
}

TEST_F(CheckerTest, RefusedButApplied) {
  log_.push_back(Event("s", 2, 3, "c"));
  EXPECT_EQ(Found(), KindList{ViolationKind::kRefusedButApplied});
}

TEST_F(CheckerTest, EventOfNoOperationIsAPhantom) {
  log_.push_back(Event("s", 2, 3, "nobody"));
  EXPECT_EQ(Found(), KindList{ViolationKind::kPhantom});
}

TEST_F(CheckerTest, RefusalJustifiedByAStateDuringTheCallPasses) {
  DomainHooks hooks;
  hooks.refusal_justified_at = [](const Operation&, uint64_t position) { return position == 2; };
  EXPECT_EQ(Found(hooks), KindList{});
}

TEST_F(CheckerTest, RefusalJustifiedOnlyByAStateBeforeTheCallIsNot) {
  // c was invoked after a returned, so the empty log (position 0) was no
  // longer current: a refusal resting on it was decided on a stale state.
  DomainHooks hooks;
  hooks.refusal_justified_at = [](const Operation&, uint64_t position) { return position == 0; };
  EXPECT_EQ(Found(hooks), KindList{ViolationKind::kRefusalNotJustified});
}

TEST_F(CheckerTest, FinalStateEqualToTheReplayPasses) {
  DomainHooks hooks;
  hooks.replay = [](const std::vector<LoggedEvent>& events) {
    return std::to_string(events.size());
  };
  hooks.observed_final_state = {{"s", "2"}};
  EXPECT_EQ(Found(hooks), KindList{});
}

TEST_F(CheckerTest, FinalStateDifferentFromTheReplay) {
  DomainHooks hooks;
  hooks.replay = [](const std::vector<LoggedEvent>& events) {
    return std::to_string(events.size());
  };
  hooks.observed_final_state = {{"s", "3"}};
  EXPECT_EQ(Found(hooks), KindList{ViolationKind::kFinalStateMismatch});
}

}  // namespace
}  // namespace duet::testing::linearizability
