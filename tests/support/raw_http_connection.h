// RawHttpConnection: one blocking client connection to 127.0.0.1 that sends
// and reads bytes exactly as given, for tests of what an HTTP server does with
// the wire itself (malformed requests, 100 Continue, keep-alive, closes).
#ifndef DUET_TESTS_SUPPORT_RAW_HTTP_CONNECTION_H_
#define DUET_TESTS_SUPPORT_RAW_HTTP_CONNECTION_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

namespace duet::testing {

// Blocking, with a receive timeout so that a test expecting bytes never hangs.
class RawHttpConnection {
 public:
  // `receive_timeout`: how long a read waits for bytes before giving up.
  explicit RawHttpConnection(uint16_t port, int receive_timeout_seconds = 30) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{receive_timeout_seconds, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawHttpConnection() { close(fd_); }
  bool connected() const { return connected_; }
  // True once the server closed the connection (not a receive timeout).
  bool closed_by_peer() const { return closed_by_peer_; }

  void Send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
  }
  // Reads one response (headers + Content-Length body); "" on close/timeout.
  std::string ReadResponse() {
    for (;;) {
      size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        size_t cl = Lower(buffer_.substr(0, end)).find("content-length: ");
        if (cl != std::string::npos) length = std::stoul(buffer_.substr(cl + 16));
        if (buffer_.size() >= end + 4 + length) {
          std::string response = buffer_.substr(0, end + 4 + length);
          buffer_.erase(0, end + 4 + length);
          return response;
        }
      }
      if (!ReadMore()) return "";
    }
  }
  // Reads one response head (for HEAD, whose Content-Length has no body).
  std::string ReadHead() {
    if (!ReadUntil("\r\n\r\n")) return "";
    const size_t end = buffer_.find("\r\n\r\n") + 4;
    std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end);
    return head;
  }
  // Reads until the server closes; everything received.
  std::string ReadToClose() {
    while (ReadMore()) {
    }
    return std::exchange(buffer_, "");
  }
  // Reads until `needle` has arrived (or close/timeout).
  bool ReadUntil(std::string_view needle) {
    while (buffer_.find(needle) == std::string::npos) {
      if (!ReadMore()) return false;
    }
    return true;
  }

  std::string ReadBytes(size_t n) {
    while (buffer_.size() < n) {
      if (!ReadMore()) break;
    }
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, out.size());
    return out;
  }

 private:
  static std::string Lower(std::string text) {
    for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  }
  bool ReadMore() {
    char chunk[4096];
    ssize_t n = recv(fd_, chunk, sizeof(chunk), 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) closed_by_peer_ = true;
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  bool closed_by_peer_ = false;
  std::string buffer_;
};

}  // namespace duet::testing

#endif  // DUET_TESTS_SUPPORT_RAW_HTTP_CONNECTION_H_
