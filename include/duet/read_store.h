// Read stores: where projections keep the read models that queries answer
// from. Three kinds, each shaped for one kind of consumer:
//
// - DocumentStore: denormalized JSON documents by key, with secondary indexes
//   declared per document (list by index value, ordered, cursor-paged).
// - SearchStore: full-text search over fields the projection writes (ranked,
//   prefix matching, filters by an exact field value).
// - AnalyticsStore: count, sum, min and max of a measure by dimensions and
//   time bucket (minute, hour, day).
//
// Every store keeps the checkpoint of the projection that writes it (the
// position of the last event whose changes it holds) and commits it in the
// same transaction as the changes (see ReadStore::Commit): after a crash the
// store holds exactly the effects of the events up to its checkpoint.
//
// Threads: one writer (the projection runner) at a time, any number of
// concurrent readers. Readers see whole committed batches, never a half
// applied one, and every read answers with the checkpoint it reflects.
#ifndef DUET_READ_STORE_H_
#define DUET_READ_STORE_H_

#include <boost/json.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/result.h"
#include "duet/status.h"
#include "duet/types.h"

namespace duet {

enum class ReadStoreKind : uint8_t { kDocument, kSearch, kAnalytics };
std::string_view ReadStoreKindName(ReadStoreKind kind);  // "document", "search", "analytics"

// An event a projection could not apply, kept instead of stopping the
// projection when its policy says so (ProjectionInfo::on_failure).
struct ParkedEvent {
  GlobalPosition position;
  std::string stream;
  std::string type;
  std::string error;  // the Status text of the failure
};

// The changes of one batch of events. Obtained from ReadStore::Begin, filled
// by Projection::Apply, made visible and durable by ReadStore::Commit (or
// discarded by destroying it). Thread-compatible: used by the runner's thread
// only. Each store kind has its own subclass, below.
class ReadStoreTxn {
 public:
  virtual ~ReadStoreTxn() = default;
  // Keeps `event` in the store's parked list, committed with this batch.
  virtual Status Park(const ParkedEvent& event) = 0;
  // Removes parked events at `position` (after a successful retry).
  virtual Status Unpark(GlobalPosition position) = 0;
};

// A read store. Thread-safe as described at the top of this file.
class ReadStore {
 public:
  virtual ~ReadStore() = default;
  virtual ReadStoreKind kind() const = 0;

  // Position of the last event whose changes are committed (kNoPosition when
  // none). Never moves backwards.
  virtual GlobalPosition checkpoint() const = 0;

  // Starts the changes of one batch. REQUIRES: no other transaction is open.
  virtual Result<std::unique_ptr<ReadStoreTxn>> Begin() = 0;

  // Makes `txn`'s changes and `checkpoint` visible and durable together, or
  // neither. REQUIRES: txn came from this store's Begin; checkpoint >=
  // checkpoint(). Errors: kIOError/kStorageFull (nothing of txn committed).
  virtual Status Commit(std::unique_ptr<ReadStoreTxn> txn, GlobalPosition checkpoint) = 0;

  // The parked events, oldest first.
  virtual Result<std::vector<ParkedEvent>> Parked() = 0;

  // Every entry of the read model in key order, with its content rendered
  // canonically, for content digests and diffs (determinism checks). Parked
  // events and the checkpoint are not entries.
  using EntryVisitor = std::function<void(std::string_view key, std::string_view content)>;
  virtual Status ForEachEntry(const EntryVisitor& visit) = 0;
};

// ---------------------------------------------------------------- documents

// One secondary-index entry of a document: the document is listed under
// (index, value), ordered within it by `sort_key` then the document key.
// Sort keys compare as bytes: zero-pad numbers that must sort numerically.
// A sort key that orders positions numerically as bytes (zero-padded to 20 digits).
std::string PositionSortKey(GlobalPosition position);

struct IndexEntry {
  std::string index;
  std::string value;
  std::string sort_key;
};

class DocumentTxn : public ReadStoreTxn {
 public:
  // The document under `key` as this transaction sees it (its own writes
  // included), or nullptr. Valid until the next Put or Delete of this txn.
  virtual Result<const boost::json::object*> Get(std::string_view key) = 0;
  // The document under `key` as this transaction sees it, to change in
  // place (a read-modify-write without a copy per event), or nullptr when
  // there is none (create it with Put). Edits through the pointer belong to
  // this transaction: Commit makes them visible with the batch, and a
  // transaction destroyed without Commit leaves the committed document as it
  // was. The document keeps its index entries (Put to change them). The
  // first call for a key in a transaction copies the committed document
  // once; later Get and GetForUpdate calls of that key see the edits and copy
  // nothing. Commit writes the document even when nothing was changed
  // through the pointer. Valid until the next Put or Delete of this txn.
  virtual Result<boost::json::object*> GetForUpdate(std::string_view key) = 0;
  // Stores `doc` under `key`, replacing the document and its index entries.
  virtual Status Put(std::string_view key, boost::json::object doc,
                     std::vector<IndexEntry> index_entries = {}) = 0;
  // Removes the document and its index entries; OK if there is none.
  virtual Status Delete(std::string_view key) = 0;
};

struct Document {
  std::string key;
  boost::json::object doc;
};

struct DocumentRead {
  std::optional<boost::json::object> doc;  // nullopt: no such key
  GlobalPosition position;                 // the checkpoint this read reflects
};

struct ListRequest {
  std::string index;
  std::string value;
  std::string cursor;  // from a previous page's next_cursor; empty: first page
  size_t limit = 50;
  bool descending = false;
};

struct DocumentPage {
  std::vector<Document> items;
  std::string next_cursor;  // empty when this is the last page
  GlobalPosition position;
};

class DocumentStore : public ReadStore {
 public:
  ReadStoreKind kind() const final { return ReadStoreKind::kDocument; }
  virtual Result<DocumentRead> Get(std::string_view key) = 0;
  // Documents listed under (index, value), ordered by (sort_key, key).
  // Errors: kInvalidArgument("cursor") for a cursor this store did not issue,
  // kInvalidArgument("limit") for 0 or more than 1000.
  virtual Result<DocumentPage> List(const ListRequest& request) = 0;
};

// ------------------------------------------------------------------- search

struct SearchDocument {
  // Full-text fields (name -> text): tokenized (Unicode, case- and
  // diacritic-insensitive) and ranked.
  std::vector<std::pair<std::string, std::string>> text;
  // Exact-match fields (name -> value) that queries can filter by.
  std::vector<std::pair<std::string, std::string>> filters;
  // Returned with each hit.
  boost::json::object stored;
};

class SearchTxn : public ReadStoreTxn {
 public:
  // The document under `key` as this transaction sees it (its own writes
  // included), or nullopt. Projections need it because most events carry
  // only part of a document: an "order shipped" event changes the status
  // filter but does not repeat the customer or item names the text holds.
  virtual Result<std::optional<SearchDocument>> Get(std::string_view key) = 0;
  virtual Status Upsert(std::string_view key, SearchDocument doc) = 0;
  virtual Status Delete(std::string_view key) = 0;
};

struct SearchQuery {
  // Words to match, all of them (AND); the last word also matches as a
  // prefix ("ali" finds "alice"). Operators are not interpreted: the text is
  // plain words, so user input is safe to pass through.
  std::string text;
  std::vector<std::pair<std::string, std::string>> filters;  // all must hold
  size_t limit = 20;
  size_t offset = 0;
};

struct SearchHit {
  std::string key;
  double score = 0;  // higher ranks first
  boost::json::object stored;
};

struct SearchResult {
  std::vector<SearchHit> hits;  // best first
  GlobalPosition position;
};

class SearchStore : public ReadStore {
 public:
  ReadStoreKind kind() const final { return ReadStoreKind::kSearch; }
  // Hits ranked by bm25 (FTS5's formula; ties by key). The work is bounded
  // by the page, not by the number of matches: the ranked set is the 256
  // matching documents whose text was indexed last (or offset + limit, when
  // more), so when more documents match, an older one may rank better than
  // the hits returned. With fewer matches than that the ranking is the full
  // one.
  // Errors: kInvalidArgument("q") when the text has no word,
  // kInvalidArgument("limit") for 0 or more than 1000,
  // kInvalidArgument("offset") when offset + limit is more than 1000.
  virtual Result<SearchResult> Search(const SearchQuery& query) = 0;
};

// ---------------------------------------------------------------- analytics

enum class TimeBucket : uint8_t { kMinute, kHour, kDay };
std::string_view TimeBucketName(TimeBucket bucket);  // "minute", "hour", "day"
// InvalidArgument(field) unless `name` is one of the names above.
Result<TimeBucket> ParseTimeBucket(std::string_view name, std::string_view field = "bucket");

using Dimensions = std::vector<std::pair<std::string, std::string>>;

class AnalyticsTxn : public ReadStoreTxn {
 public:
  // Adds one observation of `measure` (e.g. "revenue") with `dimensions`
  // (e.g. {{"currency", "EUR"}}) at `timestamp_us` (microseconds since the
  // Unix epoch, normally the event's timestamp).
  virtual Status Record(std::string_view measure, const Dimensions& dimensions,
                        int64_t timestamp_us, int64_t value) = 0;
};

struct AnalyticsQuery {
  std::string measure;
  Dimensions filters;                 // dimension == value, all must hold
  std::vector<std::string> group_by;  // dimensions to group by, in order
  TimeBucket bucket = TimeBucket::kDay;
  int64_t from_us = INT64_MIN;  // inclusive
  int64_t to_us = INT64_MAX;    // exclusive
};

struct AnalyticsRow {
  int64_t bucket_start_us = 0;
  std::vector<std::string> group;  // values of query.group_by, in order
  int64_t count = 0;
  int64_t sum = 0;
  int64_t min = 0;
  int64_t max = 0;
};

struct AnalyticsResult {
  std::vector<AnalyticsRow> rows;  // ordered by (bucket_start_us, group)
  GlobalPosition position;
};

class AnalyticsStore : public ReadStore {
 public:
  ReadStoreKind kind() const final { return ReadStoreKind::kAnalytics; }
  // Errors: kInvalidArgument("measure") when empty.
  virtual Result<AnalyticsResult> Aggregate(const AnalyticsQuery& query) = 0;
};

// ---------------------------------------------------------------- factories

// The persistent stores live in `dir` (created if missing; one store per
// folder). Errors: kBusy if another process has it open, kCorruption when
// its files fail their checks, kIOError.
Result<std::unique_ptr<DocumentStore>> OpenDocumentStore(const std::filesystem::path& dir);
Result<std::unique_ptr<SearchStore>> OpenSearchStore(const std::filesystem::path& dir);
Result<std::unique_ptr<AnalyticsStore>> OpenAnalyticsStore(const std::filesystem::path& dir);
// A document store in memory only: for fast replays, point-in-time views,
// scratch stores and tests.
std::unique_ptr<DocumentStore> NewMemoryDocumentStore();
// Opens the persistent store of `kind` in `dir`.
Result<std::unique_ptr<ReadStore>> OpenReadStore(ReadStoreKind kind,
                                                 const std::filesystem::path& dir);

// ----------------------------------------------------- a persistent store's files
//
// A persistent store's folder holds files only the read store knows how to
// name, copy and remove (docs/format.md, "Read stores"): copying them one by
// one while the store is open can tear a commit, and a stale write-ahead log
// left beside another store's file would be replayed into it. So callers (the
// projection engine's snapshots and point-in-time builds) go through these
// functions and never look inside the folder.
//
// A *copy* is one checkpoint's committed state of a store, written by
// SnapshotReadStore at a path the caller picks (a staging path beside the
// snapshots it keeps). The caller treats it as opaque: it moves it only with
// InstallReadStoreSnapshot and may delete it with std::filesystem::remove_all.
// A *snapshot folder* holds one installed copy; it is not a store (no lock,
// nothing writes it) until RestoreReadStore makes one from it.
//
// Thread-safe: each call opens its own files. A copy of an open store neither
// blocks its writer nor waits for it.

// True when `dir` holds a persistent store's data, i.e. Open<Kind>Store(dir)
// would open an existing store rather than create one. False also when `dir`
// cannot be read (the open that follows says why).
bool ReadStoreExists(const std::filesystem::path& dir);

// Writes a consistent copy of the store of `kind` in `store_dir` (open or
// closed) to the new path `copy`, makes it durable and checks it as
// CheckReadStoreSnapshot does; returns its checkpoint. The copy holds exactly
// the batches committed when it was taken: a batch still open is not in it.
// On error nothing is left at `copy`. Errors: kFailedPrecondition when
// `store_dir` is empty (a memory store has no files) or `copy` exists;
// kNotFound when `store_dir` holds no store; kCorruption when the copy fails
// its check; kIOError/kStorageFull.
Result<GlobalPosition> SnapshotReadStore(ReadStoreKind kind, const std::filesystem::path& store_dir,
                                         const std::filesystem::path& copy);

// Moves `copy` (from SnapshotReadStore) into the folder `snapshot_dir`,
// created when missing, and fsyncs that folder; the caller fsyncs its parent.
// Errors: kFailedPrecondition when `snapshot_dir` already holds a snapshot;
// kIOError/kStorageFull.
Status InstallReadStoreSnapshot(const std::filesystem::path& copy,
                                const std::filesystem::path& snapshot_dir);

// Checks that `snapshot_dir` holds a whole, readable copy of a store of `kind`
// in this build's format and returns its checkpoint. Errors: kCorruption when
// the copy is missing, truncated or damaged; kFailedPrecondition when it is of
// another kind or format version; kIOError, also for a damaged copy that
// asks SQLite for an allocation it refuses ("out of memory": it cannot be
// told from real memory pressure).
Result<GlobalPosition> CheckReadStoreSnapshot(ReadStoreKind kind,
                                              const std::filesystem::path& snapshot_dir);

// Makes `store_dir` (created when missing) hold the store of `kind` that
// `snapshot_dir` holds a copy of, replacing whatever store it held (the
// snapshot is left as it was), and returns the restored checkpoint; the next
// Open<Kind>Store(store_dir) opens it. The copy is checked as
// CheckReadStoreSnapshot does before it replaces anything, and the result is
// durable when this returns. On error `store_dir` keeps its old store if
// copying or checking the copy failed, and holds no store otherwise.
// Errors: kBusy when the store in `store_dir` is open; those of
// CheckReadStoreSnapshot; kIOError/kStorageFull.
Result<GlobalPosition> RestoreReadStore(ReadStoreKind kind,
                                        const std::filesystem::path& snapshot_dir,
                                        const std::filesystem::path& store_dir);

// Removes the files of the store in `dir`, committed or not, so that `dir`
// no longer holds a store (ReadStoreExists is false). The folder and its
// lock file stay: unlinking a lock file another opener may hold would let a
// third one in. OK when there is no store. Errors: kBusy when the store is
// open; kIOError.
Status RemoveReadStore(const std::filesystem::path& dir);

}  // namespace duet

#endif  // DUET_READ_STORE_H_
