#include "duet/unit_of_work.h"

namespace duet {

UnitOfWork::UnitOfWork(Repository* repository, std::string command_id, std::string metadata)
    : repository_(repository), command_id_(std::move(command_id)), metadata_(std::move(metadata)) {}

UnitOfWork::~UnitOfWork() = default;

UnitOfWork::Touched* UnitOfWork::Find(std::string_view stream) {
  for (Touched& t : touched_) {
    if (t.stream == stream) return &t;
  }
  return nullptr;
}

Result<const void*> UnitOfWork::LoadErased(std::unique_ptr<AggregateKind> kind,
                                           std::string stream) {
  if (Touched* t = Find(stream)) {
    if (t->kind->state_type() != kind->state_type()) {
      return Status::FailedPrecondition("stream '" + stream +
                                        "' was loaded with another decider in this command");
    }
    return t->state.get();
  }
  Result<LoadedAggregate> loaded = repository_->LoadStream(*kind, stream);
  if (!loaded.ok()) return loaded.status();
  std::shared_ptr<const void> state = loaded->state;
  touched_.push_back(
      Touched{std::move(stream), std::move(kind), std::move(loaded).value(), std::move(state), {}});
  return touched_.back().state.get();
}

Result<const void*> UnitOfWork::Current(std::string_view stream, const std::type_info& type) {
  Touched* t = Find(stream);
  if (t == nullptr) {
    return Status::FailedPrecondition("events recorded for stream '" + std::string(stream) +
                                      "' before it was loaded in this command");
  }
  if (t->kind->state_type() != std::type_index(type)) {
    return Status::FailedPrecondition("stream '" + std::string(stream) +
                                      "' was loaded with another decider in this command");
  }
  return t->state.get();
}

void UnitOfWork::RecordErased(std::string_view stream, std::vector<EventData> events,
                              std::shared_ptr<const void> state) {
  Touched* t = Find(stream);  // Current() found it just before
  for (EventData& e : events) t->pending.push_back(std::move(e));
  t->state = std::move(state);
}

}  // namespace duet
