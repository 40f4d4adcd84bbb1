// FollowerStore: the event store of a query node (`duet serve --role query
// --follow URL`). Read-only; fed by the command node's HTTP event feed.
//
// Design (see src/follow/README.md):
// - A feed thread keeps one SSE connection to `<url>/events/live?from=<next>`
//   and appends every event received to an in-memory window of the most
//   recent events (bounded by count and bytes). Positions must arrive
//   contiguous: a gap or a step back is kCorruption, which drops the
//   connection and resumes after the last good position. A lost connection is
//   retried with exponential backoff (initial doubling to max, with jitter).
// - The feed starts at the command node's head when the follower first
//   reaches it, so the window fills with live events; reads older than the
//   window (projections catching up) go to `GET /events` instead.
// - ReadAll is served from the window when it holds `from`, else over HTTP
//   from a small pool of clients. Either way it returns contiguous events
//   starting at `from`, so a Subscription on top sees no gap and no duplicate
//   when it moves from the HTTP path to the window.
// - Appends are refused with kFailedPrecondition: send them to the command node.
//
// Thread-safe: any number of threads may read and wait concurrently.
#ifndef DUET_FOLLOW_FOLLOWER_STORE_H_
#define DUET_FOLLOW_FOLLOWER_STORE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "duet/event_store.h"
#include "follow/http_client.h"
#include "util/thread_annotations.h"

namespace duet::follow {

struct SseEvent;

struct FollowerOptions {
  // The window keeps the newest events up to both bounds (at least one event).
  size_t window_max_events = 65536;
  size_t window_max_bytes = size_t{64} << 20;
  // Bounds a connect and each request of the HTTP read path.
  std::chrono::milliseconds request_timeout{5000};
  // The feed connection counts as dead after this long without a byte (the
  // command node sends `event: head` every second when idle).
  std::chrono::milliseconds idle_timeout{5000};
  // Reconnect delays: initial, doubling up to max, each with jitter.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  // Largest single SSE message accepted from the feed.
  size_t max_event_bytes = size_t{64} << 20;
  // How long ReadAll retries transport failures (kIOError, kTimeout) of its
  // HTTP path before returning them; Close() ends the retrying at once.
  std::chrono::milliseconds read_retry_for{60000};
  // Idle HTTP clients kept for the read path (more are created on demand).
  size_t client_pool_size = 4;
  // An https:// URL: the PEM file of the CAs trusted to sign the command
  // node's certificate; empty: the system's trust store.
  std::string ca_file;
};

// Counters for /metrics and tests. Monotonic.
struct FollowerStats {
  uint64_t events_received = 0;  // events appended to the window by the feed
  uint64_t window_reads = 0;     // ReadAll calls served from the window
  uint64_t http_reads = 0;       // ReadAll calls served by GET /events
  uint64_t feed_sessions = 0;    // feed connections that delivered data
  uint64_t feed_errors = 0;      // feed sessions ended by an error
  // The last position the feed delivered (or the head it started after);
  // HeadPosition() minus this is how far the feed is behind the command node.
  GlobalPosition feed_position;
};

class FollowerStore : public EventStore {
 public:
  // Starts following the command node at `url` ("http://host:port[/base]"
  // or https://...).
  // Does not fail when the command node is down: the feed keeps retrying.
  // Errors: kInvalidArgument("url") for a bad URL, ("follow_ca") when the
  // CA file does not load.
  static Result<std::unique_ptr<FollowerStore>> Open(std::string_view url,
                                                     FollowerOptions options = {});
  ~FollowerStore() override;  // Close()
  FollowerStore(const FollowerStore&) = delete;
  FollowerStore& operator=(const FollowerStore&) = delete;

  // Always kFailedPrecondition: a query node does not append.
  Result<MultiAppendResult> AppendMulti(std::span<const StreamAppend> appends) override;
  // Via `GET /streams/{s}` (several pages when max_count > 1000); a 404 reads
  // as empty. Errors: kIOError/kTimeout (transport), kCorruption (bad body).
  Result<std::vector<RecordedEvent>> ReadStream(std::string_view stream, StreamVersion from,
                                                size_t max_count, ReadDirection direction) override;
  // From the window when it holds `from`; empty when `from` is past the
  // newest head known (or after Close); else `GET /events` (at most 1000
  // events), retrying transport failures for options.read_retry_for.
  // Errors: kIOError/kTimeout (transport, after the retries),
  // kFailedPrecondition (a 4xx answer), kCorruption (bad body or events that
  // do not start at `from` contiguously).
  Result<std::vector<RecordedEvent>> ReadAll(GlobalPosition from, size_t max_count) override;
  // Via `GET /streams/{s}`; nullopt when the stream does not exist or the
  // command node cannot be reached.
  std::optional<StreamVersion> StreamHead(std::string_view stream) override;
  // The newest head known (from the feed and from GET /events answers);
  // kNoPosition until the command node was first reached.
  GlobalPosition HeadPosition() override;
  GlobalPosition WaitForHead(GlobalPosition position, std::chrono::milliseconds timeout) override;

  // Stops the feed thread promptly and wakes every WaitForHead. Idempotent.
  void Close();

  // Whether the feed connection is up and delivering (for /ready).
  bool connected() const;
  // The error that ended the last feed session; OK once a session delivers.
  Status last_error() const;
  FollowerStats stats() const;
  const std::string& url() const { return url_text_; }

 private:
  FollowerStore(std::string url_text, HttpUrl url, FollowerOptions options,
                std::shared_ptr<const TlsTrust> trust);

  // The feed thread.
  void FeedLoop();
  Status FeedSession();
  Status OnFeedMessage(const SseEvent& message);
  Status OnFeedHead(const SseEvent& message);
  void AppendToWindow(RecordedEvent event);
  void EndSession(Status why);
  void Backoff(std::chrono::milliseconds delay);

  // The HTTP read path.
  Result<HttpClientResponse> Get(const std::string& target);
  Result<std::vector<RecordedEvent>> ReadAllHttp(GlobalPosition from, size_t max_count);
  Result<std::vector<RecordedEvent>> ReadAllHttpRetrying(GlobalPosition from, size_t max_count);
  void ObserveHead(GlobalPosition head);

  const std::string url_text_;
  const HttpUrl url_;
  const FollowerOptions options_;
  const std::shared_ptr<const TlsTrust> trust_;  // https:// only

  mutable std::mutex mu_;
  std::condition_variable head_cv_;
  std::deque<RecordedEvent> window_ GUARDED_BY(mu_);
  size_t window_bytes_ GUARDED_BY(mu_) = 0;
  GlobalPosition head_ GUARDED_BY(mu_);
  bool closed_ GUARDED_BY(mu_) = false;
  bool connected_ GUARDED_BY(mu_) = false;
  Status last_error_ GUARDED_BY(mu_);
  FollowerStats stats_ GUARDED_BY(mu_);

  std::mutex pool_mu_;
  std::vector<std::unique_ptr<HttpClient>> pool_ GUARDED_BY(pool_mu_);

  // Feed-thread state. next_ is the position the feed expects next; unset
  // until the command node's head was first learned.
  std::optional<GlobalPosition> next_;
  const std::unique_ptr<HttpClient> feed_client_;  // Abort() is thread-safe
  std::thread feed_thread_;                        // last: starts after the rest
};

}  // namespace duet::follow

#endif  // DUET_FOLLOW_FOLLOWER_STORE_H_
