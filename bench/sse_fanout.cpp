// SSE fan-out: N subscribers on the global feed (GET /v1/events) of an
// in-process queen; jobs are submitted and every event of every job is
// delivered to every subscriber. Reports events delivered per second.
// Usage: bench_sse_fanout [subscribers=1000] [jobs=200]
#include "bench/bench_server.hpp"
#include "net/http_client.hpp"

#include <boost/asio.hpp>

#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstring>

using namespace rbee;
namespace asio = boost::asio;
using clk = std::chrono::steady_clock;

namespace {

/// One subscriber: counts "event: " markers in the byte stream.
struct subscriber : std::enable_shared_from_this<subscriber> {
  asio::ip::tcp::socket sock;
  std::array<char, 16384> buf{};
  std::string tail;
  std::atomic<uint64_t>* counter;
  std::atomic<int>* ready;
  bool counted_ready = false;
  std::string req;
  subscriber(asio::io_context& ioc, std::atomic<uint64_t>* c, std::atomic<int>* r) : sock(ioc), counter(c), ready(r) {}

  void start(const asio::ip::tcp::endpoint& ep) {
    req = "GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n";
    sock.async_connect(ep, [self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return;
      asio::async_write(self->sock, asio::buffer(self->req),
                        [self](boost::system::error_code ec, size_t) { if (!ec) self->read(); });
    });
  }
  void read() {
    sock.async_read_some(asio::buffer(buf), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
      if (ec) return;
      if (!self->counted_ready) {
        self->counted_ready = true;
        ++*self->ready;
      }
      std::string text = self->tail + std::string(self->buf.data(), n);
      uint64_t found = 0;
      for (size_t p = text.find("event: "); p != std::string::npos; p = text.find("event: ", p + 7)) ++found;
      *self->counter += found;
      self->tail = text.size() > 6 ? text.substr(text.size() - 6) : text;
      self->read();
    });
  }
};

} // namespace

int main(int argc, char** argv) {
  int subs = argc > 1 ? std::atoi(argv[1]) : 1000;
  int jobs = argc > 2 ? std::atoi(argv[2]) : 200;
  bench::raise_fd_limit();
  config::settings s;
  s.log_level = "off";
  s.max_connections = subs + 100;
  s.max_connections_per_client = subs + 100; // every subscriber comes from 127.0.0.1
  s.max_sse_streams = subs + 100;
  s.max_sse_streams_per_client = subs + 100;
  s.sse_max_queued_bytes = 64 << 20;
  if (const char* t = std::getenv("RBEE_HTTP_THREADS")) s.http_threads = std::max(1, std::atoi(t));
  std::printf("server HTTP threads: %d\n", s.http_threads);
  bench::server srv(s);
  asio::io_context ioc;
  asio::ip::tcp::endpoint ep{asio::ip::make_address("127.0.0.1"), srv.port()};
  std::atomic<uint64_t> events{0};
  std::atomic<int> ready{0};
  std::vector<std::shared_ptr<subscriber>> all;
  for (int i = 0; i < subs; ++i) {
    all.push_back(std::make_shared<subscriber>(ioc, &events, &ready));
    all.back()->start(ep);
  }
  std::thread io([&] { ioc.run(); });
  auto wait_start = clk::now();
  while (ready < subs && clk::now() - wait_start < std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  std::printf("subscribers connected: %d of %d\n", ready.load(), subs);
  uint64_t before = events;
  net::url u{"127.0.0.1", std::to_string(srv.port())};
  auto t0 = clk::now();
  for (int i = 0; i < jobs; ++i) net::http_call(u, "POST", "/v1/jobs", R"({"operation":"status"})");
  // Each status job puts 3 events on the global feed (queued, running, completed).
  uint64_t expected = before + uint64_t(3) * jobs * ready;
  while (events < expected && clk::now() - t0 < std::chrono::seconds(60))
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double secs = std::chrono::duration<double>(clk::now() - t0).count();
  uint64_t got = events - before;
  std::printf("jobs submitted: %d; events delivered: %llu of %llu expected in %.3f s\n", jobs,
              static_cast<unsigned long long>(got), static_cast<unsigned long long>(expected - before), secs);
  std::printf("fan-out rate: %.0f events/s delivered (%.0f events/s per subscriber)\n", got / secs,
              got / secs / std::max(1, ready.load()));
  ioc.stop();
  io.join();
  return got == expected - before ? 0 : 1;
}
