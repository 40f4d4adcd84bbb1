// Projections: pure functions of the event stream that build read models.
//
// A projection declares a name, a version, the event types it handles, the
// kind of read store it writes, and what to do when it cannot apply an event.
// Its Apply turns one event into changes of a read-store transaction; the
// runner commits those changes together with the checkpoint, so a projection
// never skips or applies an event twice, whenever the process stops.
//
// Apply must be a pure function of the event and the read model: no clock,
// no randomness, no I/O of its own. The determinism check
// (ProjectionEngine::Verify) finds projections that break this.
#ifndef DUET_PROJECTION_H_
#define DUET_PROJECTION_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "duet/read_store.h"
#include "duet/result.h"
#include "duet/status.h"
#include "duet/types.h"

namespace duet {

// What the runner does when Apply fails on an event (or throws).
enum class FailurePolicy : uint8_t {
  kStop,  // the projection stops with state "failed", the position and the error
  kPark,  // the event goes to the parked list (visible, retryable) and the projection goes on
};

struct ProjectionInfo {
  std::string name;                      // [a-z0-9-], 1..64 bytes; names the read-store folder
  uint32_t version = 1;                  // bump when Apply changes: the read model is rebuilt
  std::vector<std::string> event_types;  // only these reach Apply; empty: all
  ReadStoreKind store = ReadStoreKind::kDocument;
  FailurePolicy on_failure = FailurePolicy::kStop;
};

// Implementations are immutable after construction and thread-safe: one
// instance may apply events into several stores at once (the live store and
// a rebuild or a verification scratch store).
class Projection {
 public:
  virtual ~Projection() = default;
  virtual const ProjectionInfo& info() const = 0;
  // REQUIRES: txn belongs to a store of info().store's kind.
  virtual Status ApplyTo(const RecordedEvent& event, ReadStoreTxn& txn) const = 0;
};

// Base of projections that write a store of one kind; `Txn` is DocumentTxn,
// SearchTxn or AnalyticsTxn.
template <typename Txn>
class TypedProjection : public Projection {
 public:
  virtual Status Apply(const RecordedEvent& event, Txn& txn) const = 0;
  Status ApplyTo(const RecordedEvent& event, ReadStoreTxn& txn) const final {
    return Apply(event, static_cast<Txn&>(txn));
  }
};
using DocumentProjection = TypedProjection<DocumentTxn>;
using SearchProjection = TypedProjection<SearchTxn>;
using AnalyticsProjection = TypedProjection<AnalyticsTxn>;

// InvalidArgument("name") etc. unless `info` is well formed.
Status ValidateProjectionInfo(const ProjectionInfo& info);

}  // namespace duet

#endif  // DUET_PROJECTION_H_
