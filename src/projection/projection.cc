// ValidateProjectionInfo and the names of projection states.
#include "duet/projection.h"

#include <set>
#include <string>

#include "duet/event_store.h"
#include "duet/options.h"
#include "duet/projection_engine.h"

namespace duet {

namespace {

constexpr size_t kMaxNameBytes = 64;

bool IsNameChar(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

Status ValidateProjectionInfo(const ProjectionInfo& info) {
  if (info.name.empty() || info.name.size() > kMaxNameBytes) {
    return Status::InvalidArgument("name", "must be 1..64 bytes");
  }
  for (char c : info.name) {
    if (!IsNameChar(c)) return Status::InvalidArgument("name", "must be [a-z0-9-]");
  }
  if (info.version < 1) return Status::InvalidArgument("version", "must be at least 1");
  std::set<std::string_view> seen;
  const Limits limits;
  for (const std::string& type : info.event_types) {
    Status valid = ValidateEventType(type, limits);
    if (!valid.ok()) {
      return Status::InvalidArgument("event_types", "'" + type + "': " + valid.message());
    }
    if (!seen.insert(type).second) {
      return Status::InvalidArgument("event_types", "'" + type + "' is listed twice");
    }
  }
  switch (info.store) {
    case ReadStoreKind::kDocument:
    case ReadStoreKind::kSearch:
    case ReadStoreKind::kAnalytics: break;
    default: return Status::InvalidArgument("store", "unknown read store kind");
  }
  switch (info.on_failure) {
    case FailurePolicy::kStop:
    case FailurePolicy::kPark: return Status::OK();
  }
  return Status::InvalidArgument("on_failure", "unknown failure policy");
}

std::string_view ProjectionStateName(ProjectionState state) {
  switch (state) {
    case ProjectionState::kCatchingUp: return "catching-up";
    case ProjectionState::kLive: return "live";
    case ProjectionState::kRebuilding: return "rebuilding";
    case ProjectionState::kStopped: return "stopped";
    case ProjectionState::kFailed: return "failed";
  }
  return "unknown";
}

}  // namespace duet
