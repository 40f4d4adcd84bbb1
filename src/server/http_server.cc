#include "server/http_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <condition_variable>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "server/problem.h"
#include "server/request_dispatch.h"
#include "server/tls_context.h"
#include "util/thread_name.h"
#include "util/tls_stream.h"

namespace duet::server {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// The sockets, threads and executors; owned by the HttpServer alone, so that
// destroying it (which destroys pending handlers and the sessions they hold)
// ends every session. Members are destroyed in reverse order: workers
// (joined), acceptor, then the io_context.
struct HttpServer::Runtime {
  explicit Runtime(int worker_threads)
      : acceptor(io), workers(static_cast<size_t>(std::max(1, worker_threads))) {}
  net::io_context io;
  // Keeps the I/O threads running while no socket operation is pending (a
  // worker is busy, the acceptor is closed) until Stop() ends them.
  net::executor_work_guard<net::io_context::executor_type> keep_running{io.get_executor()};
  tcp::acceptor acceptor;
  net::thread_pool workers;
  std::vector<std::thread> io_threads;
};

// What every session shares; sessions hold it by shared_ptr.
struct HttpServer::Core {
  Core(const Router* r, const TokenAuthority* a, HttpObserver* o, const HttpServerOptions& opts,
       bool bound_to_loopback, Runtime* rt)
      : dispatcher(r, a, opts.limits, RequestPolicy{opts.cors_origins, bound_to_loopback}),
        observer(o),
        options(opts),
        runtime(rt) {}

  RequestDispatcher dispatcher;
  HttpObserver* observer;
  HttpServerOptions options;
  Runtime* runtime;  // outlives every use: see HttpServer::Stop
  uint16_t port = 0;
  std::weak_ptr<Core> self;  // for sessions, which share ownership of the core

  std::atomic<bool> stopping{false};
  std::atomic<bool> io_stopped{false};
  std::atomic<size_t> connections{0};
  // Requests accepted whose response is not yet written, and live streams:
  // Stop() waits for them to drain. Stream threads are counted apart, since
  // they must end before the runtime goes.
  std::mutex mu;
  std::condition_variable drained;
  size_t busy = 0;            // GUARDED_BY(mu)
  size_t stream_threads = 0;  // GUARDED_BY(mu)
  bool stopped = false;       // GUARDED_BY(mu)
  // Sessions whose asynchronous handler has not answered yet. Only this
  // holds them (their Reply holds them weakly), so Stop can end them while
  // the I/O context exists, however late the answer comes. GUARDED_BY(mu)
  std::map<const void*, std::shared_ptr<void>> awaiting;

  void BeginWork() {
    std::lock_guard lock(mu);
    ++busy;
  }
  void EndWork() {
    std::lock_guard lock(mu);
    if (--busy == 0) drained.notify_all();
  }
  void AddStreamThread() {
    std::lock_guard lock(mu);
    ++stream_threads;
  }
  void EndStreamThread() {
    std::lock_guard lock(mu);
    if (--stream_threads == 0) drained.notify_all();
  }
  void Accept();

  // The TLS context new connections get (null: plain HTTP). Replaced whole
  // by a reload; each session holds the one it was accepted with.
  std::shared_ptr<ssl::context> CurrentTls() {
    std::lock_guard lock(tls_mu);
    return tls_context;
  }
  std::mutex tls_mu;
  std::shared_ptr<ssl::context> tls_context;  // GUARDED_BY(tls_mu)
};

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kAcceptRetry{50};
// How long a closing TLS connection waits for the client's close_notify;
// a client that never answers costs at most this.
constexpr std::chrono::milliseconds kTlsShutdownTimeout{1000};

class Session;

// The StreamWriter of one streaming response: each Write is an async_write on
// the session's strand, awaited, so the stream thread blocks while the client
// is slow and the connection holds at most one chunk.
class SessionStreamWriter : public StreamWriter {
 public:
  SessionStreamWriter(std::shared_ptr<Session> session, HttpServer::Core* core,
                      std::string header_lines)
      : session_(std::move(session)), core_(core), header_lines_(std::move(header_lines)) {}
  bool Write(std::string chunk) override;
  bool stopping() const override { return core_->stopping.load(); }
  bool started() const { return started_; }

 private:
  std::shared_ptr<Session> session_;
  HttpServer::Core* core_;
  std::string header_lines_;  // Date, CORS (RequestDispatcher::StreamHeaderLines)
  bool started_ = false;
  bool failed_ = false;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  // TLS when `tls_context` is set (the handshake comes first).
  Session(tcp::socket socket, std::shared_ptr<HttpServer::Core> core,
          std::shared_ptr<ssl::context> tls_context)
      : stream_(std::move(socket), std::move(tls_context)), core_(std::move(core)) {
    core_->connections.fetch_add(1);
  }
  ~Session() { core_->connections.fetch_sub(1); }

  void Start() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      if (self->stream_.tls() == nullptr) return self->Begin();
      // The handshake is bounded like a request; a client that does not
      // speak TLS (plain HTTP to this port) fails it and is disconnected.
      self->stream_.expires_after(self->core_->options.limits.request_timeout);
      self->stream_.tls()->async_handshake(ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) return self->CloseSocket();
        self->Begin();
      });
    });
  }

  // Runs on the strand: writes `bytes` and calls `done(ok)` afterwards.
  void WriteRaw(std::shared_ptr<std::string> bytes, std::function<void(bool)> done) {
    net::dispatch(stream_.get_executor(), [self = shared_from_this(), bytes, done] {
      self->stream_.expires_after(self->core_->options.limits.request_timeout);
      net::async_write(self->stream_, net::buffer(*bytes),
                       [self, bytes, done](beast::error_code ec, size_t) { done(!ec); });
    });
  }
  void CloseFromAnyThread(std::function<void()> then) {
    net::dispatch(stream_.get_executor(), [self = shared_from_this(), then = std::move(then)] {
      self->Close();
      then();
    });
  }
  // The asynchronous handler's answer: on the strand, it is sent.
  void SendAnswer(HttpResponse response) {
    {
      std::lock_guard lock(core_->mu);
      core_->awaiting.erase(this);
    }
    Send(response, route_label_);
  }
  net::any_io_executor executor() { return stream_.get_executor(); }
  const std::shared_ptr<HttpServer::Core>& core() { return core_; }

  void SendFromAnyThread(HttpResponse response, std::string route) {
    net::dispatch(stream_.get_executor(),
                  [self = shared_from_this(), response = std::move(response), route] {
                    self->Send(response, route);
                  });
  }

 private:
  // The connection is open (and its TLS established): serve it.
  void Begin() {
    if (core_->connections.load() > core_->options.limits.max_connections) {
      keep_alive_ = false;
      Send(ProblemResponse(Status::Overloaded("too many connections")), "unmatched");
      return;
    }
    WaitForRequest();
  }

  // Waits for a next request's first bytes under the idle deadline; the
  // request itself then gets the request deadline.
  void WaitForRequest() {
    if (core_->stopping.load()) return Close();
    if (buffer_.size() > 0) return ReadRequest();
    stream_.expires_after(core_->options.limits.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->Close();
                              self->buffer_.commit(n);
                              self->ReadRequest();
                            });
  }

  // The head first, so that a client waiting for 100 Continue can be
  // answered before its body is read, or refused without reading it.
  void ReadRequest() {
    parser_.emplace();
    core_->dispatcher.Bound(*parser_);
    method_.clear();
    shaping_ = {};
    started_at_ = Clock::now();
    stream_.expires_after(core_->options.limits.request_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    // Known once the request line is parsed, even if the head then fails
    // (a Content-Length above max_body_bytes): metrics label the real method.
    if (parser_->get().method() != http::verb::unknown) {
      method_ = std::string(parser_->get().method_string());
    }
    if (ec || parser_->is_done()) return OnRead(ec);
    if (!RequestDispatcher::ExpectsContinue(parser_->get())) return ReadBody();
    DispatchPlan plan = core_->dispatcher.PlanHeader(parser_->get());
    if (plan.response) {
      // The body stays unread, so the connection cannot carry another request.
      keep_alive_ = false;
      shaping_ = plan.shaping;
      return Send(*plan.response, plan.route_label);
    }
    static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    net::async_write(stream_, net::buffer(kContinue),
                     [self = shared_from_this()](beast::error_code write_ec, size_t) {
                       if (write_ec) return self->Close();
                       // The client waited for us: its body gets a deadline of its own.
                       self->stream_.expires_after(self->core_->options.limits.request_timeout);
                       self->ReadBody();
                     });
  }

  // Under the deadline set for the head: request_timeout bounds a request
  // from its first byte to its last.
  void ReadBody() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec) {
      std::optional<HttpResponse> answer = core_->dispatcher.ReadFailure(ec);
      if (!answer) return Close();
      keep_alive_ = false;
      return Send(*answer, "unmatched");
    }
    Handle(parser_->release());
  }

  void Handle(http::request<http::string_body> message);
  void Send(const HttpResponse& response, const std::string& route);
  void StartStream(DispatchPlan plan);
  void StartAsync(const DispatchPlan& plan);

  // TLS first says goodbye (close_notify, bounded), so that the client can
  // tell the end of the response from a truncation.
  void Close() {
    if (closed_) return;
    closed_ = true;
    if (stream_.tls() == nullptr) return CloseSocket();
    stream_.expires_after(kTlsShutdownTimeout);
    stream_.tls()->async_shutdown(
        [self = shared_from_this()](beast::error_code) { self->CloseSocket(); });
  }
  void CloseSocket() {
    closed_ = true;
    beast::error_code ignored;
    stream_.tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.tcp().socket().close(ignored);
  }

  TlsOrTcpStream stream_;
  std::shared_ptr<HttpServer::Core> core_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::response<http::string_body>> response_;
  std::string method_;
  ResponseShaping shaping_;  // of the request being answered
  std::string route_label_;  // of the request an asynchronous handler answers
  Clock::time_point started_at_;
  bool keep_alive_ = true;
  bool closed_ = false;
  bool counted_ = false;  // this request holds a Core::BeginWork
};

bool SessionStreamWriter::Write(std::string chunk) {
  if (failed_) return false;
  if (!started_) {
    started_ = true;
    chunk.insert(0,
                 "HTTP/1.1 200 OK\r\nServer: duet\r\nContent-Type: text/event-stream\r\n"
                 "Cache-Control: no-cache\r\nConnection: close\r\n" +
                     header_lines_ + "\r\n");
  }
  auto done = std::make_shared<std::promise<bool>>();
  std::future<bool> written = done->get_future();
  session_->WriteRaw(std::make_shared<std::string>(std::move(chunk)),
                     [done](bool ok) { done->set_value(ok); });
  // Poll so that a stopped server (whose handlers never run) ends the wait.
  while (written.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    if (core_->io_stopped.load()) {
      failed_ = true;
      return false;
    }
  }
  failed_ = !written.get();
  return !failed_;
}

void Session::Handle(http::request<http::string_body> message) {
  started_at_ = Clock::now();
  keep_alive_ = message.keep_alive() && !core_->stopping.load();
  core_->BeginWork();
  counted_ = true;
  DispatchPlan plan = core_->dispatcher.Plan(std::move(message));
  method_ = plan.request.method;
  shaping_ = plan.shaping;
  if (plan.response) return Send(*plan.response, plan.route_label);
  switch (plan.execution) {
    case Execution::kInline: return Send(RequestDispatcher::Run(plan), plan.route_label);
    case Execution::kWorker:
      net::post(core_->runtime->workers, [self = shared_from_this(), plan = std::move(plan)] {
        self->SendFromAnyThread(RequestDispatcher::Run(plan), plan.route_label);
      });
      return;
    case Execution::kAsync: return StartAsync(plan);
    case Execution::kStream: return StartStream(std::move(plan));
  }
}

// The Reply of one request's asynchronous handler. An answer given while the
// handler still runs is kept and sent when it returns, with no hand-off;
// later ones are posted to the session's strand, unless the server stopped.
class SessionReply final : public Reply {
 public:
  explicit SessionReply(const std::shared_ptr<Session>& session)
      : session_(session), core_(session->core()), executor_(session->executor()) {}

  void Send(HttpResponse response) override {
    {
      std::lock_guard lock(mu_);
      if (in_handler_) {
        early_ = std::move(response);
        return;
      }
    }
    std::lock_guard lock(core_->mu);  // io_stopped does not change meanwhile
    if (core_->io_stopped.load()) return;
    std::shared_ptr<Session> session = session_.lock();
    if (session == nullptr) return;
    net::post(executor_, [session, response = std::move(response)]() mutable {
      session->SendAnswer(std::move(response));
    });
  }

  void After(std::chrono::microseconds delay, std::function<void()> fn) override {
    std::lock_guard lock(core_->mu);
    if (core_->io_stopped.load()) return;
    if (delay.count() <= 0) return net::post(executor_, std::move(fn));
    auto timer = std::make_shared<net::steady_timer>(executor_, delay);
    timer->async_wait([timer, fn = std::move(fn)](beast::error_code) { fn(); });
  }

  // The handler returned: its early answer, if it gave one.
  std::optional<HttpResponse> HandlerReturned() {
    std::lock_guard lock(mu_);
    in_handler_ = false;
    return std::move(early_);
  }

 private:
  std::weak_ptr<Session> session_;
  std::shared_ptr<HttpServer::Core> core_;
  net::any_io_executor executor_;
  std::mutex mu_;
  bool in_handler_ = true;             // GUARDED_BY(mu_)
  std::optional<HttpResponse> early_;  // GUARDED_BY(mu_)
};

void Session::StartAsync(const DispatchPlan& plan) {
  route_label_ = plan.route_label;
  {
    std::lock_guard lock(core_->mu);
    core_->awaiting.emplace(this, shared_from_this());
  }
  auto reply = std::make_shared<SessionReply>(shared_from_this());
  plan.route->handle_async(plan.request, reply);
  if (std::optional<HttpResponse> early = reply->HandlerReturned()) SendAnswer(std::move(*early));
}

void Session::StartStream(DispatchPlan plan) {
  core_->AddStreamThread();
  std::thread([self = shared_from_this(), route = plan.route, request = std::move(plan.request),
               header_lines = RequestDispatcher::StreamHeaderLines(shaping_)]() mutable {
    NameThisThread("duet-feed");
    std::shared_ptr<HttpServer::Core> core = self->core_;
    {
      SessionStreamWriter writer(self, core.get(), std::move(header_lines));
      HttpResponse response = route->stream(request, writer);
      if (!writer.started()) {
        self->SendFromAnyThread(std::move(response), route->pattern);
      } else {
        if (core->observer != nullptr) {
          core->observer->OnResponse(route->pattern, self->method_, 200,
                                     Clock::now() - self->started_at_);
        }
        // The request counts as in flight until its socket is closed, so a
        // graceful Stop() closes streams before it stops the I/O threads.
        self->CloseFromAnyThread([core] { core->EndWork(); });
      }
    }
    self.reset();  // before the count drops: the runtime may go right after
    core->EndStreamThread();
  }).detach();
}

void Session::Send(const HttpResponse& answer, const std::string& route) {
  HttpResponse response = answer;
  RequestDispatcher::Finish(shaping_, &response);  // may make a 200 a 304
  if (core_->observer != nullptr) {
    core_->observer->OnResponse(route, method_.empty() ? "-" : method_, response.status,
                                Clock::now() - started_at_);
  }
  response_.emplace(static_cast<http::status>(response.status), 11);
  if (std::string_view phrase = ReasonPhrase(response.status); !phrase.empty()) {
    response_->reason(phrase);
  }
  response_->set(http::field::server, "duet");
  if (!response.content_type.empty()) {
    response_->set(http::field::content_type, response.content_type);
  }
  for (const auto& [name, value] : response.headers) response_->set(name, value);
  response_->keep_alive(keep_alive_ && !core_->stopping.load());
  if (response.head) {
    // Headers only (HEAD, 304): the Content-Length a GET would carry, no body.
    if (response.head_length) response_->content_length(*response.head_length);
  } else {
    response_->body() = std::move(response.body);
    response_->prepare_payload();
  }
  stream_.expires_after(core_->options.limits.request_timeout);
  http::async_write(stream_, *response_, [self = shared_from_this()](beast::error_code ec, size_t) {
    const bool again = !ec && self->response_->keep_alive();
    self->response_.reset();
    if (self->counted_) {
      self->counted_ = false;
      self->core_->EndWork();
    }
    if (!again) return self->Close();
    self->WaitForRequest();
  });
}

}  // namespace

void HttpServer::Core::Accept() {
  runtime->acceptor.async_accept(
      net::make_strand(runtime->io), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || stopping.load()) return;
        if (ec) {
          // Out of descriptors or memory (EMFILE, ENOBUFS): retrying at once
          // would spin; connections wait in the backlog meanwhile.
          auto timer = std::make_shared<net::steady_timer>(runtime->io, kAcceptRetry);
          timer->async_wait([this, timer](beast::error_code) {
            if (!stopping.load()) Accept();
          });
          return;
        }
        socket.set_option(tcp::no_delay(true), ec);
        // Sessions keep the core alive; the acceptor callback runs only while
        // Stop() has not closed the acceptor, so `this` is alive here.
        std::make_shared<Session>(std::move(socket), self.lock(), CurrentTls())->Start();
        Accept();
      });
}

HttpServer::HttpServer(std::unique_ptr<Runtime> runtime, std::shared_ptr<Core> core)
    : runtime_(std::move(runtime)), core_(std::move(core)) {}

HttpServer::~HttpServer() {
  Stop(std::chrono::milliseconds(0));
  runtime_.reset();
}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const Router* router,
                                                      const TokenAuthority* authority,
                                                      HttpObserver* observer,
                                                      const HttpServerOptions& options) {
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options.host, ec);
  if (ec) return Status::InvalidArgument("host", "not an IP address: " + options.host);
  std::shared_ptr<ssl::context> tls;
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    DUET_ASSIGN_OR_RETURN(tls, LoadServerTlsContext(options.tls_cert_file, options.tls_key_file));
  }
  auto runtime = std::make_unique<Runtime>(options.worker_threads);
  auto core = std::make_shared<Core>(router, authority, observer, options, address.is_loopback(),
                                     runtime.get());
  core->self = core;
  core->tls_context = std::move(tls);
  const tcp::endpoint endpoint(address, options.port);
  const std::string where = options.host + ":" + std::to_string(options.port);
  tcp::acceptor& acceptor = runtime->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return Status::IOError("cannot listen on " + where + ": " + ec.message());
  core->port = acceptor.local_endpoint().port();
  core->Accept();
  for (int i = 0; i < std::max(1, options.io_threads); ++i) {
    runtime->io_threads.emplace_back([io = &runtime->io] {
      NameThisThread("duet-io");
      io->run();
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(runtime), std::move(core)));
}

uint16_t HttpServer::port() const { return core_->port; }

size_t HttpServer::open_connections() const { return core_->connections.load(); }

bool HttpServer::tls() const { return core_->CurrentTls() != nullptr; }

Status HttpServer::ReloadTls() {
  if (!tls()) return Status::FailedPrecondition("TLS is off: no certificate to reload");
  DUET_ASSIGN_OR_RETURN(
      std::shared_ptr<ssl::context> fresh,
      LoadServerTlsContext(core_->options.tls_cert_file, core_->options.tls_key_file));
  std::lock_guard lock(core_->tls_mu);
  core_->tls_context = std::move(fresh);
  return Status::OK();
}

void HttpServer::Stop(std::chrono::milliseconds grace) {
  std::unique_lock lock(core_->mu);
  if (core_->stopped) return;
  core_->stopped = true;
  core_->stopping.store(true);
  net::post(runtime_->io, [runtime = runtime_.get()] {
    beast::error_code ignored;
    runtime->acceptor.close(ignored);
  });
  core_->drained.wait_for(lock, grace, [&] { return core_->busy == 0; });
  // What still runs after the grace period is cut off: the I/O threads stop
  // (dropping idle keep-alive connections), stream writes fail, the workers
  // finish their handlers (whose responses are dropped).
  core_->io_stopped.store(true);
  runtime_->io.stop();
  lock.unlock();
  for (std::thread& t : runtime_->io_threads) t.join();
  runtime_->workers.join();
  lock.lock();
  core_->drained.wait(lock, [&] { return core_->stream_threads == 0; });
  // Unanswered asynchronous requests end here, while the I/O context exists;
  // their late answers find io_stopped set.
  std::map<const void*, std::shared_ptr<void>> awaiting = std::move(core_->awaiting);
  lock.unlock();
  awaiting.clear();
}

}  // namespace duet::server
