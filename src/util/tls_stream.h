// TlsOrTcpStream: one connection's byte stream, plain TCP or TLS over TCP,
// chosen when the connection is made (the server's listener speaks TLS when
// a certificate is configured; the follower's client when its URL is
// https://). It models Asio's AsyncReadStream and AsyncWriteStream, so
// Beast's http::async_read / async_write take it as they take a
// beast::tcp_stream, and the code that reads and writes a connection does not
// branch on TLS: only opening (the handshake) and closing do.
//
// Header-only; its users link Boost::headers and OpenSSL::SSL.
// Thread-compatible, like the streams it wraps: one strand (or one thread)
// runs all of a connection's operations.
#ifndef DUET_UTIL_TLS_STREAM_H_
#define DUET_UTIL_TLS_STREAM_H_

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <memory>
#include <optional>
#include <utility>

namespace duet {

class TlsOrTcpStream {
 public:
  using TcpStream = boost::beast::tcp_stream;
  using TlsStream = boost::beast::ssl_stream<TcpStream>;
  using executor_type = TcpStream::executor_type;

  // TLS over `socket` when `tls_context` is set, else plain TCP. The stream
  // keeps its context alive: a server's certificate reload replaces the
  // context for later connections while this one keeps its own.
  TlsOrTcpStream(boost::asio::ip::tcp::socket socket,
                 std::shared_ptr<boost::asio::ssl::context> tls_context)
      : tls_context_(std::move(tls_context)) {
    if (tls_context_ != nullptr) {
      tls_.emplace(std::move(socket), *tls_context_);
    } else {
      tcp_.emplace(std::move(socket));
    }
  }

  // Null for plain TCP.
  TlsStream* tls() { return tls_ ? &*tls_ : nullptr; }
  // The TCP layer: deadlines, the socket, cancel.
  TcpStream& tcp() { return tls_ ? tls_->next_layer() : *tcp_; }

  executor_type get_executor() { return tcp().get_executor(); }
  template <typename Duration>
  void expires_after(Duration timeout) {
    tcp().expires_after(timeout);
  }

  // Completion handlers only (no other completion tokens): what Beast's and
  // Asio's composed operations pass.
  template <typename MutableBuffers, typename Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_read_some(buffers, std::forward<Handler>(handler));
    } else {
      tcp_->async_read_some(buffers, std::forward<Handler>(handler));
    }
  }
  template <typename ConstBuffers, typename Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    if (tls_) {
      tls_->async_write_some(buffers, std::forward<Handler>(handler));
    } else {
      tcp_->async_write_some(buffers, std::forward<Handler>(handler));
    }
  }

 private:
  // Declared first: destroyed after the TLS stream that uses it.
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  std::optional<TcpStream> tcp_;  // exactly one of tcp_ and tls_ is set
  std::optional<TlsStream> tls_;
};

}  // namespace duet

#endif  // DUET_UTIL_TLS_STREAM_H_
