// One client floods the server with idle sockets and SSE streams while another
// client's GET /health latency is measured: the per-client caps (checked when a
// connection is accepted, before any header is read) and the separate SSE cap keep
// the second client served. Runs an in-process rbee (queen + local hive + HTTP front)
// with its default limits. The flooder is 127.0.0.1, the other client 127.0.0.2.
// Usage: bench_conn_flood [idle=2000] [streams=2000] [requests=500]
#include "bench/bench_server.hpp"
#include "tests/support/raw_http.hpp"

#include <poll.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace rbee;
using clk = std::chrono::steady_clock;

namespace {

const std::string health = "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

struct latencies {
  std::vector<double> ms;
  int failed = 0;
  double pct(double p) {
    if (ms.empty()) return 0;
    std::sort(ms.begin(), ms.end());
    return ms[std::min(ms.size() - 1, static_cast<size_t>(p * static_cast<double>(ms.size())))];
  }
};

latencies measure(int port, int n, const char* from) {
  latencies l;
  for (int i = 0; i < n; ++i) {
    auto t0 = clk::now();
    auto r = test::raw_http(port, health, std::chrono::seconds(5), from);
    double ms = std::chrono::duration<double, std::milli>(clk::now() - t0).count();
    if (test::raw_status(r) == 200)
      l.ms.push_back(ms);
    else
      ++l.failed;
  }
  return l;
}

/// Sockets of `fds` the server answered at once with 503 (refused), closed and removed.
int count_refused(std::vector<int>& fds) {
  int refused = 0;
  std::vector<int> kept;
  for (int fd : fds) {
    pollfd p{fd, POLLIN, 0};
    char buf[16] = {};
    bool answered = ::poll(&p, 1, 0) > 0 && ::recv(fd, buf, sizeof buf - 1, MSG_PEEK) > 0;
    if (answered && test::raw_status(buf) == 503) {
      ++refused;
      ::close(fd);
    } else {
      kept.push_back(fd);
    }
  }
  fds = kept;
  return refused;
}

} // namespace

int main(int argc, char** argv) {
  int idle = argc > 1 ? std::atoi(argv[1]) : 2000;
  int streams = argc > 2 ? std::atoi(argv[2]) : 2000;
  int requests = argc > 3 ? std::atoi(argv[3]) : 500;
  bench::raise_fd_limit();
  config::settings s;
  s.log_level = "off";
  s.read_timeout_ms = 60'000; // the idle sockets stay for the whole run
  bench::server srv(s);
  int port = srv.port();
  std::printf("limits: %d connections (%d per client), %d SSE streams (%d per client)\n", s.max_connections,
              s.max_connections_per_client, s.max_sse_streams, s.max_sse_streams_per_client);

  auto base = measure(port, requests, "127.0.0.2");
  std::printf("no flood:   GET /health from 127.0.0.2: p50 %.3f ms, p99 %.3f ms (%d failed)\n", base.pct(0.5),
              base.pct(0.99), base.failed);

  // Streams first (each a connection until it becomes a stream), then idle sockets.
  std::vector<int> idle_fds, stream_fds;
  int stream_refused = 0, stream_open = 0;
  for (int i = 0; i < streams; ++i) {
    int fd = test::raw_connect(port, "127.0.0.1");
    if (fd < 0) continue;
    auto head = test::raw_exchange(fd, "GET /v1/events HTTP/1.1\r\nHost: localhost\r\n\r\n", std::chrono::seconds(2),
                                   "\r\n\r\n");
    if (test::raw_status(head) == 200) {
      ++stream_open;
      stream_fds.push_back(fd);
    } else {
      ++stream_refused;
      ::close(fd);
    }
  }
  for (int i = 0; i < idle; ++i)
    if (int fd = test::raw_connect(port, "127.0.0.1"); fd >= 0) idle_fds.push_back(fd);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int idle_refused = count_refused(idle_fds);
  std::printf("flood from 127.0.0.1: idle sockets %zu held, %d refused (503 before any header); SSE streams %d held, %d "
              "refused\n",
              idle_fds.size(), idle_refused, stream_open, stream_refused);
  auto other = measure(port, requests, "127.0.0.2");
  std::printf("under flood: GET /health from 127.0.0.2: p50 %.3f ms, p99 %.3f ms (%d failed)\n", other.pct(0.5),
              other.pct(0.99), other.failed);
  auto same = measure(port, std::min(requests, 50), "127.0.0.1");
  std::printf("under flood: GET /health from the flooder's own address: %zu served, %d refused\n", same.ms.size(),
              same.failed);
  for (int fd : idle_fds) ::close(fd);
  for (int fd : stream_fds) ::close(fd);
  return other.failed == 0 ? 0 : 1;
}
