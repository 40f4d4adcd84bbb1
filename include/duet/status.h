// Status: the outcome of an operation that can fail. Every failure a caller
// can act on has its own code (see docs/errors.md), so callers branch on
// code(), never on message text.
//
// Thread-compatible value type.
#ifndef DUET_STATUS_H_
#define DUET_STATUS_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace duet {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument = 1,       // bad input; subject() names the field
  kNotFound = 2,              // subject() names what was missing
  kWrongExpectedVersion = 3,  // optimistic concurrency conflict
  kDomainRuleViolated = 4,    // subject() names the rule
  kCorruption = 5,            // bytes on disk or wire fail their checks
  kIOError = 6,               // storage failure; the store may be read-only now
  kStorageFull = 7,           // no space left; nothing was written
  kBusy = 8,                  // resource held by another process (lock file)
  kUnauthorized = 9,
  kForbidden = 10,
  kOverloaded = 11,
  kTimeout = 12,             // a bounded wait ended before its condition held
  kFailedPrecondition = 13,  // not valid in this state: a fault of the program (HTTP 500)
  kConflict = 14,            // conflicts with work in progress, e.g. an unswitched rebuild (409)
  kUnavailable = 15,         // the store's server cannot be reached; retry (503)
  // A rebuild of that projection is already running (409).
  kRebuildRunning = 16,
  // A command id used before by a command of another type or body (422).
  kIdempotencyKeyReused = 17,
  // A stored event could not be brought to its current shape: the upcaster
  // chain is ill-formed (a gap, a loop) or an upcaster failed (500).
  kUpcastFailed = 18,
};

// Stable lower-case name of a code, e.g. "wrong_expected_version".
std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK

  static Status OK() { return Status(); }
  // `field` names the offending input, `reason` says what is wrong with it.
  static Status InvalidArgument(std::string_view field, std::string_view reason);
  static Status NotFound(std::string_view what, std::string_view message = {});
  // `actual` is the stream's current version, nullopt when the stream does
  // not exist. `expected` describes what the caller asked for.
  static Status WrongExpectedVersion(std::string_view stream, std::string_view expected,
                                     std::optional<uint64_t> actual);
  static Status DomainRuleViolated(std::string_view rule, std::string_view message);
  static Status Corruption(std::string_view message);
  static Status IOError(std::string_view message);
  static Status StorageFull(std::string_view message);
  static Status Busy(std::string_view message);
  static Status Unauthorized(std::string_view message);
  // `subject` names what was refused, e.g. "authorization" (the header) or
  // "scope" (the missing permission).
  static Status Unauthorized(std::string_view subject, std::string_view message);
  static Status Forbidden(std::string_view message);
  static Status Forbidden(std::string_view subject, std::string_view message);
  static Status Overloaded(std::string_view message);
  static Status Timeout(std::string_view message);
  // A read model that had not reached a requested position in time ("not
  // yet"): kTimeout whose position() is where the read model is.
  static Status NotYet(std::string_view read_model, uint64_t position);
  // The operation is not valid in the object's state, and waiting will not
  // make it valid: a handler threw, the log is closing, a thing was
  // registered twice. A fault of the program or the server, not the caller.
  static Status FailedPrecondition(std::string_view message);
  // The operation conflicts with work in progress on the same object (a new
  // version of that projection is being rebuilt): nothing was done; retrying once
  // that work has ended can succeed. For a stream's version, use
  // WrongExpectedVersion.
  static Status Conflict(std::string_view message);
  // The event store's server (PostgreSQL) cannot be reached or the
  // connection broke. Nothing is acknowledged; when an append's COMMIT was
  // in flight its outcome is unknown and the message says so: retrying with
  // the same event ids or command id answers the original result if it
  // committed.
  static Status Unavailable(std::string_view message);
  // A rebuild of projection `projection` is already running: this request
  // started nothing. Its own code (not kConflict) so a caller that fires a
  // rebuild can tell "someone else's is running" from other conflicts.
  static Status RebuildRunning(std::string_view projection);
  // A command id (idempotency key) already recorded for another command type
  // or another body: nothing was done, and the first command's result is not
  // answered, since it is not this request's. subject() is "command_id".
  static Status IdempotencyKeyReused(std::string_view message);
  // Event type `type` could not be upcast (duet/upcast.h): a gap or a loop in
  // its upcaster chain, or an upcaster that threw, failed or returned data
  // that is not a JSON object. A fault of the program, like a decoder's.
  static Status UpcastFailed(std::string_view type, std::string_view message);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The field (bad input), rule (domain), stream (conflict) or missing thing.
  const std::string& subject() const { return subject_; }
  // For kWrongExpectedVersion: the stream's actual version (nullopt: no stream).
  std::optional<uint64_t> actual_version() const { return actual_version_; }
  // For NotYet: the position the read model had reached.
  std::optional<uint64_t> position() const { return position_; }

  bool IsInvalidArgument() const { return code_ == StatusCode::kInvalidArgument; }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsWrongExpectedVersion() const { return code_ == StatusCode::kWrongExpectedVersion; }
  bool IsDomainRuleViolated() const { return code_ == StatusCode::kDomainRuleViolated; }
  bool IsCorruption() const { return code_ == StatusCode::kCorruption; }
  bool IsIOError() const { return code_ == StatusCode::kIOError; }
  bool IsTimeout() const { return code_ == StatusCode::kTimeout; }

  // "code: [subject: ]message", for logs and CLI output.
  std::string ToString() const;

  friend bool operator==(const Status& a, const Status& b) = default;

 private:
  Status(StatusCode code, std::string_view subject, std::string_view message)
      : code_(code), subject_(subject), message_(message) {}

  StatusCode code_ = StatusCode::kOk;
  std::string subject_;
  std::string message_;
  std::optional<uint64_t> actual_version_;
  std::optional<uint64_t> position_;
};

inline std::ostream& operator<<(std::ostream& os, const Status& s) { return os << s.ToString(); }

}  // namespace duet

// Propagates a non-OK Status from the enclosing function.
#define DUET_RETURN_IF_ERROR(expr)               \
  do {                                           \
    ::duet::Status duet_status_ = (expr);        \
    if (!duet_status_.ok()) return duet_status_; \
  } while (0)

#endif  // DUET_STATUS_H_
