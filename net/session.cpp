#include "net/session.hpp"

#include "log/log.hpp"
#include "messages/json.hpp"
#include "net/http_error.hpp"

#include <boost/asio/dispatch.hpp>
#include <spdlog/logger.h>

#include <algorithm>
#include <limits>

namespace rbee::net {

namespace {

/// Answers slower than this are logged at info.
constexpr long slow_request_ms = 1000;

/// "/" or "/name.js|css|html": the dashboard's files, served without a token.
bool public_asset(std::string_view t) {
  if (t == "/") return true;
  if (t.size() < 2 || t[0] != '/') return false;
  auto dot = t.rfind('.');
  if (dot == std::string_view::npos) return false;
  auto ext = t.substr(dot);
  if (ext != ".js" && ext != ".css" && ext != ".html") return false;
  for (char c : t.substr(1, dot - 1))
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-')) return false;
  return true;
}

/// "name:port", "[v6]:port" or "name" -> lower-case name without the port.
std::string host_name(std::string_view host) {
  std::string h;
  if (!host.empty() && host.front() == '[') {
    auto end = host.find(']');
    h = std::string(host.substr(1, end == std::string_view::npos ? std::string_view::npos : end - 1));
  } else {
    h = std::string(host.substr(0, host.find(':')));
  }
  for (auto& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

bool equal_const_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false; // the length of the token is no secret
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

} // namespace

session::session(asio::ip::tcp::socket socket, std::shared_ptr<shared_context> ctx, std::string client)
  : ctx_(std::move(ctx)), client_(std::move(client)), stream_(std::move(socket)) {}

session::~session() {
  ctx_->limits.leave(client_, is_stream_);
}

bool session::become_stream() {
  if (is_stream_) return true;
  if (ctx_->limits.to_stream(client_)) return is_stream_ = true;
  keep_alive_ = false;
  reply_error(errc::unavailable, "too many event streams open (from this address or in all); close some and retry");
  return false;
}

void session::run() {
  asio::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->do_read(); });
}

void session::do_read() {
  parser_.emplace();
  parser_->header_limit(static_cast<uint32_t>(ctx_->cfg.max_header_bytes));
  // The body limit is applied after the access checks, so that a request
  // without a token gets 401 whatever length it announces.
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  origin_.clear();
  stream_.expires_after(std::chrono::milliseconds(ctx_->cfg.read_timeout_ms));
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&session::on_header, shared_from_this()));
}

void session::on_header(beast::error_code ec, size_t) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::connection_reset || ec == asio::error::operation_aborted)
    return close();
  keep_alive_ = false;
  if (ec == http::error::header_limit)
    return reply_error(errc::headers_too_large, "the request headers are larger than " +
                                                  std::to_string(ctx_->cfg.max_header_bytes) + " bytes");
  if (ec) return reply_error(errc::bad_request, "malformed HTTP request: " + ec.message());
  auto& h = parser_->get();
  keep_alive_ = h.keep_alive();
  if (!check_access()) return;
  auto len = parser_->content_length();
  if (len && *len > ctx_->cfg.max_body_bytes) {
    keep_alive_ = false;
    return reply_error(errc::payload_too_large, "the request body is larger than " +
                                                  std::to_string(ctx_->cfg.max_body_bytes) + " bytes");
  }
  parser_->body_limit(ctx_->cfg.max_body_bytes);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&session::on_body, shared_from_this()));
}

void session::on_body(beast::error_code ec, size_t) {
  if (ec == http::error::body_limit) {
    keep_alive_ = false;
    return reply_error(errc::payload_too_large, "the request body is larger than " +
                                                  std::to_string(ctx_->cfg.max_body_bytes) + " bytes");
  }
  if (ec == beast::error::timeout) {
    keep_alive_ = false;
    return reply(408, json::error_body(errc::timeout, "the request was not received in time"));
  }
  if (ec) return close();
  req_ = parser_->release();
  started_ = std::chrono::steady_clock::now();
  stream_.expires_never(); // the answer may take a while (an actor request has its own timeout)
  dispatch(shared_from_this());
}

bool session::check_access() {
  auto& h = parser_->get();
  auto host_it = h.find(http::field::host);
  if (host_it == h.end()) {
    reply_error(errc::bad_request, "missing Host header");
    return false;
  }
  std::string host = host_name(std::string_view(host_it->value().data(), host_it->value().size()));
  bool host_ok = false;
  for (auto& a : ctx_->allowed_hosts) host_ok = host_ok || a == host;
  if (!host_ok) {
    keep_alive_ = false;
    reply_error(errc::forbidden, "Host '" + host.substr(0, 100) + "' is not allowed (see allowed_hosts)");
    return false;
  }
  auto origin = h.find(http::field::origin);
  if (origin != h.end()) {
    std::string o(origin->value());
    bool ok = o == "http://" + std::string(host_it->value());
    for (auto& a : ctx_->cfg.cors_origins) ok = ok || a == o;
    if (!ok) {
      keep_alive_ = false;
      reply_error(errc::forbidden, "Origin is not allowed (see cors_origins)");
      return false;
    }
    origin_ = o;
  }
  if (h.method() == http::verb::options) {
    http::response<http::string_body> res{http::status::no_content, h.version()};
    res.set(http::field::access_control_allow_methods, "GET, POST, DELETE, OPTIONS");
    res.set(http::field::access_control_allow_headers, "Authorization, Content-Type, Last-Event-ID");
    res.set(http::field::access_control_max_age, "600");
    res.keep_alive(keep_alive_);
    add_cors(res.base());
    write(std::move(res));
    return false;
  }
  const auto& token = ctx_->cfg.api_token;
  bool health = h.method() == http::verb::get &&
                (h.target() == "/health" || h.target().starts_with("/v1/identity?")); // the keeper's check comes first
  // The dashboard's own files hold no data: a browser must load them before it can send a token.
  if (!token.empty() && !health && !(h.method() == http::verb::get && public_asset(std::string_view(h.target().data(), h.target().size())))) {
    auto a = h[http::field::authorization];
    std::string_view auth(a.data(), a.size());
    if (!auth.starts_with("Bearer ") || !equal_const_time(auth.substr(7), token)) {
      keep_alive_ = false;
      reply_error(errc::unauthorized, "a valid API token is required (Authorization: Bearer ...)");
      return false;
    }
  }
  return true;
}

void session::add_cors(http::response_header<>& res) const {
  if (origin_.empty()) return; // only set once the Origin passed check_access
  res.set(http::field::access_control_allow_origin, origin_);
  res.set(http::field::vary, "Origin");
}

void session::reply(unsigned status, std::string body, const char* content_type) {
  http::response<http::string_body> res{static_cast<http::status>(status), req_.version() ? req_.version() : 11};
  res.set(http::field::server, "rbee");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  if (std::string_view(content_type).starts_with("text/html")) { // the dashboard: its own files only
    res.set("Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    res.set("Referrer-Policy", "no-referrer");
  }
  res.keep_alive(keep_alive_);
  res.body() = std::move(body);
  if (status == 401) res.set(http::field::www_authenticate, "Bearer");
  add_cors(res.base());
  res.prepare_payload();
  write(std::move(res));
}

void session::reply_file(const std::string& path, const char* content_type) {
  http::response<http::file_body> res{http::status::ok, req_.version() ? req_.version() : 11};
  beast::error_code ec;
  res.body().open(path.c_str(), beast::file_mode::scan, ec);
  if (ec) return reply_error(errc::not_found, "cannot read this file");
  res.set(http::field::server, "rbee");
  res.set(http::field::content_type, content_type);
  res.set(http::field::cache_control, "no-store");
  res.set("X-Content-Type-Options", "nosniff");
  res.keep_alive(keep_alive_);
  add_cors(res.base());
  res.prepare_payload();
  auto sp = std::make_shared<http::response<http::file_body>>(std::move(res));
  stream_.expires_after(std::chrono::milliseconds(ctx_->cfg.read_timeout_ms));
  http::async_write(stream_, *sp, [self = shared_from_this(), sp](beast::error_code e, size_t) {
    if (e || !self->keep_alive_) return self->close();
    self->do_read();
  });
}

void session::reply_error(errc code, std::string_view message) {
  reply(status_for(code), json::error_body(code, message));
}

void session::write(http::response<http::string_body> res) {
  if (started_ != std::chrono::steady_clock::time_point{}) { // a request was read (not a refusal before one)
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_).count();
    static const auto lg = logging::get("http");
    std::string_view method(req_.method_string().data(), req_.method_string().size());
    std::string_view target(req_.target().data(), std::min<size_t>(req_.target().size(), 200));
    bool generates = target.find("completions") != std::string_view::npos; // slow by nature
    if (ms >= slow_request_ms && !generates)
      lg->info("slow request: {} {} answered {} after {} ms", method, target, res.result_int(), ms);
    else if (res.result_int() >= 500)
      lg->info("{} {} answered {}", method, target, res.result_int());
    started_ = {};
  }
  auto sp = std::make_shared<http::response<http::string_body>>(std::move(res));
  stream_.expires_after(std::chrono::milliseconds(ctx_->cfg.read_timeout_ms));
  http::async_write(stream_, *sp, [self = shared_from_this(), sp](beast::error_code ec, size_t) {
    if (ec || !self->keep_alive_) return self->close();
    self->do_read();
  });
}

void session::close() {
  if (sse_started_ && !sse_ended_ && on_abort_) { // the client left a stream before its end
    auto f = std::move(on_abort_);
    on_abort_ = nullptr;
    f();
  }
  sse_closed = true;
  if (keepalive_) keepalive_->cancel();
  beast::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

} // namespace rbee::net
