#include "server/store_metrics.h"

namespace duet::server {
namespace {

constexpr char kErrorsName[] = "duet_append_errors_total";
constexpr char kErrorsHelp[] = "Appends that failed, by status code.";

}  // namespace

StoreMetrics::StoreMetrics(Registry* registry)
    : registry_(registry),
      transactions_(registry->Histogram("duet_group_commit_transactions",
                                        "Appends (transactions) written per group-commit round.",
                                        ExponentialBuckets(1, 2, 11))),
      events_(registry->Histogram("duet_group_commit_events",
                                  "Events written per group-commit round (per fsync in sync "
                                  "durability).",
                                  ExponentialBuckets(1, 2, 17))),
      bytes_(registry->Histogram("duet_group_commit_bytes", "Bytes written per group-commit round.",
                                 ExponentialBuckets(256, 4, 10))),
      fsync_(registry->Histogram("duet_fsync_seconds", "Time of one fdatasync of the log.",
                                 LatencyBuckets())),
      append_(registry->Histogram("duet_append_seconds",
                                  "Append latency, from the call to its acknowledgement.",
                                  LatencyBuckets())),
      appended_events_(
          registry->Counter("duet_store_appended_events_total", "Events written to the store.")),
      appended_bytes_(registry->Counter("duet_store_appended_bytes_total",
                                        "Encoded bytes of the events written to the store.")) {}

void StoreMetrics::OnCommitRound(const CommitRound& round) {
  transactions_.Observe(static_cast<double>(round.transactions));
  events_.Observe(static_cast<double>(round.events));
  bytes_.Observe(static_cast<double>(round.bytes));
  appended_events_.Increment(round.events);
  appended_bytes_.Increment(round.bytes);
  if (round.sync_time.count() > 0) fsync_.ObserveSeconds(round.sync_time);
}

void StoreMetrics::OnBackgroundSync(std::chrono::nanoseconds sync_time) {
  fsync_.ObserveSeconds(sync_time);
}

void StoreMetrics::OnAppend(std::chrono::nanoseconds latency, StatusCode outcome) {
  append_.ObserveSeconds(latency);
  if (outcome != StatusCode::kOk) {
    registry_->Counter(kErrorsName, kErrorsHelp, {{"code", std::string(StatusCodeName(outcome))}})
        .Increment();
  }
}

}  // namespace duet::server
