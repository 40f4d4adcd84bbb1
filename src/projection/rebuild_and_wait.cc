#include <thread>

#include "duet/projection_engine.h"

namespace duet {

Result<ProjectionStatus> RebuildAndWait(
    ProjectionEngine& engine, std::string_view name, std::chrono::milliseconds poll,
    const std::function<void(const RebuildProgress&)>& on_progress) {
  DUET_RETURN_IF_ERROR(engine.Rebuild(name));
  for (;;) {
    DUET_ASSIGN_OR_RETURN(ProjectionStatus status, engine.StatusOf(name));
    if (!status.rebuild && status.state != ProjectionState::kRebuilding) return status;
    if (status.rebuild && on_progress) on_progress(*status.rebuild);
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace duet
