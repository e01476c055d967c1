#include "net/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <limits>

namespace rbee::net {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;

std::optional<url> parse_url(std::string_view text, std::string& error) {
  if (!text.starts_with("http://")) {
    error = "only http:// URLs are supported: '" + std::string(text.substr(0, 200)) + "'";
    return std::nullopt;
  }
  auto rest = text.substr(7);
  rest = rest.substr(0, rest.find('/'));
  url u;
  if (rest.starts_with("[")) {
    auto end = rest.find(']');
    if (end == std::string_view::npos) return error = "bad IPv6 address in URL", std::nullopt;
    u.host = std::string(rest.substr(1, end - 1));
    rest = rest.substr(end + 1);
    if (rest.starts_with(":")) u.port = std::string(rest.substr(1));
  } else {
    auto colon = rest.find(':');
    u.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) u.port = std::string(rest.substr(colon + 1));
  }
  if (u.host.empty()) return error = "URL without a host", std::nullopt;
  if (u.port.empty() || u.port.size() > 5 || u.port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(u.port) > 65535)
    return error = "bad port in URL", std::nullopt;
  return u;
}

namespace {

/// Runs one async operation to completion on `ioc` (the deadline is the stream's).
template <class Start>
beast::error_code run(asio::io_context& ioc, Start start) {
  beast::error_code result = asio::error::would_block;
  start([&](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result;
}

struct connection {
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buf;

  beast::error_code open(const url& u, std::chrono::milliseconds timeout) {
    asio::ip::tcp::resolver resolver{ioc};
    beast::error_code ec;
    auto eps = resolver.resolve(u.host, u.port, ec);
    if (ec) return ec;
    stream.expires_after(timeout);
    return run(ioc, [&](auto h) { stream.async_connect(eps, [h](beast::error_code e, auto) mutable { h(e); }); });
  }
};

http::request<http::string_body> make_request(const url& u, std::string_view method,
                                              std::string_view target, std::string_view body,
                                              const headers& extra) {
  http::request<http::string_body> req{
    http::string_to_verb(beast::string_view(method.data(), method.size())),
    beast::string_view(target.data(), target.size()), 11};
  req.set(http::field::host, u.host.find(':') != std::string::npos ? "[" + u.host + "]:" + u.port
                                                                    : u.host + ":" + u.port);
  req.set(http::field::user_agent, "rbee");
  for (auto& [k, v] : extra) req.set(k, v);
  if (!body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::string(body);
  }
  req.prepare_payload();
  return req;
}

} // namespace

http_result http_call(const url& u, std::string_view method, std::string_view target,
                      std::string_view body, const headers& extra, std::chrono::milliseconds timeout) {
  http_result out;
  connection c;
  if (auto ec = c.open(u, timeout)) return out.error = ec.message(), out;
  auto req = make_request(u, method, target, body, extra);
  c.stream.expires_after(timeout);
  if (auto ec = run(c.ioc, [&](auto h) { http::async_write(c.stream, req, h); }))
    return out.error = ec.message(), out;
  http::response_parser<http::string_body> p;
  p.body_limit(64u << 20);
  if (auto ec = run(c.ioc, [&](auto h) { http::async_read(c.stream, c.buf, p, h); }))
    return out.error = ec.message(), out;
  out.status = static_cast<int>(p.get().result_int());
  out.body = std::move(p.get().body());
  beast::error_code ignored;
  c.stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  return out;
}

http_result sse_get(const url& u, std::string_view target, const headers& extra,
                    const sse_parser::callback& on_event, std::chrono::milliseconds idle) {
  return sse_request(u, "GET", target, {}, extra, on_event, idle);
}

http_result sse_request(const url& u, std::string_view method, std::string_view target, std::string_view body,
                        const headers& extra, const sse_parser::callback& on_event, std::chrono::milliseconds idle) {
  http_result out;
  connection c;
  if (auto ec = c.open(u, idle)) return out.error = ec.message(), out;
  auto req = make_request(u, method, target, body, extra);
  req.set(http::field::accept, "text/event-stream");
  c.stream.expires_after(idle);
  if (auto ec = run(c.ioc, [&](auto h) { http::async_write(c.stream, req, h); }))
    return out.error = ec.message(), out;
  http::response_parser<http::buffer_body> p;
  p.body_limit(std::numeric_limits<std::uint64_t>::max()); // boost::none is broken in Beast 1.74
  if (auto ec = run(c.ioc, [&](auto h) { http::async_read_header(c.stream, c.buf, p, h); }))
    return out.error = ec.message(), out;
  out.status = static_cast<int>(p.get().result_int());
  sse_parser parser;
  char chunk[8192];
  while (!p.is_done()) {
    p.get().body().data = chunk;
    p.get().body().size = sizeof(chunk);
    c.stream.expires_after(idle);
    auto ec = run(c.ioc, [&](auto h) { http::async_read_some(c.stream, c.buf, p, h); });
    if (ec == http::error::need_buffer) ec = {};
    size_t n = sizeof(chunk) - p.get().body().size;
    if (out.status != 200) {
      out.body.append(chunk, n);
    } else if (!parser.feed(std::string_view(chunk, n), on_event)) {
      break;
    }
    if (ec) {
      if (ec != http::error::end_of_stream && ec != asio::error::eof) out.error = ec.message();
      break;
    }
  }
  beast::error_code ignored;
  c.stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  return out;
}

} // namespace rbee::net
