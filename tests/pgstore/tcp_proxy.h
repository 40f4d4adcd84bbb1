// A TCP proxy on 127.0.0.1 for fault tests of the PostgreSQL store: it
// forwards every connection to a target port and, on command, cuts the one
// connection whose client sends a chosen text (a COMMIT) right after
// forwarding it: the server gets the message, the client never gets the
// answer. Port 0; one thread to accept and one per connection.
//
// Thread-safe.
#ifndef DUET_TESTS_PGSTORE_TCP_PROXY_H_
#define DUET_TESTS_PGSTORE_TCP_PROXY_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "duet/result.h"

namespace duet::testing {

class TcpProxy {
 public:
  // Listens on 127.0.0.1 (a free port) and forwards to 127.0.0.1:target_port.
  static Result<std::unique_ptr<TcpProxy>> Start(int target_port);
  ~TcpProxy();  // closes every connection and joins every thread
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }

  // Arms one cut: the next client data containing `marker` is forwarded to
  // the server; then, `delay` later (the server has answered by then), the
  // server's side of that connection is closed, `after_cut` (if any) runs on
  // the connection's thread, and then the client's side is closed: nothing
  // more is forwarded, and the client notices only after `after_cut`.
  void CutAfter(std::string marker, std::chrono::milliseconds delay,
                std::function<void()> after_cut = {});
  // Whether the armed cut happened.
  bool cut() const { return cut_.load(); }

 private:
  TcpProxy() = default;
  void Accept();
  void Pump(int client, int server);
  // Whether `data` triggers the armed cut (disarming it).
  bool TakeCut(const std::string& data, std::chrono::milliseconds* delay,
               std::function<void()>* after_cut);

  int listen_fd_ = -1;
  int port_ = 0;
  int target_port_ = 0;
  int wake_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> cut_{false};
  std::mutex mu_;
  std::string marker_;  // empty: not armed
  std::chrono::milliseconds delay_{0};
  std::function<void()> after_cut_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace duet::testing

#endif  // DUET_TESTS_PGSTORE_TCP_PROXY_H_
