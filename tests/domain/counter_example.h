// A complete decider: a counter that stops at 1000.
#include <duet/command_bus.h>

namespace counter {

struct Increment {
  std::string counter;
  int64_t by = 1;
};
struct Reset {
  std::string counter;
};
using Command = std::variant<Increment, Reset>;

struct Incremented {
  int64_t by = 0;
  bool operator==(const Incremented&) const = default;
};
struct WasReset {
  bool operator==(const WasReset&) const = default;
};
using Event = std::variant<Incremented, WasReset>;

struct State {
  int64_t value = 0;
};

// Persisted type names are stable: renaming WasReset in C++ changes nothing on disk.
inline const duet::EventCodec<Event> kCodec{
    duet::EventType<Incremented>{"Incremented",
                                 [](const Incremented& e) {
                                   return boost::json::object{{"by", e.by}};
                                 },
                                 [](duet::JsonReader& f) -> duet::Result<Incremented> {
                                   return Incremented{f.Int64("by")};
                                 }},
    duet::EventType<WasReset>{
        "CounterReset", [](const WasReset&) { return boost::json::object{}; },
        [](duet::JsonReader&) -> duet::Result<WasReset> { return WasReset{}; }}};

inline duet::Result<std::vector<Event>> Decide(const Command& command, const State& state) {
  if (const auto* inc = std::get_if<Increment>(&command)) {
    if (inc->by <= 0) return duet::Status::InvalidArgument("by", "must be greater than 0");
    if (inc->by > 1000 - state.value) return duet::Status::DomainRuleViolated("max-1000", "full");
    return std::vector<Event>{Incremented{inc->by}};
  }
  return std::vector<Event>{WasReset{}};
}

inline State Evolve(State state, const Event& event) {
  const auto* inc = std::get_if<Incremented>(&event);
  state.value = inc ? state.value + inc->by : 0;
  return state;
}

inline const duet::Decider<Command, State, Event> kCounter{"counter", {}, Decide, Evolve, &kCodec};

// Command names and JSON decoders, for the CLI and the HTTP server.
inline duet::Status Register(duet::CommandBus& bus) {
  DUET_RETURN_IF_ERROR(bus.Register(
      duet::CommandType<Increment>{"Increment",
                                   [](duet::JsonReader& f) -> duet::Result<Increment> {
                                     return Increment{f.String("counter"), f.Int64("by")};
                                   }},
      duet::DecideOn(kCounter, &Increment::counter)));
  return bus.Register(duet::CommandType<Reset>{"Reset",
                                               [](duet::JsonReader& f) -> duet::Result<Reset> {
                                                 return Reset{f.String("counter")};
                                               }},
                      duet::DecideOn(kCounter, &Reset::counter));
}

}  // namespace counter
