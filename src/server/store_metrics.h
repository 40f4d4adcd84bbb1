// StoreMetrics: a StoreObserver (include/duet/options.h) that feeds the
// store's write-path measurements into a metrics Registry:
//
//   duet_group_commit_transactions  histogram  appends per group-commit round (1, 2, 4, ... 1024)
//   duet_group_commit_events        histogram  events per group-commit round (1, 2, 4, ... 65536);
//                                              its sum over its count: events per fsync
//   duet_group_commit_bytes         histogram  bytes written per round (256 B ... 64 MiB)
//   duet_fsync_seconds              histogram  fdatasync time, rounds and background syncs
//   duet_append_seconds             histogram  AppendMulti latency, call to acknowledgement
//   duet_append_errors_total{code}  counter    failed appends by status code name
//   duet_store_appended_events_total counter   events written (sum over the rounds)
//   duet_store_appended_bytes_total  counter   encoded bytes written
//
// Only a node whose store writes (roles all and command) has these: a query
// node never appends, so it registers none of them rather than zeros.
//
// Thread-safe (atomic updates; an error's counter lookup takes the
// registry's lock, errors being the rare path).
#ifndef DUET_SERVER_STORE_METRICS_H_
#define DUET_SERVER_STORE_METRICS_H_

#include "duet/options.h"
#include "server/metrics.h"

namespace duet::server {

class StoreMetrics final : public StoreObserver {
 public:
  // Registers the families in `registry`, which must outlive this object.
  // Pass this object as StoreOptions::observer; it must outlive the store.
  explicit StoreMetrics(Registry* registry);

  void OnCommitRound(const CommitRound& round) override;
  void OnBackgroundSync(std::chrono::nanoseconds sync_time) override;
  void OnAppend(std::chrono::nanoseconds latency, StatusCode outcome) override;

 private:
  Registry* const registry_;
  Histogram& transactions_;
  Histogram& events_;
  Histogram& bytes_;
  Histogram& fsync_;
  Histogram& append_;
  Counter& appended_events_;
  Counter& appended_bytes_;
};

}  // namespace duet::server

#endif  // DUET_SERVER_STORE_METRICS_H_
