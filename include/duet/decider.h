// Decider: the pure domain logic of one aggregate type.
//
//   decide(command, state) -> events | error    (what happens)
//   evolve(state, event)   -> state             (what it means)
//   initial                                      (state of a new aggregate)
//
// Both functions are pure: no I/O, no clock, no randomness, no shared state.
// Everything impure (loading, caching, snapshots, appending, retries, ids) is
// done by the repository and the command bus (repository.h, command_bus.h).
//
// Errors from decide:
//   Status::DomainRuleViolated(rule, message)  a business rule says no
//   Status::InvalidArgument(field, reason)     the command itself is malformed
//
// An aggregate of category "account" with id "a1" lives in stream "account-a1".
//
// A Decider is an aggregate of plain values and function pointers; define one
// as a constant with static storage duration (the repository and units of work
// refer to it while they run). Thread-safe once built (it is immutable).
#ifndef DUET_DECIDER_H_
#define DUET_DECIDER_H_

#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/codec.h"
#include "duet/result.h"
#include "duet/status.h"

namespace duet {

template <typename CommandT, typename StateT, typename EventT>
struct Decider {
  using Command = CommandT;  // usually a std::variant of command structs
  using State = StateT;
  using Event = EventT;  // a std::variant of event structs

  std::string_view category;  // stream name prefix, e.g. "account"
  State initial{};
  Result<std::vector<Event>> (*decide)(const Command&, const State&) = nullptr;
  State (*evolve)(State, const Event&) = nullptr;
  const EventCodec<Event>* codec = nullptr;
  // Optional: without a state codec the aggregate is never snapshotted.
  const StateCodec<State>* state_codec = nullptr;
};

// The stream of aggregate `id` of `category`: "<category>-<id>".
inline std::string StreamName(std::string_view category, std::string_view id) {
  std::string stream;
  stream.reserve(category.size() + 1 + id.size());
  stream.append(category).append("-").append(id);
  return stream;
}

// OK if `id` is a valid aggregate id: 1..128 characters of [A-Za-z0-9-_.:@].
// Otherwise InvalidArgument(field, reason).
Status ValidateId(std::string_view field, std::string_view id);

// The state after `events`, starting from `state`.
template <typename D>
typename D::State Fold(const D& decider, typename D::State state,
                       std::span<const typename D::Event> events) {
  for (const auto& event : events) state = decider.evolve(std::move(state), event);
  return state;
}

// The state of an aggregate whose history is `events`.
template <typename D>
typename D::State Fold(const D& decider, std::span<const typename D::Event> events) {
  return Fold(decider, decider.initial, events);
}

// Given(history) / When(command) / Then(result): what `decider` decides for
// `command` on an aggregate whose history is `given`. For tests.
template <typename D>
Result<std::vector<typename D::Event>> DecideAfter(const D& decider,
                                                   std::span<const typename D::Event> given,
                                                   const typename D::Command& command) {
  return decider.decide(command, Fold(decider, given));
}

}  // namespace duet

#endif  // DUET_DECIDER_H_
