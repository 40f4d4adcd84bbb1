#include "http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace library::testing {
namespace {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

int MillisLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on `fd` until `deadline`.
duet::Status Await(int fd, short events, Clock::time_point deadline) {
  pollfd p{.fd = fd, .events = events, .revents = 0};
  const int ready = ::poll(&p, 1, MillisLeft(deadline));
  if (ready == 0) return duet::Status::Timeout("HTTP request timed out");
  if (ready < 0) return duet::Status::IOError(std::string("poll: ") + std::strerror(errno));
  return duet::Status::OK();
}

duet::Status SendAll(int fd, std::string_view data, Clock::time_point deadline) {
  while (!data.empty()) {
    DUET_RETURN_IF_ERROR(Await(fd, POLLOUT, deadline));
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) return duet::Status::IOError(std::string("send: ") + std::strerror(errno));
    data.remove_prefix(static_cast<size_t>(n));
  }
  return duet::Status::OK();
}

duet::Result<std::string> ReadToEnd(int fd, Clock::time_point deadline) {
  std::string data;
  char buffer[8192];
  for (;;) {
    DUET_RETURN_IF_ERROR(Await(fd, POLLIN, deadline));
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n < 0) return duet::Status::IOError(std::string("recv: ") + std::strerror(errno));
    if (n == 0) return data;
    data.append(buffer, static_cast<size_t>(n));
  }
}

duet::Result<std::string> Dechunk(std::string_view chunked) {
  std::string body;
  for (;;) {
    const size_t line_end = chunked.find("\r\n");
    if (line_end == std::string_view::npos) return duet::Status::Corruption("bad chunk");
    const size_t size = std::strtoul(std::string(chunked.substr(0, line_end)).c_str(), nullptr, 16);
    chunked.remove_prefix(line_end + 2);
    if (size == 0) return body;
    if (chunked.size() < size + 2) return duet::Status::Corruption("short chunk");
    body.append(chunked.substr(0, size));
    chunked.remove_prefix(size + 2);
  }
}

duet::Result<HttpAnswer> ParseAnswer(std::string_view raw) {
  const size_t head_end = raw.find("\r\n\r\n");
  if (raw.substr(0, 5) != "HTTP/" || head_end == std::string_view::npos) {
    return duet::Status::Corruption("not an HTTP answer");
  }
  HttpAnswer answer;
  const size_t space = raw.find(' ');
  answer.status = std::atoi(std::string(raw.substr(space + 1, 3)).c_str());
  std::string head(raw.substr(0, head_end));
  for (char& c : head) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string_view body = raw.substr(head_end + 4);
  if (head.find("transfer-encoding: chunked") != std::string::npos) {
    DUET_ASSIGN_OR_RETURN(answer.body, Dechunk(body));
  } else {
    answer.body = std::string(body);
  }
  return answer;
}

}  // namespace

duet::Result<HttpAnswer> HttpRequest(uint16_t port, std::string_view method,
                                     std::string_view target, std::string_view body,
                                     std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  Socket socket(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (socket.fd() < 0) return duet::Status::IOError(std::string("socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(socket.fd(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0 &&
      errno != EINPROGRESS) {
    return duet::Status::IOError(std::string("connect: ") + std::strerror(errno));
  }
  DUET_RETURN_IF_ERROR(Await(socket.fd(), POLLOUT, deadline));
  int error = 0;
  socklen_t length = sizeof(error);
  ::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) return duet::Status::IOError(std::string("connect: ") + std::strerror(error));

  std::string request = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n" +
                        "Host: 127.0.0.1:" + std::to_string(port) + "\r\nConnection: close\r\n";
  if (!body.empty()) {
    request +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n";
  request += body;
  DUET_RETURN_IF_ERROR(SendAll(socket.fd(), request, deadline));
  DUET_ASSIGN_OR_RETURN(std::string raw, ReadToEnd(socket.fd(), deadline));
  return ParseAnswer(raw);
}

}  // namespace library::testing
