// HttpClient: a minimal blocking HTTP/1.1 client (http:// and https://) used
// by the query node's follower store to read the command node, and by tests.
// https:// verifies the server's certificate chain against a TlsTrust and
// its name against the URL's host (SNI is sent for a host name).
//
// One object holds one keep-alive connection. Thread-compatible: one thread
// at a time per object, except Abort(), which any thread may call.
#ifndef DUET_FOLLOW_HTTP_CLIENT_H_
#define DUET_FOLLOW_HTTP_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "duet/result.h"
#include "duet/status.h"

namespace duet::follow {

struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string base_path;  // "" or "/base" (no trailing slash); prefixed to every target
  bool tls = false;       // https://
};

// Parses "http://host[:port][/base]" and "https://host[:port][/base]" (port
// 80 and 443 by default). Errors: kInvalidArgument("url") for anything else.
Result<HttpUrl> ParseHttpUrl(std::string_view url);

// The certificate authorities an https:// client trusts. Immutable once
// loaded; one may be shared by any number of clients (thread-safe).
class TlsTrust {
 public:
  // `ca_file`: PEM certificates of the trusted CAs; empty: the system's
  // trust store (Debian: /etc/ssl/certs). Errors: kInvalidArgument("ca_file")
  // when the file does not load.
  static Result<std::shared_ptr<const TlsTrust>> Load(const std::string& ca_file);
  ~TlsTrust();

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit TlsTrust(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpClientResponse {
  unsigned status = 0;
  std::string body;
  HttpHeaders headers;  // names lowercased, in arrival order

  // The first header named `lowercase_name`; empty when absent.
  std::string_view Header(std::string_view lowercase_name) const;
};

class HttpClient {
 public:
  // A client that connects on first use (never fails; a down server shows up
  // as the first request's error). `timeout` bounds the connect (with the
  // TLS handshake) and each request's write and read. `trust` is for an
  // https:// URL; null: the system's trust store.
  static std::unique_ptr<HttpClient> Create(const HttpUrl& url, std::chrono::milliseconds timeout,
                                            std::shared_ptr<const TlsTrust> trust = nullptr);
  // Create + connect now. Errors: kIOError ("http: ...", a failed TLS
  // handshake or certificate check too), kTimeout.
  static Result<std::unique_ptr<HttpClient>> Connect(
      const HttpUrl& url, std::chrono::milliseconds timeout,
      std::shared_ptr<const TlsTrust> trust = nullptr);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request and reads the whole response (any status). `target` is
  // the path and query, appended to the URL's base path. If the kept-alive
  // connection turns out closed by the server, reconnects once and resends.
  // Errors: kInvalidArgument("method") for an unknown method, kIOError
  // ("http: ...") for connect/read/write failures or an over-large response,
  // kTimeout when `timeout` passes.
  Result<HttpClientResponse> Request(std::string_view method, std::string_view target,
                                     std::string_view body = {}, const HttpHeaders& headers = {});

  // Streaming GET (server-sent events): calls `on_chunk` with body bytes as
  // they arrive until it returns false, the response ends, or `idle_timeout`
  // passes with no bytes. Leaves the connection closed (the next Request
  // reconnects). Returns OK when on_chunk stopped it or the response ended;
  // kIOError on a non-2xx status (message has status and body), a broken
  // connection or Abort(); kTimeout when idle too long.
  Status Stream(std::string_view target, const HttpHeaders& headers,
                std::chrono::milliseconds idle_timeout,
                const std::function<bool(std::string_view)>& on_chunk);

  // Thread-safe. Cancels the operation in progress, if any, and makes every
  // later call fail with kIOError; used to stop a thread blocked in Stream().
  void Abort();

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace duet::follow

#endif  // DUET_FOLLOW_HTTP_CLIENT_H_
