// EventStore: the append-only, durable event log with streams, independent of
// the backend (the embedded store today; PostgreSQL behind the same interface).
//
// Contract shared by every implementation:
// - Global positions are 1-based, contiguous and assigned in commit order.
// - An append is atomic: all of its events are recorded under one commit, or
//   none. It is acknowledged (returns OK) only once durable under the store's
//   durability mode.
// - Reads and subscriptions only ever see acknowledged-durable events, so a
//   reader never observes an event that a crash could take back.
// - Re-appending the same event ids to the same stream at the same place
//   (same expected version) returns the original result and writes nothing.
//
// Implementations are thread-safe: any number of threads may append, read and
// subscribe concurrently.
#ifndef DUET_EVENT_STORE_H_
#define DUET_EVENT_STORE_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "duet/options.h"
#include "duet/result.h"
#include "duet/types.h"

namespace duet {

struct AppendResult {
  StreamVersion next_expected_version;  // version of the stream's last event now
  GlobalPosition position;              // position of the commit's last event
};

// One stream's part of a multi-stream append.
struct StreamAppend {
  std::string stream;
  ExpectedVersion expected = ExpectedVersion::Any();
  std::vector<EventData> events;
};

struct MultiAppendResult {
  std::vector<AppendResult> streams;  // one per StreamAppend, same order
  GlobalPosition position;            // position of the commit's last event
};

// Told once what an AppendMultiAsync came to: what AppendMulti would return.
using AppendCallback = std::function<void(Result<MultiAppendResult>)>;

enum class ReadDirection : uint8_t { kForward, kBackward };

class Subscription;

// Called with consecutive batches of events, in position order, from the
// subscription's own thread. A non-OK return stops the subscription with that
// status. Holds no store lock: it may take as long as it likes (the
// subscription simply falls behind). The subscription reads the next batch
// while the handler runs, so memory stays bounded by two batches.
using SubscriptionHandler = std::function<Status(std::span<const RecordedEvent> batch)>;

struct SubscriptionOptions {
  size_t batch_size = 512;
  // Called once, from the subscription thread, when the subscription first
  // reaches the head (the catch-up to live switch). May be empty.
  std::function<void(GlobalPosition)> on_caught_up;
  // Live, once new events arrive: how long to wait for a whole batch before
  // delivering fewer, as long as more keep coming (a millisecond without one
  // ends the wait, so a lone event is delayed about that much). Fewer, larger
  // batches cost a handler with a per-batch commit (a read store) less.
  // 0: deliver at once.
  std::chrono::milliseconds live_linger{0};
};

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Appends `events` to `stream` if `expected` matches its current version.
  // Errors: kInvalidArgument (stream name, event type or size; field named),
  // kWrongExpectedVersion (with the actual version), kIOError/kStorageFull.
  Result<AppendResult> Append(std::string_view stream, ExpectedVersion expected,
                              std::span<const EventData> events);

  // Appends to several streams under one commit: either every stream's events
  // are recorded or none (one conflict fails the whole append).
  // REQUIRES: each stream appears at most once.
  virtual Result<MultiAppendResult> AppendMulti(std::span<const StreamAppend> appends) = 0;

  // AppendMulti without a thread waiting for it: `done` is called exactly
  // once with what AppendMulti would have returned. Bad input is told before
  // this returns, on the caller's thread; the embedded store also tells a
  // conflict or a retry already recorded that way. Everything else is told
  // from the store's commit thread once durable (or failed, or decided there:
  // the PostgreSQL store decides conflicts in its transaction), so `done`
  // must be quick and must not append or wait on the store itself: hand the
  // rest to another thread. `appends` is not used after this returns.
  // The default calls AppendMulti: a backend without a commit queue answers
  // on the caller's thread.
  virtual void AppendMultiAsync(std::span<const StreamAppend> appends, AppendCallback done);

  // Up to `max_count` events of `stream` starting at version `from`
  // (inclusive) in `direction`; kStreamEnd with kBackward starts at the newest.
  // A stream that does not exist reads as empty (use StreamHead to tell).
  virtual Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                        size_t max_count,
                                                        ReadDirection direction) = 0;

  // Up to `max_count` events with position >= `from`, in position order.
  virtual Result<std::vector<RecordedEvent>> ReadAll(GlobalPosition from, size_t max_count) = 0;

  // Version of the stream's last durable event; nullopt if it has none.
  virtual std::optional<StreamVersion> StreamHead(std::string_view stream) = 0;

  // Position of the last durable event (kNoPosition when empty).
  virtual GlobalPosition HeadPosition() = 0;

  // Blocks until HeadPosition() >= `position`, the timeout passes or the store
  // closes; returns the head position then.
  virtual GlobalPosition WaitForHead(GlobalPosition position,
                                     std::chrono::milliseconds timeout) = 0;

  // OK while the store accepts appends; otherwise why not (the embedded
  // store's sticky storage failure, a PostgreSQL store's kUnavailable).
  // Reads may go on either way. The default: always OK.
  virtual Status Health() const;

  // Delivers every event after `after` (catch-up), then new events as they
  // become durable (live), with no gap and no duplicate at the switch.
  // The store must outlive the returned subscription.
  std::unique_ptr<Subscription> SubscribeToAll(GlobalPosition after, SubscriptionHandler handler,
                                               SubscriptionOptions options = {});

 protected:
  // AppendMulti as a wait for AppendMultiAsync, for backends whose
  // asynchronous append is the real one.
  Result<MultiAppendResult> WaitForAppend(std::span<const StreamAppend> appends);
};

// A running subscription to all events (see EventStore::SubscribeToAll).
// Catch-up and live use one mechanism: read the log after the last delivered
// position, and when nothing is left, wait for the head to move.
// Thread-safe; destroying it stops it.
class Subscription {
 public:
  Subscription(EventStore* store, GlobalPosition after, SubscriptionHandler handler,
               SubscriptionOptions options);
  ~Subscription();
  Subscription(const Subscription&) = delete;
  Subscription& operator=(const Subscription&) = delete;

  // Asks the subscription to stop after the batch in flight; does not wait.
  void Stop();
  // Waits for the subscription to end (after Stop() or a handler error) and
  // returns why it ended: OK after Stop(), else the handler's or a read error.
  Status Wait();
  // Position of the last event handed to the handler.
  GlobalPosition position() const;
  bool caught_up() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Named errors for bad names and sizes; OK when valid.
// A stream name is 1..limits.max_stream_name_bytes of [A-Za-z0-9] and
// "-_.:@$" ('$' only as the first character, reserved for system streams).
Status ValidateStreamName(std::string_view stream, const Limits& limits);
// An event type is 1..limits.max_event_type_bytes printable ASCII, no spaces.
Status ValidateEventType(std::string_view type, const Limits& limits);
// The checks every backend makes before an append: at least one stream, each
// named validly and once, each with events of valid types and sizes, and the
// whole within the limits. Nothing is written when this fails.
Status ValidateAppends(std::span<const StreamAppend> appends, const Limits& limits);

}  // namespace duet

#endif  // DUET_EVENT_STORE_H_
