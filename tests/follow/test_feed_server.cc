#include "tests/follow/test_feed_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "follow/event_json.h"

namespace duet::follow::testing {
namespace {

using namespace std::chrono_literals;

bool WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool WriteChunk(int fd, std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return WriteAll(fd, std::string(size) + std::string(data) + "\r\n");
}

std::string Response(int status, const std::string& body, bool close = false) {
  const char* reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Error";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         (close ? "\r\nConnection: close" : "") + "\r\n\r\n" + body;
}

std::string Decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

uint64_t QueryNumber(const TestRequest& r, const std::string& name, uint64_t fallback) {
  auto it = r.query.find(name);
  return it == r.query.end() ? fallback : std::stoull(it->second);
}

// Reads one request from `fd` (bytes past it stay in `pending`); false when
// the connection ended or the server stops.
bool ReadRequest(int fd, std::string& pending, const std::atomic<bool>& stop, TestRequest* out) {
  size_t end;
  while ((end = pending.find("\r\n\r\n")) == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (stop.load()) return false;
    if (::poll(&p, 1, 50) <= 0) continue;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending.append(buf, static_cast<size_t>(n));
  }
  std::string head = pending.substr(0, end);
  pending.erase(0, end + 4);
  size_t line_end = head.find("\r\n");
  std::string line = head.substr(0, line_end);
  const size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  out->method = line.substr(0, sp1);
  out->target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const size_t q = out->target.find('?');
  out->path = Decode(out->target.substr(0, q));
  if (q != std::string::npos) {
    std::string query = out->target.substr(q + 1);
    for (size_t pos = 0; pos <= query.size();) {
      size_t amp = query.find('&', pos);
      if (amp == std::string::npos) amp = query.size();
      std::string kv = query.substr(pos, amp - pos);
      const size_t eq = kv.find('=');
      if (!kv.empty())
        out->query[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
      pos = amp + 1;
    }
  }
  while (line_end != std::string::npos && line_end + 2 < head.size()) {
    const size_t next = head.find("\r\n", line_end + 2);
    std::string h = head.substr(line_end + 2, next - line_end - 2);
    const size_t colon = h.find(':');
    std::string name = h.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = colon == std::string::npos ? "" : h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    out->headers[name] = value;
    line_end = next;
  }
  const size_t length =
      out->headers.count("content-length") ? std::stoul(out->headers["content-length"]) : 0;
  while (pending.size() < length) {
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return false;
    pending.append(buf, static_cast<size_t>(n));
  }
  out->body = pending.substr(0, length);
  pending.erase(0, length);
  return true;
}

}  // namespace

TestFeedServer::TestFeedServer(uint16_t port,
                               const std::function<void(TestFeedServer&)>& before_accepting) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0) {
    std::perror("TestFeedServer: bind/listen");
    std::abort();
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  if (before_accepting) before_accepting(*this);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

TestFeedServer::~TestFeedServer() { Stop(); }

void TestFeedServer::Stop() {
  if (stop_.exchange(true)) return;
  cv_.notify_all();
  accept_thread_.join();
  ::close(listen_fd_);
  DropConnections();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
}

void TestFeedServer::AcceptLoop() {
  while (!stop_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard lock(mu_);
    open_fds_.insert(fd);
    threads_.emplace_back([this, fd] { Serve(fd); });
  }
}

void TestFeedServer::DropConnections() {
  {
    std::lock_guard lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    open_fds_.clear();  // each connection thread closes its own fd
  }
  cv_.notify_all();
}

void TestFeedServer::Serve(int fd) {
  std::string pending;
  for (;;) {
    TestRequest request;
    if (!ReadRequest(fd, pending, stop_, &request) || !Handle(fd, request)) break;
  }
  {
    std::lock_guard lock(mu_);
    open_fds_.erase(fd);
  }
  ::close(fd);
}

// Returns whether the connection stays open for another request.
bool TestFeedServer::Handle(int fd, const TestRequest& request) {
  if (request.path == "/events/live") {
    ServeLive(fd, request);
    return false;
  }
  if (request.path == "/events") return WriteAll(fd, Response(200, EventsPage(request)));
  if (request.path.starts_with("/streams/")) {
    std::string body;
    const bool found = StreamPage(request, &body);
    return WriteAll(fd, Response(found ? 200 : 404, body));
  }
  if (request.path == "/echo") {
    boost::json::object o{
        {"method", request.method}, {"target", request.target}, {"body", request.body}};
    auto h = request.headers.find("x-test");
    o["x_test"] = h == request.headers.end() ? "" : h->second;
    return WriteAll(fd, Response(200, boost::json::serialize(o)));
  }
  if (request.path == "/close") {
    WriteAll(fd, Response(200, "\"bye\"", /*close=*/true));
    return false;
  }
  if (request.path == "/hang") {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return stop_.load() || !open_fds_.count(fd); });
    return false;
  }
  return WriteAll(fd, Response(404, R"({"detail":"no such route"})"));
}

std::string TestFeedServer::EventsPage(const TestRequest& request) {
  const uint64_t from = std::max<uint64_t>(QueryNumber(request, "from", 1), 1);
  const uint64_t limit = QueryNumber(request, "limit", 100);
  std::lock_guard lock(mu_);
  std::string out = "{\"events\":[";
  for (uint64_t p = from; p <= events_.size() && p < from + limit; ++p) {
    if (p != from) out += ",";
    out += EventToJson(events_[p - 1]);
  }
  return out + "],\"head\":" + std::to_string(events_.size()) + "}";
}

bool TestFeedServer::StreamPage(const TestRequest& request, std::string* body) {
  const std::string stream = request.path.substr(std::string("/streams/").size());
  std::lock_guard lock(mu_);
  auto size = stream_sizes_.find(stream);
  if (size == stream_sizes_.end()) {
    *body = R"({"detail":"stream not found"})";
    return false;
  }
  const bool backward =
      request.query.count("direction") && request.query.at("direction") == "backward";
  const uint64_t limit = QueryNumber(request, "limit", 100);
  int64_t v = static_cast<int64_t>(QueryNumber(request, "from", backward ? size->second - 1 : 0));
  std::vector<const RecordedEvent*> by_version;
  for (const RecordedEvent& e : events_) {
    if (e.stream == stream) by_version.push_back(&e);
  }
  *body = "{\"stream\":" + boost::json::serialize(boost::json::value(stream)) + ",\"events\":[";
  for (uint64_t n = 0; n < limit && v >= 0 && v < static_cast<int64_t>(by_version.size());
       ++n, v += backward ? -1 : 1) {
    if (n > 0) *body += ",";
    *body += EventToJson(*by_version[static_cast<size_t>(v)]);
  }
  *body += "]}";
  return true;
}

void TestFeedServer::ServeLive(int fd, const TestRequest& request) {
  uint64_t from = QueryNumber(request, "from", 1);
  if (auto id = request.headers.find("last-event-id"); id != request.headers.end()) {
    from = std::stoull(id->second) + 1;
  }
  size_t raw_index;
  uint64_t head;
  {
    std::lock_guard lock(mu_);
    live_froms_.push_back(from);
    raw_index = raw_for_live_.size();
    head = events_.size();
  }
  if (!WriteAll(fd,
                "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                "Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n") ||
      !WriteChunk(fd, "event: head\ndata: {\"head\":" + std::to_string(head) + "}\n\n")) {
    return;
  }
  uint64_t sent = std::max<uint64_t>(from, 1) - 1;  // last position sent
  for (;;) {
    std::string out;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, 1s, [&] {
        return stop_.load() || !open_fds_.count(fd) || events_.size() > sent ||
               raw_for_live_.size() > raw_index;
      });
      if (stop_.load() || !open_fds_.count(fd)) return;
      for (; raw_index < raw_for_live_.size(); ++raw_index) out += raw_for_live_[raw_index];
      for (; sent < events_.size(); ++sent) {
        out += "id: " + std::to_string(sent + 1) +
               "\nevent: event\ndata: " + EventToJson(events_[sent]) + "\n\n";
      }
      if (out.empty()) out = "event: head\ndata: {\"head\":" + std::to_string(sent) + "}\n\n";
    }
    if (!WriteChunk(fd, out)) return;
  }
}

void TestFeedServer::Append(const std::string& stream, const std::string& type,
                            const std::string& data) {
  {
    std::lock_guard lock(mu_);
    RecordedEvent e;
    e.stream = stream;
    e.version = StreamVersion(stream_sizes_[stream]++);
    e.position = GlobalPosition(events_.size() + 1);
    e.timestamp_us = 1'700'000'000'000'000 + static_cast<int64_t>(events_.size());
    e.id = EventId::Random();
    e.type = type;
    e.data = data;
    e.metadata = R"({"source":"test"})";
    events_.push_back(std::move(e));
  }
  cv_.notify_all();
}

void TestFeedServer::SendToLiveFeeds(const std::string& raw) {
  {
    std::lock_guard lock(mu_);
    raw_for_live_.push_back(raw);
  }
  cv_.notify_all();
}

std::vector<uint64_t> TestFeedServer::live_froms() const {
  std::lock_guard lock(mu_);
  return live_froms_;
}

std::vector<RecordedEvent> TestFeedServer::events() const {
  std::lock_guard lock(mu_);
  return events_;
}

}  // namespace duet::follow::testing
