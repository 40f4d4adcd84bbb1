// The store-independent parts of include/duet/read_store.h: names of kinds and
// buckets, and the factory by kind.
#include "duet/read_store.h"

#include <cstdio>

namespace duet {

std::string_view ReadStoreKindName(ReadStoreKind kind) {
  switch (kind) {
    case ReadStoreKind::kDocument: return "document";
    case ReadStoreKind::kSearch: return "search";
    case ReadStoreKind::kAnalytics: return "analytics";
  }
  return "unknown";
}

std::string_view TimeBucketName(TimeBucket bucket) {
  switch (bucket) {
    case TimeBucket::kMinute: return "minute";
    case TimeBucket::kHour: return "hour";
    case TimeBucket::kDay: return "day";
  }
  return "unknown";
}

std::string PositionSortKey(GlobalPosition position) {
  char text[24];
  std::snprintf(text, sizeof(text), "%020llu", static_cast<unsigned long long>(position.value));
  return text;
}

Result<TimeBucket> ParseTimeBucket(std::string_view name, std::string_view field) {
  for (TimeBucket bucket : {TimeBucket::kMinute, TimeBucket::kHour, TimeBucket::kDay}) {
    if (name == TimeBucketName(bucket)) return bucket;
  }
  return Status::InvalidArgument(field, "must be minute, hour or day");
}

namespace {

template <typename T>
Result<std::unique_ptr<ReadStore>> Upcast(Result<std::unique_ptr<T>> store) {
  if (!store.ok()) return store.status();
  return std::unique_ptr<ReadStore>(std::move(store).value());
}

}  // namespace

Result<std::unique_ptr<ReadStore>> OpenReadStore(ReadStoreKind kind,
                                                 const std::filesystem::path& dir) {
  switch (kind) {
    case ReadStoreKind::kDocument: return Upcast(OpenDocumentStore(dir));
    case ReadStoreKind::kSearch: return Upcast(OpenSearchStore(dir));
    case ReadStoreKind::kAnalytics: return Upcast(OpenAnalyticsStore(dir));
  }
  return Status::InvalidArgument("kind", "unknown read store kind");
}

}  // namespace duet
