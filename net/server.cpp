#include "net/server.hpp"

#include "net/identity.hpp"
#include "net/session.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>

#include <unistd.h>

#include <stdexcept>
#include <thread>

namespace rbee::net {

struct http_server::impl {
  std::shared_ptr<asio::io_context> ioc = std::make_shared<asio::io_context>();
  asio::ip::tcp::acceptor acceptor{*ioc};
  asio::steady_timer retry{*ioc};
  std::shared_ptr<shared_context> ctx;
  std::vector<std::thread> threads;
  bool stopped = false;

  /// Over a cap: a fixed 503 and close, before reading anything of the request.
  static void refuse(asio::ip::tcp::socket sock) {
    static const std::string answer = [] {
      std::string body = R"({"error":{"code":"unavailable","message":"too many connections (from this address or in all); try again later"}})";
      return "HTTP/1.1 503 Service Unavailable\r\nServer: rbee\r\nContent-Type: application/json\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body;
    }();
    auto s = std::make_shared<asio::ip::tcp::socket>(std::move(sock));
    asio::async_write(*s, asio::buffer(answer), [s](beast::error_code, size_t) {
      beast::error_code ec;
      s->shutdown(asio::ip::tcp::socket::shutdown_both, ec);
      s->close(ec);
    });
  }

  void accept() {
    acceptor.async_accept(asio::make_strand(*ioc), [this](beast::error_code ec, asio::ip::tcp::socket sock) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) { // e.g. out of file descriptors: wait a little instead of spinning
        retry.expires_after(std::chrono::milliseconds(50));
        retry.async_wait([this](beast::error_code e) { if (!e) accept(); });
        return;
      }
      // Tokens go out as small SSE writes: without TCP_NODELAY, Nagle holds each one back until the
      // client's delayed ACK (~40 ms), capping a stream near 25 events/s.
      beast::error_code nd;
      sock.set_option(asio::ip::tcp::no_delay(true), nd);
      auto peer = sock.remote_endpoint(nd);
      std::string client = nd ? std::string("?") : peer.address().to_string();
      if (ctx->limits.admit(client))
        std::make_shared<session>(std::move(sock), ctx, std::move(client))->run();
      else
        refuse(std::move(sock));
      accept();
    });
  }
};

http_server::http_server(config::settings s, backend b) : impl_(std::make_unique<impl>()) {
  auto ctx = std::make_shared<shared_context>(s);
  ctx->allowed_hosts = {"localhost", "127.0.0.1", "::1"};
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) ctx->allowed_hosts.emplace_back(host);
  if (s.bind != "0.0.0.0" && s.bind != "::") ctx->allowed_hosts.push_back(s.bind);
  for (auto h : s.allowed_hosts) {
    for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ctx->allowed_hosts.push_back(h);
  }
  ctx->be = std::move(b);
  ctx->identity = load_identity(); // proves to the keeper that this server is the user's own
  ctx->ioc = impl_->ioc;
  impl_->ctx = std::move(ctx);
}

http_server::~http_server() {
  stop();
}

uint16_t http_server::start(const std::string& bind, uint16_t port) {
  beast::error_code ec;
  auto addr = asio::ip::make_address(bind, ec);
  if (ec) throw std::runtime_error("cannot bind '" + bind + "': not an IP address");
  asio::ip::tcp::endpoint ep{addr, port};
  auto& acc = impl_->acceptor;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    throw std::runtime_error("cannot listen on " + bind + ":" + std::to_string(port) + ": " + ec.message());
  uint16_t bound = acc.local_endpoint().port();
  impl_->accept();
  for (int i = 0; i < impl_->ctx->cfg.http_threads; ++i)
    impl_->threads.emplace_back([ioc = impl_->ioc] { ioc->run(); });
  return bound;
}

void http_server::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  asio::post(*impl_->ioc, [this] {
    beast::error_code ec;
    impl_->acceptor.close(ec);
    impl_->ioc->stop();
  });
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

int http_server::connections() const {
  return impl_->ctx->limits.connections() + impl_->ctx->limits.streams();
}

} // namespace rbee::net
