// TestFeedServer: a tiny test-only HTTP/1.1 server on 127.0.0.1 standing in
// for the command node's read API, over plain sockets so tests do not depend
// on the real server. Serves, from an in-memory vector of RecordedEvent and
// in the API's event JSON (follow/event_json.h):
//   GET /events?from=&limit=         {"events":[...],"head":h}
//   GET /events/live?from=           text/event-stream, chunked: `event: head`
//                                     first, then catch-up, then live events,
//                                     `event: head` after 1 s idle
//   GET /streams/{s}?from=&limit=&direction=   {"stream":s,"events":[...]} or 404
// and for HttpClient tests:
//   ANY /echo     200 {"method","target","body","x_test"} (keep-alive)
//   GET /close    200 with Connection: close, then closes
//   GET /hang     never answers (until the server stops)
//
// Thread-safe. One thread per connection; everything stops in Stop().
#ifndef DUET_TESTS_FOLLOW_TEST_FEED_SERVER_H_
#define DUET_TESTS_FOLLOW_TEST_FEED_SERVER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "duet/types.h"

namespace duet::follow::testing {

struct TestRequest {
  std::string method;
  std::string target;  // path and query as sent
  std::string path;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;
};

class TestFeedServer {
 public:
  // Listens on 127.0.0.1:`port` (0: any free port). Aborts the test binary if
  // it cannot bind. `before_accepting` may Append the events a restarted node
  // already holds, so that no client sees it without them.
  explicit TestFeedServer(uint16_t port = 0,
                          const std::function<void(TestFeedServer&)>& before_accepting = {});
  ~TestFeedServer();

  uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // Records an event (next position, next stream version) and wakes live feeds.
  void Append(const std::string& stream, const std::string& type, const std::string& data);
  // Sends `raw` bytes (SSE text) to every open live feed, e.g. a bad event.
  void SendToLiveFeeds(const std::string& raw);
  // Closes every open connection abruptly (mid-stream for live feeds).
  void DropConnections();
  // Stops accepting and closes everything; idempotent.
  void Stop();

  // The `from` of each /events/live request so far, in arrival order.
  std::vector<uint64_t> live_froms() const;
  // Number of connections accepted so far.
  int connections() const { return connections_.load(); }
  // Events recorded so far.
  std::vector<RecordedEvent> events() const;

 private:
  void AcceptLoop();
  void Serve(int fd);
  bool Handle(int fd, const TestRequest& request);
  void ServeLive(int fd, const TestRequest& request);
  std::string EventsPage(const TestRequest& request);
  bool StreamPage(const TestRequest& request, std::string* body);

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<RecordedEvent> events_;
  std::map<std::string, uint64_t> stream_sizes_;
  std::set<int> open_fds_;
  std::vector<std::thread> threads_;
  std::vector<uint64_t> live_froms_;
  std::vector<std::string> raw_for_live_;  // appended by SendToLiveFeeds
  std::thread accept_thread_;
};

}  // namespace duet::follow::testing

#endif  // DUET_TESTS_FOLLOW_TEST_FEED_SERVER_H_
