// PostgresStore: the EventStore contract on PostgreSQL (include/duet/
// postgres_store.h; schema in docs/format.md; the commit-order argument in
// docs/decisions.md).
//
// Threads:
// - appenders validate and queue (AppendMultiAsync); a synchronous
//   AppendMulti that finds the writer connection free commits the queue
//   itself (it leads);
// - one writer thread per store takes everything queued into one
//   transaction: BEGIN and the duet_head row lock, the current versions of
//   every stream in the batch, each append decided on its own (conflicts and
//   retries answered without failing the rest), one INSERT of all accepted
//   events with the head update and a NOTIFY, COMMIT; then the answers;
// - an answerer thread tells the answers of a batch of several appends, so
//   waking their waiters does not hold up the next transaction;
// - one listener thread holds a LISTEN connection and moves the known head
//   on every NOTIFY (other nodes' commits), so WaitForHead and subscriptions
//   wake without polling; it also keeps Health() current while idle;
// - reads use a small pool of connections.
#include "duet/postgres_store.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include "pgstore/pg_connection.h"
#include "util/thread_annotations.h"
#include "util/thread_name.h"

namespace duet {
namespace pgstore {
namespace {

constexpr int kSchemaVersion = 1;
// pg_advisory_lock key that serializes schema creation across nodes ("duet").
constexpr int64_t kMigrationLockKey = 0x6475657400000001;
constexpr const char* kChannel = "duet_events";
// The listener re-reads the head this often even without a NOTIFY: a
// notification sent while it was reconnecting is never delivered.
constexpr std::chrono::milliseconds kHeadPollInterval{2000};
constexpr std::chrono::milliseconds kReconnectPause{250};
// The longest a batch waits for appenders to gather (GatherBatch).
constexpr std::chrono::microseconds kMaxGather{1000};

constexpr const char* kSelectColumns =
    "SELECT position, stream, version, event_id, type, data, metadata, timestamp_us "
    "FROM duet_events ";

int64_t NowMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t ClampToInt64(uint64_t value) {
  return static_cast<int64_t>(std::min<uint64_t>(value, INT64_MAX));
}

int64_t TextInt64(const PGresult* result, int row, int column) {
  return std::stoll(PQgetvalue(result, row, column));
}

std::vector<RecordedEvent> ToEvents(const PGresult* result) {
  std::vector<RecordedEvent> out;
  const int rows = PQntuples(result);
  out.reserve(static_cast<size_t>(rows));
  for (int row = 0; row < rows; ++row) {
    RecordedEvent& e = out.emplace_back();
    e.position = GlobalPosition(static_cast<uint64_t>(GetInt8(result, row, 0)));
    e.stream = std::string(GetBytes(result, row, 1));
    e.version = StreamVersion(static_cast<uint64_t>(GetInt8(result, row, 2)));
    e.id = GetUuid(result, row, 3);
    e.type = std::string(GetBytes(result, row, 4));
    e.data = std::string(GetBytes(result, row, 5));
    e.metadata = std::string(GetBytes(result, row, 6));
    e.timestamp_us = GetInt8(result, row, 7);
  }
  return out;
}

// Creates the schema, or checks that the one there is this build's.
// Concurrent nodes starting together take turns on an advisory lock.
Status Migrate(PgConnection& conn) {
  DUET_RETURN_IF_ERROR(
      conn.Exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLockKey) + ")").status());
  auto unlock = [&conn] {
    (void)conn.Exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLockKey) + ")");
  };
  auto version = conn.Exec(
      "CREATE TABLE IF NOT EXISTS duet_schema (version integer NOT NULL);"
      "SELECT coalesce(max(version), 0) FROM duet_schema");
  if (!version.ok()) {
    unlock();
    return version.status();
  }
  const int64_t found = TextInt64(version->get(), 0, 0);
  Status status;
  if (found > kSchemaVersion) {
    status = Status::FailedPrecondition("the PostgreSQL schema is version " +
                                        std::to_string(found) + "; this build knows up to " +
                                        std::to_string(kSchemaVersion) + " (upgrade Duet)");
  } else if (found == 0) {
    status = conn.Exec(
                     "BEGIN;"
                     "CREATE TABLE duet_head ("
                     "  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),"
                     "  position bigint NOT NULL,"
                     "  timestamp_us bigint NOT NULL);"
                     "INSERT INTO duet_head VALUES (true, 0, 0);"
                     "CREATE TABLE duet_events ("
                     "  position bigint PRIMARY KEY,"
                     "  stream text COLLATE \"C\" NOT NULL,"
                     "  version bigint NOT NULL,"
                     "  event_id uuid NOT NULL,"
                     "  type text NOT NULL,"
                     "  data bytea NOT NULL,"
                     "  metadata bytea NOT NULL,"
                     "  timestamp_us bigint NOT NULL,"
                     "  UNIQUE (stream, version));"
                     "INSERT INTO duet_schema VALUES (" +
                     std::to_string(kSchemaVersion) +
                     ");"
                     "COMMIT")
                 .status();
  }
  unlock();
  return status;
}

// One queued AppendMultiAsync.
struct Pending {
  std::vector<StreamAppend> appends;
  AppendCallback done;
  size_t events = 0;
  std::chrono::steady_clock::time_point start;
  uint64_t ticket = 0;  // its place in the queue, for a leading caller
  // Filled by the writer.
  std::optional<Result<MultiAppendResult>> answer;  // decided without this commit
  bool accepted = false;                            // its events are in this commit
  bool rests_on_batch = false;  // its answer reads an append of this same commit
  MultiAppendResult result;
};

// What an append came to, to be told to its caller.
struct Answer {
  AppendCallback done;
  Result<MultiAppendResult> result;
  std::chrono::steady_clock::time_point start;
};

// A stream's events accepted earlier in the same batch, for the decisions of
// later appends of that batch.
struct BatchEvent {
  EventId id;
  GlobalPosition position;
};

class PostgresStoreImpl final : public PostgresStore {
 public:
  PostgresStoreImpl(std::string url, PostgresStoreOptions options)
      : url_(std::move(url)), options_(std::move(options)) {}

  ~PostgresStoreImpl() override {
    {
      std::lock_guard lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (writer_thread_.joinable()) writer_thread_.join();
    {
      std::lock_guard lock(answers_mu_);
      answerer_stopping_ = true;
    }
    answers_cv_.notify_all();
    if (answerer_thread_.joinable()) answerer_thread_.join();
    {
      std::lock_guard lock(head_mu_);
      closed_ = true;
    }
    head_cv_.notify_all();
    const char byte = 0;
    if (wake_[1] >= 0) (void)!write(wake_[1], &byte, 1);
    if (listener_thread_.joinable()) listener_thread_.join();
    for (int fd : wake_) {
      if (fd >= 0) close(fd);
    }
  }

  Status Start() {
    DUET_ASSIGN_OR_RETURN(writer_, PgConnection::Open(url_, options_.connect_timeout));
    DUET_RETURN_IF_ERROR(Migrate(*writer_));
    DUET_ASSIGN_OR_RETURN(PgResult head, writer_->Exec("SELECT position FROM duet_head"));
    head_ = GlobalPosition(static_cast<uint64_t>(TextInt64(head.get(), 0, 0)));
    if (pipe(wake_) != 0) return Status::IOError("pipe for the listener failed");
    listener_thread_ = std::thread([this] {
      NameThisThread("duet-pg-listen");
      RunListener();
    });
    answerer_thread_ = std::thread([this] {
      NameThisThread("duet-pg-answer");
      RunAnswerer();
    });
    writer_thread_ = std::thread([this] {
      NameThisThread("duet-pg-writer");
      RunWriter();
    });
    return Status::OK();
  }

  // A caller that waits anyway commits the queue itself when the writer
  // connection is free, sparing the two thread hand-offs to the writer
  // thread and back; otherwise it waits like any other.
  Result<MultiAppendResult> AppendMulti(std::span<const StreamAppend> appends) override {
    std::mutex mu;
    std::condition_variable told;
    std::optional<Result<MultiAppendResult>> answer;
    const std::optional<uint64_t> lead = Submit(
        appends,
        [&](Result<MultiAppendResult> result) {
          std::lock_guard lock(mu);  // held while notifying: `told` dies with this call
          answer.emplace(std::move(result));
          told.notify_one();
        },
        /*lead=*/true);
    if (lead) Lead(*lead);
    std::unique_lock lock(mu);
    told.wait(lock, [&] { return answer.has_value(); });
    return std::move(*answer);
  }

  void AppendMultiAsync(std::span<const StreamAppend> appends, AppendCallback done) override {
    (void)Submit(appends, std::move(done), /*lead=*/false);
  }

  Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                size_t max_count,
                                                ReadDirection direction) override {
    DUET_RETURN_IF_ERROR(ValidateStreamName(stream, options_.store.limits));
    if (max_count == 0) return std::vector<RecordedEvent>{};
    const bool forward = direction == ReadDirection::kForward;
    const std::string sql =
        std::string(kSelectColumns) +
        (forward ? "WHERE stream = $1 AND version >= $2 ORDER BY version "
                 : "WHERE stream = $1 AND version <= $2 ORDER BY version DESC ") +
        "LIMIT $3";
    return WithReader([&](PgConnection& conn) -> Result<std::vector<RecordedEvent>> {
      Params params;
      params.Text(stream);
      params.Int8(ClampToInt64(from.value));
      params.Int8(ClampToInt64(max_count));
      DUET_ASSIGN_OR_RETURN(PgResult result, conn.ExecParams(sql, params));
      return ToEvents(result.get());
    });
  }

  Result<std::vector<RecordedEvent>> ReadAll(GlobalPosition from, size_t max_count) override {
    if (max_count == 0) return std::vector<RecordedEvent>{};
    const std::string sql =
        std::string(kSelectColumns) + "WHERE position >= $1 ORDER BY position LIMIT $2";
    return WithReader([&](PgConnection& conn) -> Result<std::vector<RecordedEvent>> {
      Params params;
      params.Int8(ClampToInt64(std::max<uint64_t>(from.value, 1)));
      params.Int8(ClampToInt64(max_count));
      DUET_ASSIGN_OR_RETURN(PgResult result, conn.ExecParams(sql, params));
      return ToEvents(result.get());
    });
  }

  // No error channel here: when PostgreSQL cannot be asked, "no stream",
  // which the command bus takes for a moved stream and retries (its next
  // load then reports kUnavailable).
  std::optional<StreamVersion> StreamHead(std::string_view stream) override {
    auto head = WithReader([&](PgConnection& conn) -> Result<std::optional<StreamVersion>> {
      Params params;
      params.Text(stream);
      DUET_ASSIGN_OR_RETURN(
          PgResult result,
          conn.ExecParams("SELECT max(version) FROM duet_events WHERE stream = $1", params));
      if (PQgetisnull(result.get(), 0, 0)) return std::optional<StreamVersion>();
      return std::optional<StreamVersion>(
          StreamVersion(static_cast<uint64_t>(GetInt8(result.get(), 0, 0))));
    });
    return head.ok() ? *head : std::nullopt;
  }

  GlobalPosition HeadPosition() override {
    std::lock_guard lock(head_mu_);
    return head_;
  }

  GlobalPosition WaitForHead(GlobalPosition position, std::chrono::milliseconds timeout) override {
    std::unique_lock lock(head_mu_);
    head_cv_.wait_for(lock, timeout,
                      [&]() REQUIRES(head_mu_) { return closed_ || head_ >= position; });
    return head_;
  }

  Status Health() const override {
    std::lock_guard lock(health_mu_);
    return health_;
  }

 private:
  void Observe(std::chrono::steady_clock::time_point start, StatusCode outcome) const {
    if (options_.store.observer == nullptr) return;
    options_.store.observer->OnAppend(std::chrono::steady_clock::now() - start, outcome);
  }

  void SetHealth(Status status) {
    std::lock_guard lock(health_mu_);
    health_ = std::move(status);
  }

  void AdvanceHead(GlobalPosition position) {
    {
      std::lock_guard lock(head_mu_);
      if (position <= head_) return;
      head_ = position;
    }
    head_cv_.notify_all();
  }

  // Runs `read` on a pooled connection; a connection found broken (the
  // server restarted since it was opened) is replaced and the read tried
  // once more, reads being safe to repeat. The idle connections are dropped
  // with it: they were opened to the same server, so they are as dead, and
  // the retry must not pick one of them.
  template <typename Read>
  auto WithReader(Read read) -> decltype(read(std::declval<PgConnection&>())) {
    decltype(read(std::declval<PgConnection&>())) outcome = Status::Unavailable("unreached");
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto conn = AcquireReader();
      if (!conn.ok()) return conn.status();
      outcome = read(**conn);
      const bool broken = (*conn)->broken();
      ReleaseReader(std::move(*conn));
      if (outcome.ok() || !broken) return outcome;
      DropIdleReaders();
    }
    return outcome;
  }

  void DropIdleReaders() {
    std::vector<std::unique_ptr<PgConnection>> dropped;
    {
      std::lock_guard lock(pool_mu_);
      dropped.swap(idle_readers_);
    }  // closed outside the lock
  }

  Result<std::unique_ptr<PgConnection>> AcquireReader() {
    {
      std::unique_lock lock(pool_mu_);
      pool_cv_.wait(lock, [this]() REQUIRES(pool_mu_) {
        return readers_out_ < std::max<size_t>(options_.read_connections, 1);
      });
      ++readers_out_;
      if (!idle_readers_.empty()) {
        std::unique_ptr<PgConnection> conn = std::move(idle_readers_.back());
        idle_readers_.pop_back();
        return conn;
      }
    }
    auto opened = PgConnection::Open(url_, options_.connect_timeout);
    if (!opened.ok()) ReleaseReader(nullptr);
    return opened;
  }

  void ReleaseReader(std::unique_ptr<PgConnection> conn) {
    {
      std::lock_guard lock(pool_mu_);
      --readers_out_;
      if (conn != nullptr && !conn->broken()) idle_readers_.push_back(std::move(conn));
    }
    pool_cv_.notify_one();
  }

  // ---- the writer ----

  // Queues `appends` (or answers bad input at once). When the caller asked
  // to lead and the writer connection was free, it now holds it (writing_)
  // and must call Lead with the ticket returned.
  std::optional<uint64_t> Submit(std::span<const StreamAppend> appends, AppendCallback done,
                                 bool lead) {
    const auto start = std::chrono::steady_clock::now();
    if (Status invalid = ValidateAppends(appends, options_.store.limits); !invalid.ok()) {
      Observe(start, invalid.code());
      done(invalid);
      return std::nullopt;
    }
    Pending pending;
    pending.appends.assign(appends.begin(), appends.end());
    for (const StreamAppend& append : appends) pending.events += append.events.size();
    pending.done = std::move(done);
    pending.start = start;
    {
      std::lock_guard lock(queue_mu_);
      if (!stopping_) {
        pending.ticket = ++last_ticket_;
        const uint64_t ticket = pending.ticket;
        queue_.push_back(std::move(pending));
        if (gather_target_ != 0 && queue_.size() >= gather_target_) gather_cv_.notify_one();
        if (lead && !writing_) {
          writing_ = true;
          return ticket;
        }
        queue_cv_.notify_one();
        return std::nullopt;
      }
    }
    Observe(start, StatusCode::kFailedPrecondition);
    pending.done(Status::FailedPrecondition("the PostgreSQL store is closing"));
    return std::nullopt;
  }

  // Holding the writer connection (writing_): commits batches until the one
  // holding append `ticket` is done, then leaves the rest to the writer
  // thread.
  void Lead(uint64_t ticket) {
    std::unique_lock lock(queue_mu_);
    for (bool mine = false; !mine;) {
      std::vector<Pending> batch = GatherBatch(lock);
      if (batch.empty()) break;
      mine = std::any_of(batch.begin(), batch.end(),
                         [ticket](const Pending& p) { return p.ticket == ticket; });
      CommitBatchUnlocked(lock, batch);
    }
    writing_ = false;
    lock.unlock();
    queue_cv_.notify_all();
  }

  // REQUIRES: writing_. Waits for the appenders the last batch answered to
  // queue again, so that one transaction takes every appender instead of
  // two groups taking turns (each queueing while the other commits): until
  // as many appends wait as were in flight when the last batch committed
  // (queued then, plus the batch), less an eighth, or for a quarter of the
  // last transaction's time (kMaxGather at most). The embedded log's group
  // commit gathers the same way. A lone appender never waits.
  std::vector<Pending> GatherBatch(std::unique_lock<std::mutex>& lock) REQUIRES(queue_mu_) {
    const size_t want = in_flight_ - in_flight_ / 8;
    if (queue_.size() < want && !stopping_) {
      gather_target_ = want;
      gather_cv_.wait_for(lock, std::min(last_transaction_time_ / 4, kMaxGather),
                          [&]() REQUIRES(queue_mu_) { return stopping_ || queue_.size() >= want; });
      gather_target_ = 0;
    }
    return TakeBatch();
  }

  // Commits `batch` without queue_mu_ and notes its size and time for the
  // next gathering. REQUIRES: writing_.
  void CommitBatchUnlocked(std::unique_lock<std::mutex>& lock, std::vector<Pending>& batch)
      REQUIRES(queue_mu_) {
    const size_t size = batch.size();
    lock.unlock();
    const auto start = std::chrono::steady_clock::now();
    CommitBatch(batch);
    const auto took = std::chrono::steady_clock::now() - start;
    lock.lock();
    // Everyone in flight now: the appends that queued while this batch
    // committed, and this batch's, whose callers will be back.
    in_flight_ = queue_.size() + size;
    last_transaction_time_ = std::chrono::duration_cast<std::chrono::microseconds>(took);
  }

  std::vector<Pending> TakeBatch() REQUIRES(queue_mu_) {
    std::vector<Pending> batch;
    size_t events = 0;
    while (!queue_.empty() &&
           (batch.empty() || events + queue_.front().events <= options_.max_batch_events)) {
      events += queue_.front().events;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    return batch;
  }

  void RunWriter() {
    std::unique_lock lock(queue_mu_);
    for (;;) {
      queue_cv_.wait(lock, [this]() REQUIRES(queue_mu_) {
        return !writing_ && (stopping_ || !queue_.empty());
      });
      if (queue_.empty()) return;  // stopping, and everything queued was answered
      writing_ = true;
      std::vector<Pending> batch = GatherBatch(lock);
      if (!batch.empty()) CommitBatchUnlocked(lock, batch);
      writing_ = false;
    }
  }

  // Every append of `batch` gets its answer here, one way or another.
  void CommitBatch(std::vector<Pending>& batch) {
    Status failed = Transact(batch);
    std::vector<Answer> answers;
    answers.reserve(batch.size());
    for (Pending& pending : batch) {
      Result<MultiAppendResult> answer =
          !failed.ok() && (pending.accepted || pending.rests_on_batch || !pending.answer)
              ? Result<MultiAppendResult>(failed)
          : pending.answer ? std::move(*pending.answer)
                           : Result<MultiAppendResult>(std::move(pending.result));
      answers.push_back(Answer{std::move(pending.done), std::move(answer), pending.start});
    }
    // A lone answer is told here; many are told by the answerer thread, so
    // that waking their waiters one by one does not hold up the next
    // transaction (it dominated the writer's time at 64 writers).
    if (answers.size() == 1) return Tell(answers.front());
    {
      std::lock_guard lock(answers_mu_);
      answers_.push_back(std::move(answers));
    }
    answers_cv_.notify_one();
  }

  void Tell(Answer& answer) {
    Observe(answer.start, answer.result.ok() ? StatusCode::kOk : answer.result.status().code());
    answer.done(std::move(answer.result));
  }

  void RunAnswerer() {
    std::unique_lock lock(answers_mu_);
    for (;;) {
      answers_cv_.wait(
          lock, [this]() REQUIRES(answers_mu_) { return answerer_stopping_ || !answers_.empty(); });
      if (answers_.empty()) return;  // stopping, and every answer was told
      std::vector<Answer> batch = std::move(answers_.front());
      answers_.pop_front();
      lock.unlock();
      for (Answer& answer : batch) Tell(answer);
      lock.lock();
    }
  }

  Status EnsureWriter() {
    if (writer_ != nullptr && !writer_->broken()) return Status::OK();
    writer_.reset();
    auto opened = PgConnection::Open(url_, options_.connect_timeout);
    if (!opened.ok()) {
      SetHealth(opened.status());
      return opened.status();
    }
    writer_ = std::move(*opened);
    return Status::OK();
  }

  // A failure before COMMIT was sent: nothing of the batch was written.
  Status Abandon(const Status& why) {
    if (writer_ != nullptr && !writer_->broken()) (void)writer_->Exec("ROLLBACK");
    if (why.code() == StatusCode::kUnavailable) {
      SetHealth(why);
      return Status::Unavailable(why.message() + "; nothing was written");
    }
    return why;
  }

  // Decides and commits `batch`; returns the failure that applies to every
  // append whose answer rests on this commit (OK when it committed).
  Status Transact(std::vector<Pending>& batch) {
    // No connection, no transaction: said as plainly as any other failure
    // before COMMIT, so the appender knows nothing was written.
    if (Status down = EnsureWriter(); !down.ok()) return Abandon(down);
    // One round trip: the transaction, the commit-order lock, and the
    // current version of every stream the batch names.
    std::unordered_map<std::string, std::optional<StreamVersion>> current;
    ArrayBuilder names(kTextOid);
    for (const Pending& pending : batch) {
      for (const StreamAppend& append : pending.appends) {
        if (current.emplace(append.stream, std::nullopt).second) names.Add(append.stream);
      }
    }
    std::array<Statement, 3> opening = {
        Statement{"BEGIN", {}},
        Statement{"SELECT position, timestamp_us FROM duet_head FOR UPDATE", {}, /*prepare=*/true},
        Statement{"SELECT n, (SELECT max(version) FROM duet_events WHERE stream = n) "
                  "FROM unnest($1::text[]) AS s(n)",
                  {},
                  /*prepare=*/true}};
    opening[2].params.Array(kTextArrayOid, names.Finish());
    auto opened = writer_->Pipeline(opening);
    if (!opened.ok()) return Abandon(opened.status());
    const PGresult* head = (*opened)[1].get();
    const GlobalPosition base(static_cast<uint64_t>(GetInt8(head, 0, 0)));
    const int64_t now = std::max(NowMicros(), GetInt8(head, 0, 1));
    const PGresult* heads = (*opened)[2].get();
    for (int row = 0; row < PQntuples(heads); ++row) {
      if (PQgetisnull(heads, row, 1)) continue;
      current[std::string(GetBytes(heads, row, 0))] =
          StreamVersion(static_cast<uint64_t>(GetInt8(heads, row, 1)));
    }

    std::unordered_map<std::string, std::vector<BatchEvent>> accepted_events;  // by stream
    std::unordered_map<std::string, uint64_t> first_batch_version;
    GlobalPosition next = base.Next();

    ArrayBuilder positions(kInt8Oid), streams(kTextOid), versions(kInt8Oid), ids(kUuidOid),
        types(kTextOid), data(kByteaOid), metadata(kByteaOid);
    uint64_t transactions = 0, events = 0, bytes = 0;
    std::optional<EventId> first_id;
    for (Pending& pending : batch) {
      auto decided = Decide(pending, current, accepted_events, first_batch_version);
      if (!decided.ok()) return Abandon(decided);
      if (!pending.accepted) continue;
      ++transactions;
      pending.result.streams.resize(pending.appends.size());
      for (size_t i = 0; i < pending.appends.size(); ++i) {
        StreamAppend& append = pending.appends[i];
        std::optional<StreamVersion>& version = current[append.stream];
        auto& mine = accepted_events[append.stream];
        if (!first_batch_version.contains(append.stream)) {
          first_batch_version[append.stream] = version ? version->value + 1 : 0;
        }
        for (EventData& event : append.events) {
          if (event.id.IsNil()) event.id = EventId::Random();
          version = StreamVersion(version ? version->value + 1 : 0);
          if (!first_id) first_id = event.id;
          positions.AddInt8(ClampToInt64(next.value));
          streams.Add(append.stream);
          versions.AddInt8(ClampToInt64(version->value));
          ids.AddUuid(event.id);
          types.Add(event.type);
          data.Add(event.data);
          metadata.Add(event.metadata);
          mine.push_back(BatchEvent{event.id, next});
          pending.result.streams[i] = AppendResult{*version, next};
          pending.result.position = next;
          bytes +=
              append.stream.size() + event.type.size() + event.data.size() + event.metadata.size();
          ++events;
          next = next.Next();
        }
      }
    }
    if (transactions == 0) {
      (void)writer_->Exec("ROLLBACK");
      return Status::OK();
    }
    const GlobalPosition last(next.value - 1);
    Params params;
    params.Array(kInt8ArrayOid, positions.Finish());
    params.Array(kTextArrayOid, streams.Finish());
    params.Array(kInt8ArrayOid, versions.Finish());
    params.Array(kUuidArrayOid, ids.Finish());
    params.Array(kTextArrayOid, types.Finish());
    params.Array(kByteaArrayOid, data.Finish());
    params.Array(kByteaArrayOid, metadata.Finish());
    params.Int8(now);
    params.Int8(ClampToInt64(last.value));
    Statement insert{
        "WITH appended AS ("
        "  INSERT INTO duet_events"
        "    (position, stream, version, event_id, type, data, metadata, timestamp_us)"
        "  SELECT p, s, v, i, t, d, m, $8"
        "  FROM unnest($1::int8[], $2::text[], $3::int8[], $4::uuid[], $5::text[],"
        "              $6::bytea[], $7::bytea[]) AS e(p, s, v, i, t, d, m)),"
        " head AS (UPDATE duet_head SET position = $9, timestamp_us = $8)"
        "SELECT pg_notify('" +
            std::string(kChannel) + "', $9::int8::text)",
        std::move(params), /*prepare=*/true};
    const auto commit_start = std::chrono::steady_clock::now();
    const int backend = writer_->backend_pid();
    Result<PgResult> committed = Status::Unavailable("COMMIT not sent");  // replaced below
    if (options_.before_commit) {
      // The test hook runs between the INSERT and the COMMIT, so two trips.
      auto inserted = writer_->ExecParams(insert.sql, insert.params);
      if (!inserted.ok()) return Abandon(inserted.status());
      options_.before_commit();
      committed = writer_->Exec("COMMIT");
    } else {
      // One round trip: the server skips the COMMIT if the INSERT fails.
      std::array<Statement, 2> closing = {std::move(insert), Statement{"COMMIT", {}}};
      auto closed = writer_->Pipeline(closing);
      // Nothing was written only if the server answered the INSERT with an
      // error (and so skipped the COMMIT) on a connection still alive.
      if (!closed.ok() && !InDoubt(closed.status())) return Abandon(closed.status());
      committed = closed.ok() ? Result<PgResult>(std::move((*closed)[1])) : closed.status();
    }
    Status outcome;
    if (committed.ok() && std::string_view(PQcmdStatus(committed->get())) != "COMMIT") {
      outcome = Status::IOError("postgresql: the append transaction was rolled back");
    } else if (!committed.ok()) {
      // The COMMIT was sent and the connection broke (or the server is
      // going away): it may have happened.
      outcome = InDoubt(committed.status()) ? ResolveInDoubt(backend, base.Next(), *first_id)
                                            : committed.status();
    }
    if (!outcome.ok()) return outcome;
    SetHealth(Status::OK());
    AdvanceHead(last);
    if (options_.store.observer != nullptr) {
      options_.store.observer->OnCommitRound(CommitRound{
          transactions, events, bytes, std::chrono::steady_clock::now() - commit_start});
    }
    return Status::OK();
  }

  // Whether a failure after the COMMIT was sent leaves its outcome open: the
  // connection broke, or the server said it is going away (57P01 and the
  // like, kUnavailable), which it may say after the COMMIT ran, before its
  // answer was read: a pipeline's INSERT and COMMIT can both succeed and
  // the FATAL come in place of the sync.
  bool InDoubt(const Status& failure) const {
    return writer_->broken() || failure.code() == StatusCode::kUnavailable;
  }

  // Whether `pending` goes ahead (accepted), is a retry of events already
  // recorded (answer: the original result) or conflicts (answer: the
  // conflict), as the embedded store decides. An error is a failed read.
  Status Decide(Pending& pending,
                std::unordered_map<std::string, std::optional<StreamVersion>>& current,
                const std::unordered_map<std::string, std::vector<BatchEvent>>& batch_events,
                const std::unordered_map<std::string, uint64_t>& first_batch_version) {
    MultiAppendResult original;
    original.streams.resize(pending.appends.size());
    bool all_match = true, all_retries = true;
    for (size_t i = 0; i < pending.appends.size(); ++i) {
      const StreamAppend& append = pending.appends[i];
      const std::optional<StreamVersion> at = current[append.stream];
      if (batch_events.contains(append.stream)) pending.rests_on_batch = true;
      const auto conflict =
          Status::WrongExpectedVersion(append.stream, append.expected.ToString(),
                                       at ? std::optional<uint64_t>(at->value) : std::nullopt);
      if (append.expected.Matches(at)) {
        all_retries = false;
        continue;
      }
      all_match = false;
      DUET_ASSIGN_OR_RETURN(std::optional<AppendResult> retry,
                            FindRetry(append, at, batch_events, first_batch_version));
      if (!retry) {
        pending.answer = conflict;
        return Status::OK();
      }
      original.streams[i] = *retry;
      original.position = std::max(original.position, retry->position);
    }
    if (all_match) {
      pending.accepted = true;
    } else if (all_retries) {
      pending.answer = std::move(original);
    } else {
      // Part of it is recorded and part is not: not a retry of one commit.
      for (const StreamAppend& append : pending.appends) {
        const std::optional<StreamVersion> at = current[append.stream];
        if (!append.expected.Matches(at)) {
          pending.answer =
              Status::WrongExpectedVersion(append.stream, append.expected.ToString(),
                                           at ? std::optional<uint64_t>(at->value) : std::nullopt);
          break;
        }
      }
    }
    return Status::OK();
  }

  // The original result if `append`'s events (by id) already sit at the
  // place it expects, else nullopt.
  Result<std::optional<AppendResult>> FindRetry(
      const StreamAppend& append, std::optional<StreamVersion> at,
      const std::unordered_map<std::string, std::vector<BatchEvent>>& batch_events,
      const std::unordered_map<std::string, uint64_t>& first_batch_version) {
    const auto kind = append.expected.kind();
    if (kind != ExpectedVersion::Kind::kExact && kind != ExpectedVersion::Kind::kNoStream) {
      return std::optional<AppendResult>();
    }
    const uint64_t start =
        kind == ExpectedVersion::Kind::kNoStream ? 0 : append.expected.version().value + 1;
    const uint64_t n = append.events.size();
    if (!at || at->value + 1 < start + n) return std::optional<AppendResult>();
    for (const EventData& event : append.events) {
      if (event.id.IsNil()) return std::optional<AppendResult>();
    }
    // Versions below the batch's first are in the table; the rest in the batch.
    std::vector<BatchEvent> found;
    const auto batch_start = first_batch_version.find(append.stream);
    const uint64_t in_table_end = batch_start == first_batch_version.end()
                                      ? start + n
                                      : std::min(start + n, batch_start->second);
    if (start < in_table_end) {
      Params params;
      params.Text(append.stream);
      params.Int8(ClampToInt64(start));
      params.Int8(ClampToInt64(in_table_end));
      DUET_ASSIGN_OR_RETURN(PgResult rows,
                            writer_->ExecParams("SELECT event_id, position FROM duet_events "
                                                "WHERE stream = $1 AND version >= $2 AND "
                                                "version < $3 ORDER BY version",
                                                params));
      for (int row = 0; row < PQntuples(rows.get()); ++row) {
        found.push_back(
            BatchEvent{GetUuid(rows.get(), row, 0),
                       GlobalPosition(static_cast<uint64_t>(GetInt8(rows.get(), row, 1)))});
      }
    }
    if (batch_start != first_batch_version.end()) {
      const std::vector<BatchEvent>& mine = batch_events.at(append.stream);
      for (uint64_t v = std::max(start, batch_start->second); v < start + n; ++v) {
        found.push_back(mine[v - batch_start->second]);
      }
    }
    if (found.size() != n) return std::optional<AppendResult>();
    for (uint64_t i = 0; i < n; ++i) {
      if (found[i].id != append.events[i].id) return std::optional<AppendResult>();
    }
    return std::optional<AppendResult>(
        AppendResult{StreamVersion(start + n - 1), found.back().position});
  }

  // The connection broke while COMMIT was in flight: the transaction may or
  // may not have committed. Decided by looking, never by guessing: once the
  // old server process is gone (so it can no longer commit), the batch
  // committed iff its first event is at its position. If that cannot be
  // known in time, the answer is kUnavailable saying the outcome is unknown.
  Status ResolveInDoubt(int old_backend, GlobalPosition first, const EventId& first_id) {
    const Status unknown = Status::Unavailable(
        "postgresql: the connection broke during COMMIT and the outcome is unknown; retry with "
        "the same event ids or command id to learn it");
    writer_.reset();
    const auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!EnsureWriter().ok()) {
        std::this_thread::sleep_for(kReconnectPause);
        continue;
      }
      Params pid;
      pid.Int8(old_backend);
      auto alive = writer_->ExecParams(
          "SELECT count(*) FROM pg_stat_activity WHERE pid = $1::int8::int4", pid);
      if (!alive.ok()) continue;
      if (GetInt8(alive->get(), 0, 0) != 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      Params at;
      at.Int8(ClampToInt64(first.value));
      auto row = writer_->ExecParams("SELECT event_id FROM duet_events WHERE position = $1", at);
      if (!row.ok()) continue;
      const bool committed = PQntuples(row->get()) == 1 && GetUuid(row->get(), 0, 0) == first_id;
      if (committed) return Status::OK();
      return Status::Unavailable(
          "postgresql: the connection broke during COMMIT, which did not happen; nothing was "
          "written");
    }
    SetHealth(unknown);
    return unknown;
  }

  // ---- the listener ----

  void RunListener() {
    std::unique_ptr<PgConnection> conn;
    auto last_poll = std::chrono::steady_clock::now();
    while (!Closed()) {
      if (conn == nullptr || conn->broken()) {
        conn.reset();
        auto opened = PgConnection::Open(url_, options_.connect_timeout);
        if (!opened.ok() || !(*opened)->Exec(std::string("LISTEN ") + kChannel).ok()) {
          SetHealth(opened.ok() ? Status::Unavailable("postgresql: LISTEN failed")
                                : opened.status());
          WaitForWake(kReconnectPause);
          continue;
        }
        conn = std::move(*opened);
        SetHealth(Status::OK());
        PollHead(*conn);  // what was committed while no one listened
        last_poll = std::chrono::steady_clock::now();
      }
      pollfd fds[2] = {{PQsocket(conn->raw()), POLLIN, 0}, {wake_[0], POLLIN, 0}};
      const int ready = poll(fds, 2, static_cast<int>(kHeadPollInterval.count()));
      if (ready < 0) continue;
      if (fds[1].revents != 0) continue;  // woken to close
      if (fds[0].revents != 0) {
        if (PQconsumeInput(conn->raw()) == 0) {
          conn.reset();
          continue;
        }
        while (PGnotify* notify = PQnotifies(conn->raw())) {
          const uint64_t position = std::strtoull(notify->extra, nullptr, 10);
          PQfreemem(notify);
          AdvanceHead(GlobalPosition(position));
        }
      }
      if (std::chrono::steady_clock::now() - last_poll >= kHeadPollInterval) {
        PollHead(*conn);
        last_poll = std::chrono::steady_clock::now();
      }
    }
  }

  void PollHead(PgConnection& conn) {
    auto head = conn.Exec("SELECT position FROM duet_head");
    if (!head.ok()) return;
    AdvanceHead(GlobalPosition(static_cast<uint64_t>(TextInt64(head->get(), 0, 0))));
  }

  bool Closed() {
    std::lock_guard lock(head_mu_);
    return closed_;
  }

  void WaitForWake(std::chrono::milliseconds timeout) {
    pollfd fd{wake_[0], POLLIN, 0};
    (void)poll(&fd, 1, static_cast<int>(timeout.count()));
  }

  const std::string url_;
  const PostgresStoreOptions options_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Pending> queue_ GUARDED_BY(queue_mu_);
  bool stopping_ GUARDED_BY(queue_mu_) = false;
  // Someone (the writer thread or a leading AppendMulti caller) is using
  // writer_; only that one may touch it.
  bool writing_ GUARDED_BY(queue_mu_) = false;
  uint64_t last_ticket_ GUARDED_BY(queue_mu_) = 0;
  // The last batch, for the next one's gathering (GatherBatch).
  std::condition_variable gather_cv_;
  size_t gather_target_ GUARDED_BY(queue_mu_) = 0;  // 0: nobody gathers
  size_t in_flight_ GUARDED_BY(queue_mu_) = 1;
  std::chrono::microseconds last_transaction_time_ GUARDED_BY(queue_mu_){0};
  std::unique_ptr<PgConnection> writer_;

  std::mutex head_mu_;
  std::condition_variable head_cv_;
  GlobalPosition head_ GUARDED_BY(head_mu_);
  bool closed_ GUARDED_BY(head_mu_) = false;

  std::mutex answers_mu_;
  std::condition_variable answers_cv_;
  std::deque<std::vector<Answer>> answers_ GUARDED_BY(answers_mu_);
  bool answerer_stopping_ GUARDED_BY(answers_mu_) = false;

  mutable std::mutex health_mu_;
  Status health_ GUARDED_BY(health_mu_);

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<PgConnection>> idle_readers_ GUARDED_BY(pool_mu_);
  size_t readers_out_ GUARDED_BY(pool_mu_) = 0;

  int wake_[2] = {-1, -1};  // the listener's poll wakes on a byte here
  std::thread listener_thread_;
  std::thread answerer_thread_;
  std::thread writer_thread_;
};

}  // namespace
}  // namespace pgstore

bool IsPostgresUrl(std::string_view text) {
  return text.starts_with("postgresql://") || text.starts_with("postgres://");
}

Result<std::unique_ptr<PostgresStore>> PostgresStore::Open(std::string_view url,
                                                           const PostgresStoreOptions& options) {
  if (!IsPostgresUrl(url)) {
    return Status::InvalidArgument("store", "a PostgreSQL store is named postgresql://...");
  }
  auto store = std::make_unique<pgstore::PostgresStoreImpl>(std::string(url), options);
  DUET_RETURN_IF_ERROR(store->Start());
  return std::unique_ptr<PostgresStore>(std::move(store));
}

}  // namespace duet
