#include "follow/http_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>

#include "util/tls_stream.h"

namespace duet::follow {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

// A whole (non-streamed) response body larger than this is refused: the
// largest legitimate one is a page of 1,000 events.
constexpr uint64_t kMaxResponseBytes = uint64_t{256} << 20;
constexpr size_t kStreamBufferBytes = 16 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The server closed a kept-alive connection we believed open.
bool ClosedByPeer(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == http::error::partial_message || ec == ssl::error::stream_truncated;
}

Result<uint16_t> ParsePort(std::string_view text) {
  unsigned port = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || port == 0 ||
      port > 65535) {
    return Status::InvalidArgument("url", "port must be 1..65535");
  }
  return static_cast<uint16_t>(port);
}

}  // namespace

Result<HttpUrl> ParseHttpUrl(std::string_view url) {
  const std::string lower = Lower(url.substr(0, 8));
  const bool tls = lower.starts_with("https://");
  if (!tls && !lower.starts_with("http://")) {
    return Status::InvalidArgument("url", "must start with http:// or https://");
  }
  std::string_view rest = url.substr(tls ? 8 : 7);
  if (rest.find_first_of("?# ") != std::string_view::npos) {
    return Status::InvalidArgument("url", "must not contain a query, fragment or space");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  HttpUrl out;
  out.tls = tls;
  out.port = tls ? 443 : 80;
  out.base_path = std::string(path);
  std::string_view port_text;
  if (authority.starts_with('[')) {  // IPv6 literal
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("url", "unclosed '['");
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty() && !after.starts_with(':')) {
      return Status::InvalidArgument("url", "junk after ']'");
    }
    if (!after.empty()) port_text = after.substr(1);
    if (after == ":") return Status::InvalidArgument("url", "port must be 1..65535");
  } else {
    const size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return Status::InvalidArgument("url", "port must be 1..65535");
    }
  }
  if (out.host.empty()) return Status::InvalidArgument("url", "has no host");
  if (!port_text.empty()) {
    DUET_ASSIGN_OR_RETURN(out.port, ParsePort(port_text));
  }
  return out;
}

struct TlsTrust::Impl {
  std::shared_ptr<ssl::context> context;
};

TlsTrust::TlsTrust(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsTrust::~TlsTrust() = default;

Result<std::shared_ptr<const TlsTrust>> TlsTrust::Load(const std::string& ca_file) {
  auto impl = std::make_unique<Impl>();
  impl->context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(impl->context->native_handle(), TLS1_2_VERSION);
  impl->context->set_verify_mode(ssl::verify_peer);
  if (!ca_file.empty()) {
    // OpenSSL reports a file it cannot open as "system lib"; errno says why.
    std::FILE* file = std::fopen(ca_file.c_str(), "rb");
    if (file == nullptr)
      return Status::InvalidArgument("ca_file", ca_file + ": " + std::strerror(errno));
    std::fclose(file);
  }
  beast::error_code ec;
  ERR_clear_error();
  if (ca_file.empty()) {
    impl->context->set_default_verify_paths(ec);
  } else {
    impl->context->load_verify_file(ca_file, ec);
  }
  if (ec) {
    // Asio keeps OpenSSL's first (root) error in `ec`; the rest of the queue
    // only names the layers that gave up.
    ERR_clear_error();
    return Status::InvalidArgument(
        "ca_file", (ca_file.empty() ? std::string("the system trust store") : ca_file) +
                       ": cannot load CA certificates: " + ec.message());
  }
  return std::shared_ptr<const TlsTrust>(new TlsTrust(std::move(impl)));
}

std::string_view HttpClientResponse::Header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return {};
}

struct HttpClient::Impl {
  HttpUrl url;
  std::chrono::milliseconds timeout;
  std::shared_ptr<const TlsTrust> trust;  // https:// only; null: it did not load
  asio::io_context ioc;
  // A fresh one per connection (a TLS session does not outlive its socket);
  // unset before the first.
  std::optional<TlsOrTcpStream> stream;
  beast::flat_buffer buffer;
  bool connected = false;
  std::atomic<bool> aborted{false};

  // Runs the io_context until the operation `start` begins completes. Beast's
  // timeouts (expires_after) apply to asynchronous operations only, hence
  // async operations driven synchronously here.
  template <typename Start>
  beast::error_code Run(Start&& start) {
    if (aborted.load()) return asio::error::operation_aborted;
    beast::error_code result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  Status Failure(std::string_view what, const beast::error_code& ec) {
    Close();
    if (aborted.load()) return Status::IOError("http: aborted");
    std::string where = url.host + ":" + std::to_string(url.port);
    if (ec == beast::error::timeout) {
      return Status::Timeout("http: " + std::string(what) + " " + where + " timed out");
    }
    return Status::IOError("http: " + std::string(what) + " " + where + ": " + ec.message());
  }

  // Without a TLS close_notify: every response read was complete by its
  // HTTP framing, so an abrupt end loses nothing.
  void Close() {
    if (stream) {
      beast::error_code ignored;
      stream->tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream->tcp().close();
    }
    buffer.clear();
    connected = false;
  }

  Status Open() {
    Close();
    if (aborted.load()) return Status::IOError("http: aborted");
    tcp::resolver resolver(ioc);
    beast::error_code ec;
    auto endpoints = resolver.resolve(url.host, std::to_string(url.port), ec);
    if (ec) return Failure("resolve", ec);
    if (url.tls && trust == nullptr) return Status::IOError("http: no TLS trust store loaded");
    stream.emplace(tcp::socket(ioc), url.tls ? trust->impl().context : nullptr);
    stream->expires_after(timeout);
    ec = Run([&](auto handler) { stream->tcp().async_connect(endpoints, std::move(handler)); });
    if (ec) return Failure("connect to", ec);
    stream->tcp().socket().set_option(tcp::no_delay(true), ec);
    if (url.tls) DUET_RETURN_IF_ERROR(Handshake());
    connected = true;
    return Status::OK();
  }

  // The server must present a chain to a trusted CA for the URL's host: a
  // name (sent as SNI too) or an IP address, matched against the
  // certificate's subjectAltName by OpenSSL during the handshake.
  Status Handshake() {
    SSL* ssl = stream->tls()->native_handle();
    beast::error_code not_an_address;
    asio::ip::make_address(url.host, not_an_address);
    if (not_an_address) {
      SSL_set_tlsext_host_name(ssl, url.host.c_str());
      SSL_set1_host(ssl, url.host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str());
    }
    stream->expires_after(timeout);
    beast::error_code ec = Run([&](auto handler) {
      stream->tls()->async_handshake(ssl::stream_base::client, std::move(handler));
    });
    if (!ec) return Status::OK();
    const long verify = SSL_get_verify_result(ssl);
    if (verify == X509_V_OK || ec == beast::error::timeout)
      return Failure("TLS handshake with", ec);
    Close();
    return Status::IOError("http: TLS handshake with " + url.host + ":" + std::to_string(url.port) +
                           ": certificate not trusted: " + X509_verify_cert_error_string(verify));
  }

  http::request<http::string_body> MakeRequest(http::verb verb, std::string_view target,
                                               const HttpHeaders& headers) {
    http::request<http::string_body> req{verb, url.base_path + std::string(target), 11};
    req.set(http::field::host, url.host + ":" + std::to_string(url.port));
    req.set(http::field::user_agent, "duet-http-client");
    for (const auto& [name, value] : headers) req.set(name, value);
    req.keep_alive(true);
    return req;
  }

  // One write + read on the open connection; `ec` says how it failed.
  Result<HttpClientResponse> Exchange(http::request<http::string_body>& req,
                                      beast::error_code& ec) {
    stream->expires_after(timeout);
    ec = Run([&](auto handler) { http::async_write(*stream, req, std::move(handler)); });
    if (ec) return Failure("write to", ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    if (req.method() == http::verb::head) parser.skip(true);
    stream->expires_after(timeout);
    ec = Run([&](auto handler) { http::async_read(*stream, buffer, parser, std::move(handler)); });
    if (ec) return Failure("read from", ec);
    http::response<http::string_body> msg = parser.release();
    HttpClientResponse out;
    out.status = msg.result_int();
    for (const auto& field : msg) {
      out.headers.emplace_back(Lower(field.name_string()), std::string(field.value()));
    }
    out.body = std::move(msg.body());
    if (!msg.keep_alive()) Close();
    return out;
  }

  Status ReadStreamBody(http::response_parser<http::buffer_body>& parser,
                        std::chrono::milliseconds idle_timeout,
                        const std::function<bool(std::string_view)>& on_chunk) {
    std::vector<char> chunk(kStreamBufferBytes);
    while (!parser.is_done()) {
      parser.get().body().data = chunk.data();
      parser.get().body().size = chunk.size();
      stream->expires_after(idle_timeout);
      beast::error_code ec = Run([&](auto handler) {
        http::async_read_some(*stream, buffer, parser, std::move(handler));
      });
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return Failure("stream from", ec);
      const size_t n = chunk.size() - parser.get().body().size;
      if (n > 0 && !on_chunk(std::string_view(chunk.data(), n))) break;
    }
    Close();
    return Status::OK();
  }
};

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient> HttpClient::Create(const HttpUrl& url,
                                               std::chrono::milliseconds timeout,
                                               std::shared_ptr<const TlsTrust> trust) {
  auto impl = std::make_unique<Impl>();
  impl->url = url;
  impl->timeout = timeout;
  impl->trust = std::move(trust);
  if (url.tls && impl->trust == nullptr) {
    Result<std::shared_ptr<const TlsTrust>> system = TlsTrust::Load("");
    if (system.ok()) impl->trust = *std::move(system);  // else Open() reports it
  }
  return std::unique_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

Result<std::unique_ptr<HttpClient>> HttpClient::Connect(const HttpUrl& url,
                                                        std::chrono::milliseconds timeout,
                                                        std::shared_ptr<const TlsTrust> trust) {
  std::unique_ptr<HttpClient> client = Create(url, timeout, std::move(trust));
  DUET_RETURN_IF_ERROR(client->impl_->Open());
  return client;
}

Result<HttpClientResponse> HttpClient::Request(std::string_view method, std::string_view target,
                                               std::string_view body, const HttpHeaders& headers) {
  const http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown) {
    return Status::InvalidArgument("method", "unknown HTTP method");
  }
  http::request<http::string_body> req = impl_->MakeRequest(verb, target, headers);
  req.body() = std::string(body);
  req.prepare_payload();
  for (int attempt = 0;; ++attempt) {
    const bool reused = impl_->connected;
    if (!reused) DUET_RETURN_IF_ERROR(impl_->Open());
    beast::error_code ec;
    Result<HttpClientResponse> response = impl_->Exchange(req, ec);
    // A kept-alive connection the server has meanwhile closed fails at once
    // with EOF/reset: that request never reached a live server, so resend once.
    if (response.ok() || !reused || attempt > 0 || !ClosedByPeer(ec)) return response;
  }
}

Status HttpClient::Stream(std::string_view target, const HttpHeaders& headers,
                          std::chrono::milliseconds idle_timeout,
                          const std::function<bool(std::string_view)>& on_chunk) {
  Impl& impl = *impl_;
  DUET_RETURN_IF_ERROR(impl.Open());  // a fresh connection: a stale one would need a resend
  http::request<http::string_body> req = impl.MakeRequest(http::verb::get, target, headers);
  req.set(http::field::accept, "text/event-stream");
  req.prepare_payload();
  impl.stream->expires_after(impl.timeout);
  beast::error_code ec =
      impl.Run([&](auto handler) { http::async_write(*impl.stream, req, std::move(handler)); });
  if (ec) return impl.Failure("write to", ec);
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(std::numeric_limits<uint64_t>::max());
  impl.stream->expires_after(impl.timeout);
  ec = impl.Run([&](auto handler) {
    http::async_read_header(*impl.stream, impl.buffer, parser, std::move(handler));
  });
  if (ec) return impl.Failure("read from", ec);
  const unsigned status = parser.get().result_int();
  if (status < 200 || status > 299) {
    impl.Close();
    return Status::IOError("http: GET " + std::string(target) + ": HTTP " + std::to_string(status) +
                           " " + std::string(parser.get().reason()));
  }
  return impl.ReadStreamBody(parser, idle_timeout, on_chunk);
}

void HttpClient::Abort() {
  impl_->aborted.store(true);
  Impl* impl = impl_.get();
  // Runs on the thread driving the io_context, the only one that may touch
  // the stream; queued until then if no operation is running.
  asio::post(impl->ioc, [impl] {
    if (impl->stream) impl->stream->tcp().cancel();
  });
}

}  // namespace duet::follow
