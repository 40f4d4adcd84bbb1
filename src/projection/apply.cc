#include "projection/apply.h"

#include <algorithm>
#include <exception>
#include <memory>
#include <vector>

namespace duet::projection {

Applier::Applier(const Projection* projection, std::shared_ptr<const UpcasterChain> upcasters)
    : projection_(projection),
      upcasters_(std::move(upcasters)),
      all_types_(projection->info().event_types.empty()),
      types_(projection->info().event_types) {}

bool Applier::Handles(std::string_view type) const {
  // A projection names a handful of types: a scan that compares lengths
  // first beats a tree or a hash of the name, on every event of a replay.
  return all_types_ || std::find(types_.begin(), types_.end(), type) != types_.end();
}

Status Applier::ApplyOne(const RecordedEvent& event, ReadStoreTxn& txn) const {
  // A projection is user code: an exception must not cross into the runner.
  try {
    return projection_->ApplyTo(event, txn);
  } catch (const std::exception& e) {
    return Status::FailedPrecondition(std::string("Apply threw: ") + e.what());
  } catch (...) {
    return Status::FailedPrecondition("Apply threw a non-standard exception");
  }
}

Status Applier::ApplyStored(const RecordedEvent& stored, ReadStoreTxn& txn) const {
  if (upcasters_ == nullptr || !upcasters_->NeedsUpcast(stored)) {
    return Handles(stored.type) ? ApplyOne(stored, txn) : Status::OK();
  }
  DUET_ASSIGN_OR_RETURN(std::vector<RecordedEvent> events, upcasters_->Upcast(stored));
  for (const RecordedEvent& event : events) {
    if (Handles(event.type)) DUET_RETURN_IF_ERROR(ApplyOne(event, txn));
  }
  return Status::OK();
}

namespace {

ParkedEvent ToParked(const RecordedEvent& event, const Status& error) {
  return ParkedEvent{event.position, event.stream, event.type, error.ToString()};
}

}  // namespace

Status Applier::ApplyPrefix(std::span<const RecordedEvent> batch,
                            std::span<const std::optional<ParkedEvent>> parked, ReadStoreTxn& txn,
                            std::optional<size_t>* failed) const {
  for (size_t i = 0; i < batch.size(); ++i) {
    if (parked[i]) {
      DUET_RETURN_IF_ERROR(txn.Park(*parked[i]));
      continue;
    }
    Status applied = ApplyStored(batch[i], txn);
    if (!applied.ok()) {
      *failed = i;
      return applied;
    }
  }
  return Status::OK();
}

Result<BatchResult> Applier::ApplyBatch(ReadStore& store,
                                        std::span<const RecordedEvent> batch) const {
  BatchResult result;
  result.committed = store.checkpoint();
  // The events that failed and were parked (kPark), kept across attempts so
  // a redo parks them again in its new transaction.
  std::vector<std::optional<ParkedEvent>> parked(batch.size());
  size_t limit = batch.size();  // kStop: events from `limit` on are not applied
  // Each attempt either commits or decides one more event (parks it or lowers
  // `limit`), so the loop ends after at most batch.size() + 1 attempts.
  for (;;) {
    DUET_ASSIGN_OR_RETURN(std::unique_ptr<ReadStoreTxn> txn, store.Begin());
    std::optional<size_t> failed;
    Status error = ApplyPrefix(batch.first(limit), parked, *txn, &failed);
    if (!failed) {
      DUET_RETURN_IF_ERROR(error);    // a Park error from the store
      if (limit == 0) return result;  // the first event failed: nothing to commit
      const GlobalPosition checkpoint = batch[limit - 1].position;
      DUET_RETURN_IF_ERROR(store.Commit(std::move(txn), checkpoint));
      result.committed = checkpoint;
      result.events = limit;
      for (size_t i = 0; i < limit; ++i) result.parked += parked[i] ? 1 : 0;
      return result;
    }
    // The failed Apply may have half-written into txn: discard it and redo
    // the events before the failure into a fresh one.
    txn.reset();
    if (projection_->info().on_failure == FailurePolicy::kPark) {
      parked[*failed] = ToParked(batch[*failed], error);
    } else {
      limit = *failed;
      result.failure = ApplyFailure{batch[*failed].position, error.ToString()};
    }
  }
}

namespace {

// The part of `page` within `limit`; sets `done` when the limit is reached.
std::span<const RecordedEvent> WithinLimit(std::span<const RecordedEvent> page,
                                           const ReplayLimit& limit, bool* done) {
  size_t n = 0;
  while (n < page.size()) {
    const RecordedEvent& event = page[n];
    if (event.position > limit.last) break;
    if (limit.last_timestamp_us && event.timestamp_us > *limit.last_timestamp_us) break;
    ++n;
  }
  *done = n < page.size() || (!page.empty() && page.back().position >= limit.last);
  return page.first(n);
}

}  // namespace

Status Replay(EventStore& log, const Applier& applier, ReadStore& target, ReplayLimit limit,
              size_t page_size) {
  if (page_size == 0) page_size = 1;
  for (;;) {
    const GlobalPosition from = target.checkpoint().Next();
    if (from > limit.last) return Status::OK();
    DUET_ASSIGN_OR_RETURN(std::vector<RecordedEvent> page, log.ReadAll(from, page_size));
    if (page.empty()) return Status::OK();  // the head
    bool done = false;
    std::span<const RecordedEvent> events = WithinLimit(page, limit, &done);
    if (!events.empty()) {
      DUET_ASSIGN_OR_RETURN(BatchResult batch, applier.ApplyBatch(target, events));
      if (batch.failure) {
        return Status::FailedPrecondition(
            "projection " + applier.projection().info().name + " failed at position " +
            std::to_string(batch.failure->position.value) + ": " + batch.failure->error);
      }
    }
    if (done) return Status::OK();
  }
}

}  // namespace duet::projection
