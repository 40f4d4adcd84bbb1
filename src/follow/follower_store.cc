#include "follow/follower_store.h"

#include <algorithm>
#include <boost/json.hpp>
#include <random>
#include <utility>

#include "follow/event_json.h"
#include "follow/sse_parser.h"
#include "util/thread_name.h"

namespace duet::follow {
namespace {

// The server's largest page for GET /events and GET /streams/{s}.
constexpr size_t kMaxPage = 1000;

size_t ApproxBytes(const RecordedEvent& e) {
  return sizeof(RecordedEvent) + e.stream.size() + e.type.size() + e.data.size() +
         e.metadata.size();
}

// Path segments may carry stream names' characters as they are (RFC 3986
// pchar includes ":@$"); anything else is percent-encoded.
std::string EncodeSegment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) ||
        std::string_view("-_.:@$~").find(static_cast<char>(c)) != std::string_view::npos) {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

Status HttpFailure(const std::string& target, const HttpClientResponse& response) {
  std::string detail;
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(response.body, ec);
  if (!ec && body.is_object()) {
    if (const auto* d = body.as_object().if_contains("detail"); d && d->is_string()) {
      detail = std::string(": ") + d->get_string().c_str();
    }
  }
  const std::string message =
      "http: GET " + target + ": HTTP " + std::to_string(response.status) + detail;
  // 5xx may pass (a restarting command node); 4xx will not.
  return response.status >= 500 ? Status::IOError(message) : Status::FailedPrecondition(message);
}

// Parses `{"events":[...], ...}` (GET /events, GET /streams/{s}).
Result<std::vector<RecordedEvent>> ParseEvents(const boost::json::value& body) {
  const boost::json::object* o = body.if_object();
  const boost::json::value* events = o ? o->if_contains("events") : nullptr;
  if (events == nullptr || !events->is_array()) {
    return Status::Corruption("http: response has no \"events\" array");
  }
  std::vector<RecordedEvent> out;
  out.reserve(events->get_array().size());
  for (const boost::json::value& e : events->get_array()) {
    DUET_ASSIGN_OR_RETURN(RecordedEvent event, EventFromJson(e));
    out.push_back(std::move(event));
  }
  return out;
}

Result<boost::json::value> ParseBody(const std::string& target, const std::string& body) {
  boost::system::error_code ec;
  boost::json::value json = boost::json::parse(body, ec);
  if (ec) return Status::Corruption("http: GET " + target + ": body is not JSON");
  return json;
}

Result<GlobalPosition> ParseHead(const boost::json::value& body) {
  const boost::json::object* o = body.if_object();
  const boost::json::value* head = o ? o->if_contains("head") : nullptr;
  if (head == nullptr || !(head->is_uint64() || (head->is_int64() && head->get_int64() >= 0))) {
    return Status::Corruption("event feed: \"head\" must be a non-negative integer");
  }
  return GlobalPosition(head->is_uint64() ? head->get_uint64()
                                          : static_cast<uint64_t>(head->get_int64()));
}

}  // namespace

Result<std::unique_ptr<FollowerStore>> FollowerStore::Open(std::string_view url,
                                                           FollowerOptions options) {
  DUET_ASSIGN_OR_RETURN(HttpUrl parsed, ParseHttpUrl(url));
  std::shared_ptr<const TlsTrust> trust;
  if (parsed.tls) {
    Result<std::shared_ptr<const TlsTrust>> loaded = TlsTrust::Load(options.ca_file);
    if (!loaded.ok()) return Status::InvalidArgument("follow_ca", loaded.status().message());
    trust = *std::move(loaded);
  }
  std::unique_ptr<FollowerStore> store(
      new FollowerStore(std::string(url), std::move(parsed), options, std::move(trust)));
  store->feed_thread_ = std::thread([s = store.get()] {
    NameThisThread("duet-follow");
    s->FeedLoop();
  });
  return store;
}

FollowerStore::FollowerStore(std::string url_text, HttpUrl url, FollowerOptions options,
                             std::shared_ptr<const TlsTrust> trust)
    : url_text_(std::move(url_text)),
      url_(std::move(url)),
      options_(std::move(options)),
      trust_(std::move(trust)),
      feed_client_(HttpClient::Create(url_, options_.request_timeout, trust_)) {}

FollowerStore::~FollowerStore() { Close(); }

void FollowerStore::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  head_cv_.notify_all();
  feed_client_->Abort();
  if (feed_thread_.joinable() && feed_thread_.get_id() != std::this_thread::get_id()) {
    feed_thread_.join();
  }
  std::lock_guard lock(mu_);
  connected_ = false;
}

Result<MultiAppendResult> FollowerStore::AppendMulti(std::span<const StreamAppend>) {
  return Status::FailedPrecondition(
      "role: this is a query node; send commands and appends to the command node at " + url_text_);
}

// ---- The feed thread ------------------------------------------------------

void FollowerStore::FeedLoop() {
  std::chrono::milliseconds delay = options_.backoff_initial;
  for (;;) {
    Status why = FeedSession();
    bool delivered;
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      delivered = connected_;
    }
    EndSession(std::move(why));
    if (delivered) delay = options_.backoff_initial;  // it worked: retry soon
    Backoff(delay);
    delay = std::min(delay * 2, options_.backoff_max);
  }
}

void FollowerStore::EndSession(Status why) {
  std::lock_guard lock(mu_);
  connected_ = false;
  last_error_ = std::move(why);
  ++stats_.feed_errors;
}

// Sleeps between delay/2 and delay (jitter spreads the reconnects of many
// query nodes after a command node restart); returns at once on Close().
void FollowerStore::Backoff(std::chrono::milliseconds delay) {
  thread_local std::minstd_rand random(std::random_device{}());
  const auto half = std::max<int64_t>(delay.count() / 2, 1);
  const std::chrono::milliseconds sleep(half +
                                        std::uniform_int_distribution<int64_t>(0, half)(random));
  std::unique_lock lock(mu_);
  head_cv_.wait_for(lock, sleep, [this]() REQUIRES(mu_) { return closed_; });
}

// One connection: learn the head if still unknown, then stream from next_
// until an error. Always returns why it ended (never OK).
Status FollowerStore::FeedSession() {
  if (!next_) {
    const std::string target = "/events?from=1&limit=1";
    DUET_ASSIGN_OR_RETURN(HttpClientResponse response, feed_client_->Request("GET", target));
    if (response.status != 200) return HttpFailure(target, response);
    DUET_ASSIGN_OR_RETURN(boost::json::value body, ParseBody(target, response.body));
    DUET_ASSIGN_OR_RETURN(GlobalPosition head, ParseHead(body));
    next_ = head.Next();
    {
      std::lock_guard lock(mu_);
      stats_.feed_position = std::max(stats_.feed_position, head);
    }
    ObserveHead(head);
  }
  SseParser parser(options_.max_event_bytes);
  Status handled;
  Status streamed = feed_client_->Stream(
      "/events/live?from=" + std::to_string(next_->value), {}, options_.idle_timeout,
      [&](std::string_view chunk) {
        {
          std::lock_guard lock(mu_);
          if (closed_) return false;
          if (!connected_) {
            connected_ = true;
            last_error_ = Status::OK();
            ++stats_.feed_sessions;
          }
        }
        handled = parser.Feed(chunk, [&](SseEvent&& m) { return OnFeedMessage(m); });
        return handled.ok();
      });
  DUET_RETURN_IF_ERROR(handled);
  DUET_RETURN_IF_ERROR(streamed);
  return Status::IOError("http: the command node ended the event feed");
}

Status FollowerStore::OnFeedMessage(const SseEvent& message) {
  if (message.event == "head") return OnFeedHead(message);
  if (message.event != "event") return Status::OK();  // unknown kinds: newer servers
  DUET_ASSIGN_OR_RETURN(RecordedEvent event, EventFromJsonText(message.data));
  if (event.position != *next_) {
    return Status::Corruption("event feed: expected position " + std::to_string(next_->value) +
                              ", got " + std::to_string(event.position.value));
  }
  if (!message.id.empty() && message.id != std::to_string(event.position.value)) {
    return Status::Corruption("event feed: id " + message.id + " is not the event's position");
  }
  next_ = event.position.Next();
  AppendToWindow(std::move(event));
  return Status::OK();
}

Status FollowerStore::OnFeedHead(const SseEvent& message) {
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(message.data, ec);
  if (ec) return Status::Corruption("event feed: head message is not JSON");
  DUET_ASSIGN_OR_RETURN(GlobalPosition head, ParseHead(body));
  if (head.value + 1 < next_->value) {
    return Status::Corruption("event feed: head went back to " + std::to_string(head.value) +
                              " after position " + std::to_string(next_->value - 1));
  }
  ObserveHead(head);
  return Status::OK();
}

void FollowerStore::AppendToWindow(RecordedEvent event) {
  {
    std::lock_guard lock(mu_);
    if (event.position > head_) head_ = event.position;
    window_bytes_ += ApproxBytes(event);
    stats_.feed_position = event.position;
    window_.push_back(std::move(event));
    ++stats_.events_received;
    while (window_.size() > 1 && (window_.size() > options_.window_max_events ||
                                  window_bytes_ > options_.window_max_bytes)) {
      window_bytes_ -= ApproxBytes(window_.front());
      window_.pop_front();
    }
  }
  head_cv_.notify_all();
}

void FollowerStore::ObserveHead(GlobalPosition head) {
  {
    std::lock_guard lock(mu_);
    if (head <= head_) return;
    head_ = head;
  }
  head_cv_.notify_all();
}

// ---- Reads ----------------------------------------------------------------

Result<std::vector<RecordedEvent>> FollowerStore::ReadAll(GlobalPosition from, size_t max_count) {
  if (from.value == 0) from = GlobalPosition(1);
  if (max_count == 0) return std::vector<RecordedEvent>();
  {
    std::lock_guard lock(mu_);
    if (closed_ || from > head_) return std::vector<RecordedEvent>();
    if (!window_.empty() && from >= window_.front().position && from <= window_.back().position) {
      // Contiguous by construction: index = position - first position.
      const auto first = window_.begin() + (from.value - window_.front().position.value);
      const size_t n = std::min<size_t>(max_count, window_.end() - first);
      ++stats_.window_reads;
      return std::vector<RecordedEvent>(first, first + n);
    }
    ++stats_.http_reads;
  }
  return ReadAllHttpRetrying(from, max_count);
}

// A transport failure must not end the subscriptions reading through us (a
// projection would fail over a command node restart), so it is retried with
// backoff for up to read_retry_for; Close() ends the wait with an empty read.
Result<std::vector<RecordedEvent>> FollowerStore::ReadAllHttpRetrying(GlobalPosition from,
                                                                      size_t max_count) {
  const auto deadline = std::chrono::steady_clock::now() + options_.read_retry_for;
  std::chrono::milliseconds delay = options_.backoff_initial;
  for (;;) {
    Result<std::vector<RecordedEvent>> events = ReadAllHttp(from, max_count);
    const bool transient = events.status().IsIOError() || events.status().IsTimeout();
    if (events.ok() || !transient || std::chrono::steady_clock::now() >= deadline) return events;
    std::unique_lock lock(mu_);
    if (head_cv_.wait_for(lock, delay, [this]() REQUIRES(mu_) { return closed_; })) {
      return std::vector<RecordedEvent>();
    }
    delay = std::min(delay * 2, options_.backoff_max);
  }
}

Result<std::vector<RecordedEvent>> FollowerStore::ReadAllHttp(GlobalPosition from,
                                                              size_t max_count) {
  const std::string target = "/events?from=" + std::to_string(from.value) +
                             "&limit=" + std::to_string(std::min(max_count, kMaxPage));
  DUET_ASSIGN_OR_RETURN(HttpClientResponse response, Get(target));
  if (response.status != 200) return HttpFailure(target, response);
  DUET_ASSIGN_OR_RETURN(boost::json::value body, ParseBody(target, response.body));
  DUET_ASSIGN_OR_RETURN(std::vector<RecordedEvent> events, ParseEvents(body));
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].position.value != from.value + i) {
      return Status::Corruption("http: GET " + target + ": event " + std::to_string(i) +
                                " has position " + std::to_string(events[i].position.value));
    }
  }
  if (events.size() > max_count) events.resize(max_count);
  if (Result<GlobalPosition> head = ParseHead(body); head.ok()) ObserveHead(*head);
  return events;
}

Result<std::vector<RecordedEvent>> FollowerStore::ReadStream(std::string_view stream,
                                                             StreamVersion from, size_t max_count,
                                                             ReadDirection direction) {
  const bool forward = direction == ReadDirection::kForward;
  std::vector<RecordedEvent> out;
  uint64_t next = from.value;
  // Backward from kStreamEnd: no `from`, the server's default is the newest.
  bool send_from = forward || from != kStreamEnd;
  while (out.size() < max_count) {
    const size_t limit = std::min(max_count - out.size(), kMaxPage);
    std::string target = "/streams/" + EncodeSegment(stream) + "?limit=" + std::to_string(limit) +
                         (forward ? "&direction=forward" : "&direction=backward");
    if (send_from) target += "&from=" + std::to_string(next);
    DUET_ASSIGN_OR_RETURN(HttpClientResponse response, Get(target));
    if (response.status == 404) break;  // no such stream: reads as empty
    if (response.status != 200) return HttpFailure(target, response);
    DUET_ASSIGN_OR_RETURN(boost::json::value body, ParseBody(target, response.body));
    DUET_ASSIGN_OR_RETURN(std::vector<RecordedEvent> page, ParseEvents(body));
    if (page.empty()) break;
    const StreamVersion last = page.back().version;
    const size_t got = page.size();
    out.insert(out.end(), std::make_move_iterator(page.begin()),
               std::make_move_iterator(page.end()));
    if (got < limit || (!forward && last.value == 0)) break;
    next = forward ? last.value + 1 : last.value - 1;
    send_from = true;
  }
  if (out.size() > max_count) out.resize(max_count);
  return out;
}

std::optional<StreamVersion> FollowerStore::StreamHead(std::string_view stream) {
  Result<std::vector<RecordedEvent>> newest =
      ReadStream(stream, kStreamEnd, 1, ReadDirection::kBackward);
  if (!newest.ok() || newest->empty()) return std::nullopt;
  return newest->front().version;
}

GlobalPosition FollowerStore::HeadPosition() {
  std::lock_guard lock(mu_);
  return head_;
}

GlobalPosition FollowerStore::WaitForHead(GlobalPosition position,
                                          std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  head_cv_.wait_for(lock, timeout, [&]() REQUIRES(mu_) { return closed_ || head_ >= position; });
  return head_;
}

Result<HttpClientResponse> FollowerStore::Get(const std::string& target) {
  std::unique_ptr<HttpClient> client;
  {
    std::lock_guard lock(pool_mu_);
    if (!pool_.empty()) {
      client = std::move(pool_.back());
      pool_.pop_back();
    }
  }
  if (!client) client = HttpClient::Create(url_, options_.request_timeout, trust_);
  Result<HttpClientResponse> response = client->Request("GET", target);
  std::lock_guard lock(pool_mu_);
  if (pool_.size() < options_.client_pool_size) pool_.push_back(std::move(client));
  return response;
}

bool FollowerStore::connected() const {
  std::lock_guard lock(mu_);
  return connected_;
}

Status FollowerStore::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

FollowerStats FollowerStore::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace duet::follow
