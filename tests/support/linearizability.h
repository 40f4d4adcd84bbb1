// A linearizability-style checker for optimistic concurrency, independent of
// any domain: it compares what clients saw (a history of operations with
// their invoke/return times and answers) with the log as read back
// afterwards, and names every way the two disagree.
//
// The model: every operation that took effect did so in one commit, whose
// events all carry the operation's command id (in metadata); the log order is
// the linearization order. So:
//   - an acknowledged operation is in the log exactly once, where its
//     acknowledgement says (stream versions, position);
//   - a refused operation is not in the log at all; an unknown one (timeout,
//     lost connection) may be there once or not at all;
//   - versions in a stream are 0, 1, 2, ... and positions 1, 2, 3, ...
//   - an operation that returned before another was invoked commits first;
//   - optionally (domain hooks), a refusal is justified by the state at some
//     log position within its call, and each stream's observed final state
//     equals the replay of its events.
//
// Usage: record Operations on client threads (Clock is monotonic), read the
// log back into LoggedEvents, call Check(), assert the report is empty (print
// Describe() on failure).
#ifndef DUET_TESTS_SUPPORT_LINEARIZABILITY_H_
#define DUET_TESTS_SUPPORT_LINEARIZABILITY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace duet::testing::linearizability {

using Clock = std::chrono::steady_clock;

enum class Outcome {
  kAcknowledged,  // the client was told it took effect
  kRefused,       // the client was told it did not (a named error)
  kUnknown,       // no answer (timeout, connection lost): either is allowed
};

// One stream's part of an acknowledgement: the stream's version after the op.
struct AckedVersion {
  std::string stream;
  uint64_t version = 0;
};

struct Operation {
  std::string command_id;  // unique per operation; carried by every event it appends
  std::string request;     // what was sent, for the report
  Clock::time_point invoked;
  Clock::time_point returned;
  Outcome outcome = Outcome::kUnknown;
  // One application of the operation appends this many events (all streams,
  // bookkeeping records included).
  size_t events = 1;
  // kAcknowledged: the versions and position the client was told.
  std::vector<AckedVersion> acked_versions;
  std::optional<uint64_t> acked_position;
  // kRefused: the named error (e.g. "no-overdraft", "wrong_expected_version").
  std::string error;
};

struct LoggedEvent {
  std::string stream;
  uint64_t version = 0;
  uint64_t position = 0;
  std::string command_id;  // from the event's metadata; empty if none
  std::string type;
  std::string data;
};

enum class ViolationKind {
  kAcknowledgedButMissing,  // acknowledged, yet (some of) its events are not in the log
  kDuplicated,              // one command id applied more than once
  kVersionGapOrReuse,       // a stream's versions are not 0, 1, 2, ... in log order
  kPositionGapOrReuse,      // the log's positions are not consecutive
  kAckMismatch,             // acknowledged version or position differs from the log
  kRealTimeOrder,           // returned before another was invoked, yet committed after it
  kRefusedButApplied,       // refused, yet its events are in the log
  kPhantom,                 // an event whose command id no operation sent
  kRefusalNotJustified,     // no state during the call justifies the refusal
  kFinalStateMismatch,      // an observed final state differs from the replay of the log
};

std::string_view KindName(ViolationKind kind);

struct Violation {
  ViolationKind kind;
  std::string detail;
};

// Domain knowledge the generic checks cannot have; each hook is optional.
struct DomainHooks {
  // True if the state of the log up to and including `position` (0: empty)
  // justifies refusing `op`.
  std::function<bool(const Operation& op, uint64_t position)> refusal_justified_at;
  // The state of a stream from its events (in version order), as text.
  std::function<std::string(const std::vector<LoggedEvent>& stream_events)> replay;
  // Stream -> the final state observed from outside (compared with replay).
  std::map<std::string, std::string> observed_final_state;
};

// Every violation found; empty when the history and the log agree. `log` is
// the whole log in position order.
std::vector<Violation> Check(const std::vector<Operation>& history,
                             const std::vector<LoggedEvent>& log, const DomainHooks& hooks = {});

// One line per violation ("<kind>: <detail>"), for assertion messages.
std::string Describe(const std::vector<Violation>& violations);

// The kinds found, in order, for tests of the checker.
std::vector<ViolationKind> Kinds(const std::vector<Violation>& violations);

}  // namespace duet::testing::linearizability

#endif  // DUET_TESTS_SUPPORT_LINEARIZABILITY_H_
