#include "tests/support/linearizability.h"

#include <algorithm>
#include <sstream>

namespace duet::testing::linearizability {
namespace {

// Where an operation's one commit landed in the log.
struct Commit {
  uint64_t first = 0;  // position of its first event
  uint64_t last = 0;   // position of its last event
};

class Checker {
 public:
  Checker(const std::vector<Operation>& history, const std::vector<LoggedEvent>& log,
          const DomainHooks& hooks)
      : history_(history), log_(log), hooks_(hooks) {}

  std::vector<Violation> Run() {
    CheckLogShape();
    GroupEffects();
    for (const Operation& op : history_) CheckOperation(op);
    CheckRealTimeOrder();
    if (hooks_.refusal_justified_at) CheckRefusals();
    if (hooks_.replay) CheckFinalState();
    return std::move(violations_);
  }

 private:
  void Report(ViolationKind kind, std::string detail) {
    violations_.push_back(Violation{kind, std::move(detail)});
  }

  // Positions 1, 2, 3, ... across the log; versions 0, 1, 2, ... per stream.
  void CheckLogShape() {
    std::map<std::string, uint64_t> next_version;
    for (size_t i = 0; i < log_.size(); ++i) {
      const LoggedEvent& e = log_[i];
      if (i > 0 && e.position != log_[i - 1].position + 1) {
        Report(ViolationKind::kPositionGapOrReuse, "position " + std::to_string(e.position) +
                                                       " follows " +
                                                       std::to_string(log_[i - 1].position));
      }
      uint64_t& expected = next_version[e.stream];
      if (e.version != expected) {
        Report(ViolationKind::kVersionGapOrReuse,
               e.stream + " has version " + std::to_string(e.version) + " at position " +
                   std::to_string(e.position) + " where " + std::to_string(expected) + " was due");
      }
      expected = e.version + 1;
    }
  }

  void GroupEffects() {
    for (const Operation& op : history_) ops_[op.command_id] = &op;
    for (const LoggedEvent& e : log_) {
      if (ops_.count(e.command_id) == 0) {
        Report(ViolationKind::kPhantom, e.stream + "@" + std::to_string(e.version) +
                                            " carries command id '" + e.command_id +
                                            "' that no operation sent");
        continue;
      }
      effects_[e.command_id].push_back(&e);
    }
  }

  void CheckOperation(const Operation& op) {
    const std::vector<const LoggedEvent*>& events = effects_[op.command_id];
    const std::string who = "'" + op.command_id + "' (" + op.request + ")";
    bool one_commit = true;
    for (size_t i = 1; i < events.size(); ++i) {
      one_commit = one_commit && events[i]->position == events[i - 1]->position + 1;
    }
    if (events.size() > op.events || !one_commit) {
      Report(ViolationKind::kDuplicated, who + " has " + std::to_string(events.size()) +
                                             " events in the log, one application appends " +
                                             std::to_string(op.events));
      return;
    }
    if (!events.empty())
      commits_[op.command_id] = Commit{events.front()->position, events.back()->position};
    switch (op.outcome) {
      case Outcome::kRefused:
        if (!events.empty()) {
          Report(ViolationKind::kRefusedButApplied, who + " was refused (" + op.error +
                                                        ") but is in the log at position " +
                                                        std::to_string(events.front()->position));
        }
        break;
      case Outcome::kAcknowledged:
        if (events.size() < op.events) {
          Report(ViolationKind::kAcknowledgedButMissing,
                 who + " was acknowledged but " + std::to_string(op.events - events.size()) +
                     " of its " + std::to_string(op.events) + " events are not in the log");
          break;
        }
        CheckAcknowledgement(op, who, events);
        break;
      case Outcome::kUnknown:
        if (!events.empty() && events.size() < op.events) {
          Report(ViolationKind::kAcknowledgedButMissing,
                 who + " is in the log only in part (" + std::to_string(events.size()) + " of " +
                     std::to_string(op.events) + " events)");
        }
        break;
    }
  }

  void CheckAcknowledgement(const Operation& op, const std::string& who,
                            const std::vector<const LoggedEvent*>& events) {
    for (const AckedVersion& acked : op.acked_versions) {
      const LoggedEvent* last = nullptr;
      for (const LoggedEvent* e : events) {
        if (e->stream == acked.stream) last = e;
      }
      if (last == nullptr || last->version != acked.version) {
        Report(ViolationKind::kAckMismatch,
               who + " was acknowledged at " + acked.stream + "@" + std::to_string(acked.version) +
                   ", the log has " +
                   (last ? acked.stream + "@" + std::to_string(last->version)
                         : "no event of it in " + acked.stream));
      }
    }
    if (op.acked_position && *op.acked_position != events.back()->position) {
      Report(ViolationKind::kAckMismatch,
             who + " was acknowledged at position " + std::to_string(*op.acked_position) +
                 ", its commit ends at " + std::to_string(events.back()->position));
    }
  }

  // Acknowledged operations in the log, by return time, with the running
  // maximum of their commits' last positions: what every later invocation
  // must come after.
  struct Returned {
    Clock::time_point at;
    uint64_t max_last = 0;
    const Operation* op_of_max = nullptr;
  };

  void BuildReturned() {
    std::vector<const Operation*> acked;
    for (const Operation& op : history_) {
      if (op.outcome == Outcome::kAcknowledged && commits_.count(op.command_id)) {
        acked.push_back(&op);
      }
    }
    std::sort(acked.begin(), acked.end(),
              [](const Operation* a, const Operation* b) { return a->returned < b->returned; });
    Returned running;
    for (const Operation* op : acked) {
      const uint64_t last = commits_[op->command_id].last;
      if (running.op_of_max == nullptr || last > running.max_last) {
        running.max_last = last;
        running.op_of_max = op;
      }
      running.at = op->returned;
      returned_.push_back(running);
    }
  }

  // The newest commit of an acknowledged operation that returned before
  // `invoked`; nullptr if none did.
  const Returned* LatestBefore(Clock::time_point invoked) const {
    auto it = std::lower_bound(returned_.begin(), returned_.end(), invoked,
                               [](const Returned& r, Clock::time_point t) { return r.at < t; });
    return it == returned_.begin() ? nullptr : &*std::prev(it);
  }

  void CheckRealTimeOrder() {
    BuildReturned();
    for (const Operation& op : history_) {
      auto commit = commits_.find(op.command_id);
      if (commit == commits_.end()) continue;
      const Returned* before = LatestBefore(op.invoked);
      if (before != nullptr && before->max_last > commit->second.first) {
        Report(ViolationKind::kRealTimeOrder,
               "'" + before->op_of_max->command_id + "' returned before '" + op.command_id +
                   "' was invoked, yet committed at " + std::to_string(before->max_last) +
                   ", after it (" + std::to_string(commit->second.first) + ")");
      }
    }
  }

  // A refusal answers about the state at some instant of its call: some log
  // prefix at least as long as every commit acknowledged before the call and
  // no longer than every commit invoked before it returned.
  void CheckRefusals() {
    for (const Operation& op : history_) {
      if (op.outcome != Outcome::kRefused) continue;
      const Returned* before = LatestBefore(op.invoked);
      const uint64_t lo = before ? before->max_last : 0;
      uint64_t hi = lo;
      for (const Operation& other : history_) {
        auto commit = commits_.find(other.command_id);
        if (commit != commits_.end() && other.invoked < op.returned) {
          hi = std::max(hi, commit->second.last);
        }
      }
      bool justified = false;
      for (uint64_t p = lo; p <= hi && !justified; ++p) {
        justified = hooks_.refusal_justified_at(op, p);
      }
      if (!justified) {
        Report(ViolationKind::kRefusalNotJustified,
               "'" + op.command_id + "' (" + op.request + ") was refused (" + op.error +
                   ") but no state between positions " + std::to_string(lo) + " and " +
                   std::to_string(hi) + " justifies that");
      }
    }
  }

  void CheckFinalState() {
    std::map<std::string, std::vector<LoggedEvent>> streams;
    for (const LoggedEvent& e : log_) streams[e.stream].push_back(e);
    for (const auto& [stream, observed] : hooks_.observed_final_state) {
      const std::string replayed = hooks_.replay(streams[stream]);
      if (replayed != observed) {
        Report(ViolationKind::kFinalStateMismatch,
               stream + " is observed as " + observed + ", the log replays to " + replayed);
      }
    }
  }

  const std::vector<Operation>& history_;
  const std::vector<LoggedEvent>& log_;
  const DomainHooks& hooks_;
  std::map<std::string, const Operation*> ops_;
  std::map<std::string, std::vector<const LoggedEvent*>> effects_;
  std::map<std::string, Commit> commits_;
  std::vector<Returned> returned_;
  std::vector<Violation> violations_;
};

}  // namespace

std::string_view KindName(ViolationKind kind) {
  switch (kind) {
    case ViolationKind::kAcknowledgedButMissing: return "acknowledged-but-missing";
    case ViolationKind::kDuplicated: return "duplicated";
    case ViolationKind::kVersionGapOrReuse: return "version-gap-or-reuse";
    case ViolationKind::kPositionGapOrReuse: return "position-gap-or-reuse";
    case ViolationKind::kAckMismatch: return "ack-mismatch";
    case ViolationKind::kRealTimeOrder: return "real-time-order";
    case ViolationKind::kRefusedButApplied: return "refused-but-applied";
    case ViolationKind::kPhantom: return "phantom";
    case ViolationKind::kRefusalNotJustified: return "refusal-not-justified";
    case ViolationKind::kFinalStateMismatch: return "final-state-mismatch";
  }
  return "?";
}

std::vector<Violation> Check(const std::vector<Operation>& history,
                             const std::vector<LoggedEvent>& log, const DomainHooks& hooks) {
  return Checker(history, log, hooks).Run();
}

std::string Describe(const std::vector<Violation>& violations) {
  std::ostringstream out;
  for (const Violation& v : violations) out << KindName(v.kind) << ": " << v.detail << "\n";
  return out.str();
}

std::vector<ViolationKind> Kinds(const std::vector<Violation>& violations) {
  std::vector<ViolationKind> kinds;
  for (const Violation& v : violations) kinds.push_back(v.kind);
  return kinds;
}

}  // namespace duet::testing::linearizability
