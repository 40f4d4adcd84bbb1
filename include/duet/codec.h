// Codecs: how a decider's events and state are persisted.
//
// - EventType<E>: one event struct's stable persisted name and JSON mapping.
//   The name is what the log stores; it must never change once events of that
//   type exist, whatever the C++ type is renamed to.
//   Its schema_version says which shape of the event this code writes and
//   reads; events stored in older shapes are read through upcasters
//   (duet/upcast.h).
// - EventCodec<std::variant<Es...>>: the codec of a decider's event variant,
//   built from exactly one EventType per alternative, in variant order (a
//   missing or misplaced entry does not compile).
// - StateCodec<S>: the JSON mapping of a decider's state for snapshots, with
//   the schema version that guards against reading a snapshot written for
//   another shape of the state.
//
// Codecs are immutable after construction and thread-safe. Encoders and
// decoders must be pure functions (they are plain function pointers; a
// captureless lambda converts).
#ifndef DUET_CODEC_H_
#define DUET_CODEC_H_

#include <boost/json.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "duet/json_reader.h"
#include "duet/result.h"
#include "duet/status.h"

namespace duet {

template <typename E>
struct EventType {
  std::string_view name;                    // stable persisted type name
  boost::json::object (*encode)(const E&);  // event -> JSON object
  // JSON object -> event. The object `fields` reads lives only during the
  // call (EventCodec::Decode parses it into an arena): copy what the event
  // keeps into its own members. A JSON subtree kept as such must be copied
  // onto the heap, `boost::json::value(*fields.Object("x"), {})`: a plain
  // copy of a boost::json value shares its source's (the arena's) memory.
  Result<E> (*decode)(JsonReader& fields);
  // The shape `encode` writes and `decode` reads: bump it when they change in
  // a way an older event would not decode as, and register an upcaster from
  // the previous version (duet/upcast.h). Stored with each event written
  // (metadata "$schema_version"; version 1 stores nothing).
  uint32_t schema_version = 1;
};

template <typename Variant>
class EventCodec;

template <typename... Es>
class EventCodec<std::variant<Es...>> {
 public:
  using Event = std::variant<Es...>;

  explicit EventCodec(EventType<Es>... types) : types_(types...) { status_ = CheckNames(); }

  // OK, or InvalidArgument when a name is empty, repeated or not a valid
  // event type (printable ASCII, no spaces), or a schema version is 0.
  // Checked by the bus on register.
  const Status& status() const { return status_; }

  template <typename E>
  std::string_view Name() const {
    return std::get<EventType<E>>(types_).name;
  }
  std::string_view Name(const Event& event) const {
    return std::visit([this](const auto& e) { return Name<std::decay_t<decltype(e)>>(); }, event);
  }
  std::vector<std::string_view> Names() const {
    return std::apply([](const auto&... t) { return std::vector<std::string_view>{t.name...}; },
                      types_);
  }
  template <typename E>
  uint32_t SchemaVersion() const {
    return std::get<EventType<E>>(types_).schema_version;
  }
  uint32_t SchemaVersion(const Event& event) const {
    return std::visit([this](const auto& e) { return SchemaVersion<std::decay_t<decltype(e)>>(); },
                      event);
  }
  // The schema version of persisted type `type`; 0 for a type this codec
  // does not know.
  uint32_t SchemaVersion(std::string_view type) const {
    return std::apply(
        [type](const auto&... t) {
          uint32_t version = 0;
          (void)((t.name == type ? (version = t.schema_version, true) : false) || ...);
          return version;
        },
        types_);
  }
  bool Knows(std::string_view type) const {
    return std::apply([type](const auto&... t) { return ((t.name == type) || ...); }, types_);
  }

  // The event's data as compact JSON text.
  std::string EncodeData(const Event& event) const {
    return std::visit(
        [this](const auto& e) {
          using E = std::decay_t<decltype(e)>;
          return ToJsonText(std::get<EventType<E>>(types_).encode(e));
        },
        event);
  }

  // The event of persisted type `type` with JSON data `data`.
  // Errors: NotFound(type) for a type this codec does not know;
  // InvalidArgument naming the field for data that does not decode.
  // Unknown fields in data are ignored (an older reader of a newer event).
  Result<Event> Decode(std::string_view type, std::string_view data) const {
    // The parsed object lives only while the event is decoded: it is built in
    // an arena on the stack (the heap only past it), not node by node on the
    // heap, so a replay's decoding allocates only what the event keeps.
    alignas(std::max_align_t) unsigned char arena_buffer[kDecodeArenaBytes];
    boost::json::monotonic_resource arena(arena_buffer, sizeof arena_buffer);
    Result<boost::json::object> object = ParseJsonObject(data, "data", &arena);
    if (!object.ok()) return object.status();
    return DecodeNamed(type, *object, std::index_sequence_for<Es...>{});
  }

 private:
  static_assert(sizeof...(Es) > 0, "a decider has at least one event type");
  static constexpr size_t kDecodeArenaBytes = 2048;

  // DecodeOne of the event type named `type`: one fold over the types, so no
  // index goes through a table (GCC 12 took such an index for uninitialized).
  template <size_t... I>
  Result<Event> DecodeNamed(std::string_view type, const boost::json::object& object,
                            std::index_sequence<I...>) const {
    Result<Event> decoded = Status::NotFound(type, "no codec entry for this event type");
    (void)((std::get<I>(types_).name == type ? (decoded = DecodeOne<I>(object), true) : false) ||
           ...);
    return decoded;
  }

  template <size_t I>
  Result<Event> DecodeOne(const boost::json::object& object) const {
    JsonReader fields(object);
    auto decoded = std::get<I>(types_).decode(fields);
    if (!fields.status().ok()) return fields.status();
    if (!decoded.ok()) return decoded.status();
    return Event(std::in_place_index<I>, std::move(decoded).value());
  }

  Status CheckNames() const {
    const bool versioned =
        std::apply([](const auto&... t) { return ((t.schema_version >= 1) && ...); }, types_);
    if (!versioned) return Status::InvalidArgument("event type", "schema_version must be >= 1");
    std::vector<std::string_view> names = Names();
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i].empty()) return Status::InvalidArgument("event type", "empty name");
      for (char c : names[i]) {
        if (c <= ' ' || c > '~') {
          return Status::InvalidArgument(names[i], "event type must be printable ASCII, no spaces");
        }
      }
      for (size_t j = 0; j < i; ++j) {
        if (names[i] == names[j]) return Status::InvalidArgument(names[i], "event type repeated");
      }
    }
    return Status::OK();
  }

  std::tuple<EventType<Es>...> types_;
  Status status_;
};

template <typename S>
struct StateCodec {
  // Bump whenever the encoding or the meaning of the state changes: snapshots
  // of another schema version are ignored and rebuilt from events.
  uint32_t schema_version = 1;
  boost::json::object (*encode)(const S&) = nullptr;
  Result<S> (*decode)(JsonReader& fields) = nullptr;
};

}  // namespace duet

#endif  // DUET_CODEC_H_
