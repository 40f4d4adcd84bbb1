#include "duet/decider.h"

namespace duet {

Status ValidateId(std::string_view field, std::string_view id) {
  if (id.empty()) return Status::InvalidArgument(field, "must not be empty");
  if (id.size() > 128) return Status::InvalidArgument(field, "longer than 128 characters");
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == ':' || c == '@';
    if (!ok) return Status::InvalidArgument(field, "may contain only [A-Za-z0-9-_.:@]");
  }
  return Status::OK();
}

}  // namespace duet
