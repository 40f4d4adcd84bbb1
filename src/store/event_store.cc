// The backend-neutral parts of EventStore: single-stream append in terms of
// the multi-stream one, the synchronous and asynchronous appends in terms of
// each other, subscriptions, and name validation.
#include "duet/event_store.h"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_set>

namespace duet {
namespace {

bool IsStreamNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == ':' || c == '@';
}

}  // namespace

Result<AppendResult> EventStore::Append(std::string_view stream, ExpectedVersion expected,
                                        std::span<const EventData> events) {
  StreamAppend append{std::string(stream), expected,
                      std::vector<EventData>(events.begin(), events.end())};
  DUET_ASSIGN_OR_RETURN(MultiAppendResult result, AppendMulti(std::span(&append, 1)));
  return result.streams.front();
}

void EventStore::AppendMultiAsync(std::span<const StreamAppend> appends, AppendCallback done) {
  done(AppendMulti(appends));
}

Result<MultiAppendResult> EventStore::WaitForAppend(std::span<const StreamAppend> appends) {
  struct Outcome {
    std::mutex mu;
    std::condition_variable told;
    std::optional<Result<MultiAppendResult>> result;
  };
  // Shared with the callback, so it may notify after unlocking: a waiter
  // woken under the lock would only block again on it.
  auto outcome = std::make_shared<Outcome>();
  AppendMultiAsync(appends, [outcome](Result<MultiAppendResult> result) {
    {
      std::lock_guard lock(outcome->mu);
      outcome->result.emplace(std::move(result));
    }
    outcome->told.notify_one();
  });
  std::unique_lock lock(outcome->mu);
  outcome->told.wait(lock, [&] { return outcome->result.has_value(); });
  return std::move(*outcome->result);
}

std::unique_ptr<Subscription> EventStore::SubscribeToAll(GlobalPosition after,
                                                         SubscriptionHandler handler,
                                                         SubscriptionOptions options) {
  return std::make_unique<Subscription>(this, after, std::move(handler), std::move(options));
}

Status EventStore::Health() const { return Status::OK(); }

Status ValidateAppends(std::span<const StreamAppend> appends, const Limits& limits) {
  if (appends.empty()) return Status::InvalidArgument("streams", "an append needs a stream");
  size_t total_events = 0, total_bytes = 0;
  std::unordered_set<std::string_view> seen;
  for (const StreamAppend& append : appends) {
    DUET_RETURN_IF_ERROR(ValidateStreamName(append.stream, limits));
    if (!seen.insert(append.stream).second) {
      return Status::InvalidArgument("stream", "appears twice in one append: " + append.stream);
    }
    if (append.events.empty()) {
      return Status::InvalidArgument("events", "an append needs at least one event");
    }
    for (const EventData& event : append.events) {
      DUET_RETURN_IF_ERROR(ValidateEventType(event.type, limits));
      const size_t bytes = event.data.size() + event.metadata.size();
      if (bytes > limits.max_event_bytes) {
        return Status::InvalidArgument("data", "event of " + std::to_string(bytes) +
                                                   " bytes exceeds the limit of " +
                                                   std::to_string(limits.max_event_bytes));
      }
      total_bytes += bytes;
    }
    total_events += append.events.size();
  }
  if (total_events > limits.max_events_per_append) {
    return Status::InvalidArgument(
        "events", "more than " + std::to_string(limits.max_events_per_append) + " in one append");
  }
  if (total_bytes > limits.max_append_bytes) {
    return Status::InvalidArgument(
        "events", "more than " + std::to_string(limits.max_append_bytes) + " bytes in one append");
  }
  return Status::OK();
}

Status ValidateStreamName(std::string_view stream, const Limits& limits) {
  if (stream.empty()) return Status::InvalidArgument("stream", "must not be empty");
  if (stream.size() > limits.max_stream_name_bytes) {
    return Status::InvalidArgument(
        "stream", "longer than " + std::to_string(limits.max_stream_name_bytes) + " bytes");
  }
  for (size_t i = 0; i < stream.size(); ++i) {
    const char c = stream[i];
    if (IsStreamNameChar(c) || (c == '$' && i == 0)) continue;
    return Status::InvalidArgument(
        "stream", "character " + std::to_string(i) +
                      " is not allowed (use letters, digits and -_.:@; '$' only first)");
  }
  if (stream == "$") return Status::InvalidArgument("stream", "'$' alone is not a stream name");
  return Status::OK();
}

Status ValidateEventType(std::string_view type, const Limits& limits) {
  if (type.empty()) return Status::InvalidArgument("type", "must not be empty");
  if (type.size() > limits.max_event_type_bytes) {
    return Status::InvalidArgument(
        "type", "longer than " + std::to_string(limits.max_event_type_bytes) + " bytes");
  }
  for (char c : type) {
    if (c <= ' ' || c > '~') {
      return Status::InvalidArgument("type", "must be printable ASCII without spaces");
    }
  }
  return Status::OK();
}

}  // namespace duet
