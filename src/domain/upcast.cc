#include "duet/upcast.h"

#include <algorithm>
#include <exception>
#include <limits>

#include "duet/event_store.h"
#include "duet/json_reader.h"
#include "duet/options.h"

namespace duet {

namespace {

// Bounds on what one stored event may become: a chain that keeps splitting
// would otherwise fill the memory before its loop showed.
constexpr size_t kMaxUpcastEvents = 1024;

std::string VersionText(std::string_view type, uint32_t version) {
  return std::string(type) + " v" + std::to_string(version);
}

}  // namespace

Result<uint32_t> StoredSchemaVersion(std::string_view metadata) {
  // Almost no stored event names a version (version 1 stores none): a search
  // for the key spares parsing their metadata.
  if (metadata.find(kSchemaVersionKey) == std::string_view::npos) return 1u;
  boost::json::error_code ec;
  boost::json::value parsed = boost::json::parse(metadata, ec);
  const boost::json::object* object = ec ? nullptr : parsed.if_object();
  if (object == nullptr) return 1u;
  const boost::json::value* version = object->if_contains(kSchemaVersionKey);
  if (version == nullptr) return 1u;
  if (version->is_int64() && version->get_int64() >= 1 &&
      version->get_int64() <= std::numeric_limits<uint32_t>::max()) {
    return static_cast<uint32_t>(version->get_int64());
  }
  if (version->is_uint64() && version->get_uint64() >= 1 &&
      version->get_uint64() <= std::numeric_limits<uint32_t>::max()) {
    return static_cast<uint32_t>(version->get_uint64());
  }
  return Status::UpcastFailed(kSchemaVersionKey, "metadata holds " +
                                                     boost::json::serialize(*version) +
                                                     ", not a schema version (an integer from 1)");
}

std::string WithSchemaVersion(std::string_view metadata, uint32_t version) {
  if (version == 1 && metadata.find(kSchemaVersionKey) == std::string_view::npos) {
    return std::string(metadata);
  }
  boost::json::error_code ec;
  boost::json::value parsed = boost::json::parse(metadata, ec);
  boost::json::object object;
  if (!ec && parsed.is_object()) object = std::move(parsed.as_object());
  object[kSchemaVersionKey] = version;
  return ToJsonText(object);
}

Result<std::shared_ptr<const UpcasterChain>> UpcasterChain::Make(std::vector<Upcaster> upcasters) {
  std::shared_ptr<UpcasterChain> chain(new UpcasterChain());
  const Limits limits;
  for (Upcaster& upcaster : upcasters) {
    if (Status valid = ValidateEventType(upcaster.type, limits); !valid.ok()) {
      return Status::UpcastFailed(upcaster.type, "not a valid event type: " + valid.message());
    }
    if (upcaster.from_version == 0) {
      return Status::UpcastFailed(upcaster.type, "from_version must be at least 1");
    }
    if (upcaster.upcast == nullptr) {
      return Status::UpcastFailed(
          upcaster.type,
          "upcaster of " + VersionText(upcaster.type, upcaster.from_version) + " has no function");
    }
    uint32_t& current = chain->current_[upcaster.type];
    current = std::max(current, upcaster.from_version + 1);
    Key key{upcaster.type, upcaster.from_version};
    if (chain->upcasters_.count(key) != 0) {
      return Status::UpcastFailed(key.first,
                                  VersionText(key.first, key.second) + " has two upcasters");
    }
    chain->upcasters_.emplace(std::move(key), std::move(upcaster));
  }
  // Every version below a type's current one needs its step: events of a
  // version without one could never be read.
  for (const auto& [type, current] : chain->current_) {
    for (uint32_t version = 1; version < current; ++version) {
      if (chain->Find(type, version) == nullptr) {
        return Status::UpcastFailed(type, "gap in the chain: no upcaster of " +
                                              VersionText(type, version) + ", though " + type +
                                              " is read at v" + std::to_string(current));
      }
    }
  }
  return std::shared_ptr<const UpcasterChain>(std::move(chain));
}

uint32_t UpcasterChain::CurrentVersion(std::string_view type) const {
  auto it = current_.find(type);
  return it == current_.end() ? 1 : it->second;
}

const Upcaster* UpcasterChain::Find(std::string_view type, uint32_t version) const {
  auto it = upcasters_.find(std::pair<std::string_view, uint32_t>(type, version));
  return it == upcasters_.end() ? nullptr : &it->second;
}

bool UpcasterChain::NeedsUpcast(const RecordedEvent& stored) const {
  if (current_.find(stored.type) == current_.end()) return false;
  Result<uint32_t> version = StoredSchemaVersion(stored.metadata);
  return !version.ok() || Find(stored.type, *version) != nullptr;
}

Result<std::vector<RecordedEvent>> UpcasterChain::Upcast(const RecordedEvent& stored) const {
  Result<uint32_t> version = StoredSchemaVersion(stored.metadata);
  if (!version.ok()) {
    return Status::UpcastFailed(stored.type, "event " + stored.stream + "@" +
                                                 std::to_string(stored.version.value) + ": " +
                                                 version.status().message());
  }
  boost::json::error_code ec;
  boost::json::value data = boost::json::parse(stored.data, ec);
  if (ec || !data.is_object()) {
    return Status::UpcastFailed(stored.type, "event " + stored.stream + "@" +
                                                 std::to_string(stored.version.value) +
                                                 ": its data is not a JSON object");
  }
  std::vector<Key> path;
  std::vector<UpcastEvent> upcast;
  Status stepped = Step(UpcastEvent{stored.type, *version, std::move(data)}, path, upcast);
  if (!stepped.ok()) {
    return Status::UpcastFailed(stepped.subject(), "event " + stored.stream + "@" +
                                                       std::to_string(stored.version.value) + ": " +
                                                       stepped.message());
  }
  std::vector<RecordedEvent> events;
  events.reserve(upcast.size());
  for (UpcastEvent& event : upcast) {
    RecordedEvent& out = events.emplace_back();
    out.stream = stored.stream;
    out.version = stored.version;
    out.position = stored.position;
    out.timestamp_us = stored.timestamp_us;
    out.id = stored.id;
    out.type = std::move(event.type);
    out.data = ToJsonText(event.data);
    out.metadata = WithSchemaVersion(stored.metadata, event.schema_version);
  }
  return events;
}

Status UpcasterChain::Step(UpcastEvent event, std::vector<Key>& path,
                           std::vector<UpcastEvent>& out) const {
  const Upcaster* upcaster = Find(event.type, event.schema_version);
  if (upcaster == nullptr) {
    // At its type's current version, or newer (written by a newer program:
    // read as it is, like unknown fields).
    if (out.size() == kMaxUpcastEvents) {
      return Status::UpcastFailed(
          event.type, "upcasting yields more than " + std::to_string(kMaxUpcastEvents) + " events");
    }
    out.push_back(std::move(event));
    return Status::OK();
  }
  for (const Key& seen : path) {
    if (seen.first == event.type && seen.second == event.schema_version) {
      std::string loop;
      for (const Key& step : path) loop += VersionText(step.first, step.second) + " -> ";
      return Status::UpcastFailed(
          event.type, "loop in the chain: " + loop + VersionText(event.type, event.schema_version));
    }
  }
  Result<std::vector<UpcastEvent>> next = std::vector<UpcastEvent>{};
  // An upcaster is user code: its exception must not cross into a reader.
  try {
    next = upcaster->upcast(event);
  } catch (const std::exception& e) {
    return Status::UpcastFailed(
        event.type,
        "upcaster of " + VersionText(event.type, event.schema_version) + " threw: " + e.what());
  } catch (...) {
    return Status::UpcastFailed(event.type, "upcaster of " +
                                                VersionText(event.type, event.schema_version) +
                                                " threw a non-standard exception");
  }
  const std::string from = VersionText(event.type, event.schema_version);
  if (!next.ok()) {
    return Status::UpcastFailed(event.type,
                                "upcaster of " + from + " failed: " + next.status().ToString());
  }
  path.emplace_back(event.type, event.schema_version);
  const Limits limits;
  for (UpcastEvent& produced : *next) {
    if (Status valid = ValidateEventType(produced.type, limits); !valid.ok()) {
      return Status::UpcastFailed(event.type, "upcaster of " + from + " returned event type '" +
                                                  produced.type + "': " + valid.message());
    }
    if (!produced.data.is_object()) {
      return Status::UpcastFailed(event.type, "upcaster of " + from + " returned " + produced.type +
                                                  " data that is not a JSON object");
    }
    if (produced.type == event.type ? produced.schema_version != event.schema_version + 1
                                    : produced.schema_version == 0) {
      return Status::UpcastFailed(
          event.type, "upcaster of " + from + " returned " +
                          VersionText(produced.type, produced.schema_version) +
                          (produced.type == event.type ? ": a type's versions go one at a time"
                                                       : ": versions start at 1"));
    }
    DUET_RETURN_IF_ERROR(Step(std::move(produced), path, out));
  }
  path.pop_back();
  return Status::OK();
}

}  // namespace duet
