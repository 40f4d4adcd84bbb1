// A small decider for the domain layer's tests: a tally of added amounts,
// with a state codec so it can be snapshotted.
#ifndef DUET_TESTS_DOMAIN_TALLY_H_
#define DUET_TESTS_DOMAIN_TALLY_H_

#include <string>
#include <variant>
#include <vector>

#include "duet/command_bus.h"
#include "duet/decider.h"

namespace duet::testing::tally {

struct Add {
  std::string id;
  int64_t amount = 0;
};
using Command = std::variant<Add>;

struct Added {
  int64_t amount = 0;
  bool operator==(const Added&) const = default;
};
using Event = std::variant<Added>;

struct State {
  int64_t total = 0;
  int64_t count = 0;
  bool operator==(const State&) const = default;
};

inline Result<std::vector<Event>> Decide(const Command& command, const State&) {
  const Add& add = std::get<Add>(command);
  if (add.amount < 0) return Status::DomainRuleViolated("no-negative", "amount < 0");
  return std::vector<Event>{Added{add.amount}};
}

inline State Evolve(State s, const Event& e) {
  s.total += std::get<Added>(e).amount;
  ++s.count;
  return s;
}

inline const EventCodec<Event>& Codec() {
  static const EventCodec<Event> codec{
      EventType<Added>{"Added",
                       [](const Added& e) {
                         return boost::json::object{{"amount", e.amount}};
                       },
                       [](JsonReader& f) -> Result<Added> { return Added{f.Int64("amount")}; }}};
  return codec;
}

inline boost::json::object EncodeState(const State& s) {
  return boost::json::object{{"total", s.total}, {"count", s.count}};
}
inline Result<State> DecodeState(JsonReader& f) {
  return State{f.Int64("total"), f.Int64("count")};
}

inline const StateCodec<State> kStateV1{1, EncodeState, DecodeState};
inline const StateCodec<State> kStateV2{2, EncodeState, DecodeState};

using TallyDecider = Decider<Command, State, Event>;
inline const TallyDecider kTally{"tally", {}, Decide, Evolve, &Codec(), &kStateV1};
// The same aggregate after a state schema change.
inline const TallyDecider kTallyV2{"tally", {}, Decide, Evolve, &Codec(), &kStateV2};
// Without a state codec: never snapshotted.
inline const TallyDecider kTallyPlain{"tally", {}, Decide, Evolve, &Codec(), nullptr};

// A raw "Added" event, to seed streams directly through the store.
inline EventData AddedEvent(int64_t amount) {
  return EventData{EventId::Random(), "Added", "{\"amount\":" + std::to_string(amount) + "}", "{}"};
}

inline Status Register(CommandBus& bus, const TallyDecider& decider = kTally) {
  return bus.Register(CommandType<Add>{"Add",
                                       [](JsonReader& f) -> Result<Add> {
                                         return Add{f.String("id"), f.Int64("amount")};
                                       },
                                       [](const Add& a) { return ValidateId("id", a.id); }},
                      DecideOn(decider, &Add::id));
}

}  // namespace duet::testing::tally

#endif  // DUET_TESTS_DOMAIN_TALLY_H_
