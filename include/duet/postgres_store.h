// The event store on PostgreSQL: the same EventStore contract as the
// embedded store, for several command nodes sharing one database.
//
// Layout (created and migrated on Open, docs/format.md "PostgreSQL store"):
//   duet_schema   one row: the schema version
//   duet_head     one row: the log's last position and timestamp, and the
//                 commit-order lock (below)
//   duet_events   one row per event: position (primary key), stream,
//                 version (unique with stream), event id, type, data,
//                 metadata, timestamp
//
// Never skip, never duplicate: every appending transaction takes the row
// lock of duet_head before it assigns positions and holds it until its
// COMMIT is flushed and visible, so positions are handed out in commit order
// and no transaction can commit a position below one a reader has seen
// (docs/decisions.md, "PostgreSQL: positions in commit order").
//
// Cross-request batching: appends from every thread queue for one writer
// connection, which takes all that waited into one transaction (each
// append's expected versions checked on its own; one append's conflict does
// not fail the others). The writer thread commits the queue; a synchronous
// AppendMulti finding the connection free commits it itself, sparing two
// thread hand-offs. Each transaction costs two round trips (libpq pipeline
// mode): BEGIN + lock + stream versions, then INSERT + COMMIT.
//
// Faults: a lost connection is reopened on the next use. An append that
// failed before its COMMIT was sent is answered kUnavailable saying "nothing
// was written". An append whose COMMIT was in flight when the connection
// broke is decided by looking: the store reconnects, waits until the old
// server process is gone, and answers OK if the batch's first event is at
// its position, else kUnavailable "nothing was written"; if that cannot be
// learnt within connect_timeout, kUnavailable saying the outcome is unknown,
// never a guess. Retrying an append with the same event ids and expected
// version (or the same command id through the command bus) answers the
// original result if it did commit.
//
// Thread-safe.
#ifndef DUET_POSTGRES_STORE_H_
#define DUET_POSTGRES_STORE_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "duet/event_store.h"
#include "duet/options.h"
#include "duet/result.h"

namespace duet {

struct PostgresStoreOptions {
  // Limits and observer as for the embedded store (StoreOptions); durability
  // is PostgreSQL's own (the store sets synchronous_commit = on).
  StoreOptions store{};
  // Connections for reads (ReadStream, ReadAll, StreamHead); the writer and
  // the LISTEN connection are two more.
  size_t read_connections = 4;
  // How long one connection attempt may take before kUnavailable.
  std::chrono::milliseconds connect_timeout{5000};
  // One writer transaction carries at most this many events (a single
  // larger append still goes alone).
  size_t max_batch_events = 8192;
  // Tests only: called on the writer thread inside each append transaction,
  // after the commit-order lock is taken and before COMMIT.
  std::function<void()> before_commit{};
};

class PostgresStore : public EventStore {
 public:
  // Connects to `url` (postgresql://user@host:port/db, libpq's URI form),
  // creates or migrates the schema, and starts the writer and the listener.
  // Errors: kInvalidArgument (not a postgresql:// URL), kUnavailable (cannot
  // connect), kFailedPrecondition (a schema newer than this build).
  static Result<std::unique_ptr<PostgresStore>> Open(std::string_view url,
                                                     const PostgresStoreOptions& options);

  // Health(): OK while PostgreSQL answered the last attempt; kUnavailable
  // with libpq's reason otherwise.
};

// Whether `text` names a PostgreSQL store (postgresql:// or postgres://).
bool IsPostgresUrl(std::string_view text);

}  // namespace duet

#endif  // DUET_POSTGRES_STORE_H_
