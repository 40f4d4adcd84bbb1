#include "duet/status.h"

#include <string>

namespace duet {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kWrongExpectedVersion: return "wrong_expected_version";
    case StatusCode::kDomainRuleViolated: return "domain_rule_violated";
    case StatusCode::kCorruption: return "corruption";
    case StatusCode::kIOError: return "io_error";
    case StatusCode::kStorageFull: return "storage_full";
    case StatusCode::kBusy: return "busy";
    case StatusCode::kUnauthorized: return "unauthorized";
    case StatusCode::kForbidden: return "forbidden";
    case StatusCode::kOverloaded: return "overloaded";
    case StatusCode::kTimeout: return "timeout";
    case StatusCode::kFailedPrecondition: return "failed_precondition";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kRebuildRunning: return "rebuild_running";
    case StatusCode::kIdempotencyKeyReused: return "idempotency_key_reused";
    case StatusCode::kUpcastFailed: return "upcast_failed";
  }
  return "unknown";
}

Status Status::InvalidArgument(std::string_view field, std::string_view reason) {
  return Status(StatusCode::kInvalidArgument, field, reason);
}
Status Status::NotFound(std::string_view what, std::string_view message) {
  return Status(StatusCode::kNotFound, what, message.empty() ? "not found" : message);
}
Status Status::WrongExpectedVersion(std::string_view stream, std::string_view expected,
                                    std::optional<uint64_t> actual) {
  std::string message = "expected version " + std::string(expected) + ", actual ";
  message += actual ? std::to_string(*actual) : std::string("no_stream");
  Status s(StatusCode::kWrongExpectedVersion, stream, message);
  s.actual_version_ = actual;
  return s;
}
Status Status::DomainRuleViolated(std::string_view rule, std::string_view message) {
  return Status(StatusCode::kDomainRuleViolated, rule, message);
}
Status Status::Corruption(std::string_view message) {
  return Status(StatusCode::kCorruption, {}, message);
}
Status Status::IOError(std::string_view message) {
  return Status(StatusCode::kIOError, {}, message);
}
Status Status::StorageFull(std::string_view message) {
  return Status(StatusCode::kStorageFull, {}, message);
}
Status Status::Busy(std::string_view message) { return Status(StatusCode::kBusy, {}, message); }
Status Status::Unauthorized(std::string_view message) {
  return Status(StatusCode::kUnauthorized, {}, message);
}
Status Status::Unauthorized(std::string_view subject, std::string_view message) {
  return Status(StatusCode::kUnauthorized, subject, message);
}
Status Status::Forbidden(std::string_view message) {
  return Status(StatusCode::kForbidden, {}, message);
}
Status Status::Forbidden(std::string_view subject, std::string_view message) {
  return Status(StatusCode::kForbidden, subject, message);
}
Status Status::Overloaded(std::string_view message) {
  return Status(StatusCode::kOverloaded, {}, message);
}
Status Status::Timeout(std::string_view message) {
  return Status(StatusCode::kTimeout, {}, message);
}

Status Status::NotYet(std::string_view read_model, uint64_t position) {
  Status s(StatusCode::kTimeout, read_model,
           "not yet: the read model is at position " + std::to_string(position));
  s.position_ = position;
  return s;
}
Status Status::FailedPrecondition(std::string_view message) {
  return Status(StatusCode::kFailedPrecondition, {}, message);
}
Status Status::Conflict(std::string_view message) {
  return Status(StatusCode::kConflict, {}, message);
}
Status Status::Unavailable(std::string_view message) {
  return Status(StatusCode::kUnavailable, {}, message);
}
Status Status::RebuildRunning(std::string_view projection) {
  return Status(StatusCode::kRebuildRunning, projection,
                "a rebuild of " + std::string(projection) + " is already running");
}
Status Status::IdempotencyKeyReused(std::string_view message) {
  return Status(StatusCode::kIdempotencyKeyReused, "command_id", message);
}
Status Status::UpcastFailed(std::string_view type, std::string_view message) {
  return Status(StatusCode::kUpcastFailed, type, message);
}

std::string Status::ToString() const {
  std::string out(StatusCodeName(code_));
  if (ok()) return out;
  out += ": ";
  if (!subject_.empty()) {
    out += subject_;
    out += ": ";
  }
  out += message_;
  return out;
}

}  // namespace duet
