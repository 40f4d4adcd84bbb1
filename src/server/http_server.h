// HttpServer: HTTP/1.1 with keep-alive on Boost.Beast, serving a Router.
//
// Threads: `io_threads` run every socket (parse, inline handlers, writes);
// `worker_threads` run handlers that may block (commands waiting for their
// durable append, queries waiting for read-your-writes); each streaming
// response (the event feed) runs on a thread of its own, bounded by the
// connection limit. A slow client costs only its own connection: reads and
// writes have deadlines and a stream writes only as fast as its client reads.
//
// TLS: with a certificate and key in the options, the listener speaks TLS
// only (handshake under the request deadline, close_notify on close);
// ReloadTls() swaps the certificate for new connections.
//
// Thread-safe. Stop() (or destruction) is graceful: stop accepting, let
// requests in flight finish (up to the grace period), end streams, close.
#ifndef DUET_SERVER_HTTP_SERVER_H_
#define DUET_SERVER_HTTP_SERVER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "duet/result.h"
#include "server/auth.h"
#include "server/router.h"

namespace duet::server {

struct HttpLimits {
  size_t max_body_bytes = 1 << 20;    // larger: 413, body not read
  size_t max_header_bytes = 8 << 10;  // larger: 431
  // From a request's first byte to its last (and for writing a response).
  std::chrono::milliseconds request_timeout{10000};
  // How long a kept-alive connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{60000};
  size_t max_connections = 1024;  // beyond: 503 and close
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (see HttpServer::port)
  int io_threads = 2;
  int worker_threads = 64;
  HttpLimits limits;
  // Both set: the listener speaks TLS only (PEM files, see tls_context.h);
  // both empty: plain HTTP.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Browser origins allowed to call the API cross-origin (CORS), exactly as
  // browsers send them ("https://app.example"); empty: none.
  std::vector<std::string> cors_origins;
};

// Told about every response, for metrics. Called from server threads; must be
// thread-safe and quick.
class HttpObserver {
 public:
  virtual ~HttpObserver() = default;
  // `route` is the matched route's pattern, or "unmatched".
  virtual void OnResponse(std::string_view route, std::string_view method, unsigned status,
                          std::chrono::nanoseconds latency) = 0;
};

class HttpServer {
 public:
  // Binds and starts serving. `router`, `authority` and `observer` (may be
  // null) must outlive the server. Errors: kInvalidArgument (host; tls_cert,
  // tls_key: the files do not load), kIOError (bind: the message names the
  // address).
  static Result<std::unique_ptr<HttpServer>> Start(const Router* router,
                                                   const TokenAuthority* authority,
                                                   HttpObserver* observer,
                                                   const HttpServerOptions& options);
  ~HttpServer();  // Stop(0 ms) if not stopped
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const;
  size_t open_connections() const;
  bool tls() const;

  // Loads the certificate and key files again (the options' paths) for the
  // connections accepted from now on; established ones keep theirs. On
  // error the current certificate stays. Errors: kFailedPrecondition when
  // TLS is off, kInvalidArgument as Start.
  Status ReloadTls();

  // Graceful stop; returns once every thread has ended. Idempotent.
  void Stop(std::chrono::milliseconds grace);

  // Implementation (http_server.cc), named here for its sessions.
  struct Runtime;
  struct Core;

 private:
  HttpServer(std::unique_ptr<Runtime> runtime, std::shared_ptr<Core> core);
  std::unique_ptr<Runtime> runtime_;
  std::shared_ptr<Core> core_;
};

}  // namespace duet::server

#endif  // DUET_SERVER_HTTP_SERVER_H_
