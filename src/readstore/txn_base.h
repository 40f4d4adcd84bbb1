// What every read store's transaction shares: the "one open transaction per
// store" slot, and the parked-event changes staged until Commit.
//
// Thread-compatible: a transaction is used by the runner's thread only.
#ifndef DUET_READSTORE_TXN_BASE_H_
#define DUET_READSTORE_TXN_BASE_H_

#include <atomic>
#include <utility>
#include <variant>
#include <vector>

#include "duet/read_store.h"

namespace duet::readstore {

// A Park (the event) or an Unpark (the position), in call order.
using ParkOp = std::variant<ParkedEvent, GlobalPosition>;

// Holds a store's "transaction open" flag while a transaction lives, so
// Begin can refuse a second one (ReadStore::Begin's REQUIRES, checked).
class TxnSlot {
 public:
  // FailedPrecondition when the flag is already set.
  static Result<TxnSlot> Acquire(std::atomic<bool>* open) {
    if (open->exchange(true)) {
      return Status::FailedPrecondition("a transaction of this read store is already open");
    }
    return TxnSlot(open);
  }
  TxnSlot(TxnSlot&& other) noexcept : open_(std::exchange(other.open_, nullptr)) {}
  TxnSlot& operator=(TxnSlot&&) = delete;
  ~TxnSlot() {
    if (open_ != nullptr) open_->store(false);
  }

 private:
  explicit TxnSlot(std::atomic<bool>* open) : open_(open) {}
  std::atomic<bool>* open_;
};

// Base of a store's transaction class: `Base` is DocumentTxn, SearchTxn or
// AnalyticsTxn; `owner` is the store that began it (checked at Commit).
template <typename Base>
class ParkingTxn : public Base {
 public:
  ParkingTxn(const void* owner, TxnSlot slot) : owner_(owner), slot_(std::move(slot)) {}

  Status Park(const ParkedEvent& event) override {
    park_ops_.emplace_back(event);
    return Status::OK();
  }
  Status Unpark(GlobalPosition position) override {
    park_ops_.emplace_back(position);
    return Status::OK();
  }

  const void* owner() const { return owner_; }
  const std::vector<ParkOp>& park_ops() const { return park_ops_; }

 private:
  const void* owner_;
  TxnSlot slot_;
  std::vector<ParkOp> park_ops_;
};

// The transaction `txn` as the store class `Txn` of `owner`, or nullptr
// when it came from elsewhere.
template <typename Txn>
Txn* OwnTxn(ReadStoreTxn* txn, const void* owner) {
  auto* mine = dynamic_cast<Txn*>(txn);
  return mine != nullptr && mine->owner() == owner ? mine : nullptr;
}

inline Status ForeignTxn() {
  return Status::FailedPrecondition("the transaction does not belong to this read store");
}

inline Status CheckpointBehind(GlobalPosition requested, GlobalPosition current) {
  return Status::FailedPrecondition("checkpoint " + std::to_string(requested.value) +
                                    " is behind the store's " + std::to_string(current.value));
}

}  // namespace duet::readstore

#endif  // DUET_READSTORE_TXN_BASE_H_
