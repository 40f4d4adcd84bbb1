#include "tests/pgstore/tcp_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace duet::testing {
namespace {

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  return addr;
}

bool SendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Result<std::unique_ptr<TcpProxy>> TcpProxy::Start(int target_port) {
  std::unique_ptr<TcpProxy> proxy(new TcpProxy());
  proxy->target_port_ = target_port;
  proxy->listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr = Loopback(0);
  socklen_t len = sizeof(addr);
  if (proxy->listen_fd_ < 0 ||
      bind(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      listen(proxy->listen_fd_, 64) != 0 ||
      getsockname(proxy->listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
      pipe(proxy->wake_) != 0) {
    return Status::IOError("the proxy could not listen on 127.0.0.1");
  }
  proxy->port_ = ntohs(addr.sin_port);
  TcpProxy* self = proxy.get();
  proxy->acceptor_ = std::thread([self] { self->Accept(); });
  return proxy;
}

TcpProxy::~TcpProxy() {
  stopping_ = true;
  const char byte = 0;
  if (wake_[1] >= 0) (void)!write(wake_[1], &byte, 1);
  if (acceptor_.joinable()) acceptor_.join();
  for (std::thread& thread : threads_) thread.join();  // each polls stopping_
  for (int fd : {listen_fd_, wake_[0], wake_[1]}) {
    if (fd >= 0) close(fd);
  }
}

void TcpProxy::CutAfter(std::string marker, std::chrono::milliseconds delay,
                        std::function<void()> after_cut) {
  std::lock_guard lock(mu_);
  marker_ = std::move(marker);
  delay_ = delay;
  after_cut_ = std::move(after_cut);
}

bool TcpProxy::TakeCut(const std::string& data, std::chrono::milliseconds* delay,
                       std::function<void()>* after_cut) {
  std::lock_guard lock(mu_);
  if (marker_.empty() || data.find(marker_) == std::string::npos) return false;
  marker_.clear();
  *delay = delay_;
  *after_cut = std::move(after_cut_);
  return true;
}

void TcpProxy::Accept() {
  while (!stopping_) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) <= 0 || fds[1].revents != 0) continue;
    const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) continue;
    const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in target = Loopback(target_port_);
    if (server < 0 ||
        connect(server, reinterpret_cast<const sockaddr*>(&target), sizeof(target)) != 0) {
      close(client);  // the server is down: so is the proxy
      if (server >= 0) close(server);
      continue;
    }
    threads_.emplace_back([this, client, server] { Pump(client, server); });
  }
}

void TcpProxy::Pump(int client, int server) {
  char buffer[65536];
  bool open = true;
  while (open && !stopping_) {
    pollfd fds[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
    if (poll(fds, 2, 100) <= 0) continue;
    for (int side = 0; side < 2 && open; ++side) {
      if (fds[side].revents == 0) continue;
      const int from = side == 0 ? client : server;
      const int to = side == 0 ? server : client;
      const ssize_t n = recv(from, buffer, sizeof(buffer), 0);
      if (n <= 0 || !SendAll(to, buffer, static_cast<size_t>(n))) {
        open = false;
        break;
      }
      std::chrono::milliseconds delay{0};
      std::function<void()> after_cut;
      if (side == 0 && TakeCut(std::string(buffer, static_cast<size_t>(n)), &delay, &after_cut)) {
        std::this_thread::sleep_for(delay);  // the server answers; no one reads it
        shutdown(server, SHUT_RDWR);
        if (after_cut) after_cut();  // before the client can notice anything
        shutdown(client, SHUT_RDWR);
        cut_ = true;
        open = false;
      }
    }
  }
  close(client);
  close(server);
}

}  // namespace duet::testing
