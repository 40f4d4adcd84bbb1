// The one mechanism that turns events into read-model changes, shared by the
// live runner, rebuilds, Verify and BuildAt: a batch of events becomes one
// read-store transaction committed with the batch's last position.
#ifndef DUET_PROJECTION_APPLY_H_
#define DUET_PROJECTION_APPLY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "duet/event_store.h"
#include "duet/projection.h"
#include "duet/read_store.h"
#include "duet/result.h"
#include "duet/status.h"
#include "duet/types.h"
#include "duet/upcast.h"

namespace duet::projection {

// Where a projection with the stop policy stopped, and why.
struct ApplyFailure {
  GlobalPosition position;
  std::string error;  // Status text of the failure
};

struct BatchResult {
  GlobalPosition committed;             // the store's checkpoint after the batch
  uint64_t events = 0;                  // events the commit covered, handled or not
  uint64_t parked = 0;                  // events of the batch parked (kPark)
  std::optional<ApplyFailure> failure;  // kStop: the first event not applied
};

// Applies events through one projection. Immutable after construction, so
// thread-safe: several runners may share one Applier.
//
// With `upcasters`, each stored event is first brought to today's shapes
// (duet/upcast.h): the projection's event_types and Apply see what the chain
// returns (none for a dropped event, several for a split). An event the
// chain fails on counts as an event Apply failed on (its policy decides),
// for every projection: its current shape, and so whether one handles it, is
// unknown.
class Applier {
 public:
  explicit Applier(const Projection* projection,
                   std::shared_ptr<const UpcasterChain> upcasters = nullptr);

  const Projection& projection() const { return *projection_; }
  bool Handles(std::string_view type) const;

  // Apply of one event; an exception from it becomes kFailedPrecondition.
  Status ApplyOne(const RecordedEvent& event, ReadStoreTxn& txn) const;

  // Apply of the events a stored event is today (through the upcasters),
  // those the projection handles; kUpcastFailed when the chain fails on it.
  Status ApplyStored(const RecordedEvent& stored, ReadStoreTxn& txn) const;

  // Applies `batch` (consecutive events after store.checkpoint()) in one
  // transaction and commits it with the last covered position. When Apply
  // fails on an event, the transaction is discarded and the events before it
  // are applied again into a new one (projections are pure, so that is
  // exact); then the policy decides: kStop commits up to the event before and
  // reports the failure, kPark parks the event in the same transaction and
  // goes on. Nothing is skipped silently. Errors: the store's (Begin, Park,
  // Commit); nothing of the batch is committed then.
  Result<BatchResult> ApplyBatch(ReadStore& store, std::span<const RecordedEvent> batch) const;

 private:
  // Applies `batch`, parking the events `parked` names, into `txn`. An Apply
  // failure sets `failed` to its index and returns its error; any other
  // error is the store's.
  Status ApplyPrefix(std::span<const RecordedEvent> batch,
                     std::span<const std::optional<ParkedEvent>> parked, ReadStoreTxn& txn,
                     std::optional<size_t>* failed) const;

  const Projection* projection_;
  std::shared_ptr<const UpcasterChain> upcasters_;
  bool all_types_;
  std::vector<std::string> types_;
};

// Where a replay ends: at `last` (inclusive), and before the first event
// recorded after `last_timestamp_us` when set.
struct ReplayLimit {
  GlobalPosition last{UINT64_MAX};
  std::optional<int64_t> last_timestamp_us;
};

// Replays the log after target.checkpoint() up to `limit` into `target`,
// reading `page_size` events at a time (one page in memory at most) and
// applying each page with Applier::ApplyBatch. A projection with the stop
// policy that fails ends the replay with kFailedPrecondition naming the event.
Status Replay(EventStore& log, const Applier& applier, ReadStore& target, ReplayLimit limit,
              size_t page_size);

}  // namespace duet::projection

#endif  // DUET_PROJECTION_APPLY_H_
