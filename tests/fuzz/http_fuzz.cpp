// libFuzzer target: the HTTP front as it runs — a real http_server on loopback in
// front of a real queen and sse bridge (no hive), fed each input as the bytes of one
// connection (request line, headers, chunked bodies, pipelined requests), then
// half-closed. The server must answer or close, and keep serving: every 64 inputs
// GET /health must still answer 200. Built and run by run_target.sh.
#include "actors/queen/queen.hpp"
#include "actors/bridge/sse_bridge.hpp"
#include "messages/types.hpp"
#include "net/server.hpp"
#include "tests/support/raw_http.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include <sys/socket.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <string>

namespace {

struct front {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<rbee::net::http_server> srv;
  int port = 0;
  front() {
    rbee::add_message_types(cfg);
    cfg.set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(cfg);
    rbee::config::settings s;
    s.max_body_bytes = 64 * 1024;
    s.max_header_bytes = 8 * 1024;
    s.read_timeout_ms = 500;
    s.request_timeout_ms = 2000;
    s.sse_keepalive_ms = 200;
    auto bridge = rbee::spawn_bridge(*sys, rbee::bridge_options{});
    auto queen = rbee::spawn_queen(*sys, rbee::queen_options{"fuzz", bridge});
    srv = std::make_unique<rbee::net::http_server>(s, rbee::net::backend{sys.get(), queen, bridge, "fuzz", {}});
    port = srv->start("127.0.0.1", 0);
  }
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static auto& f = *new front; // never destroyed: CAF's globals may be gone at exit
  static int runs = 0;
  // Under a loaded machine (the whole suite beside it) a connect can fail for
  // lack of ephemeral ports for a moment: retried; a server that stopped
  // listening still aborts, saying why.
  int fd = -1;
  for (int tries = 0; fd < 0 && tries < 100; ++tries) {
    fd = rbee::test::raw_connect(f.port);
    if (fd < 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (fd < 0) {
    std::fprintf(stderr, "cannot connect to the server: %s\n", std::strerror(errno));
    std::abort();
  }
  std::string bytes(reinterpret_cast<const char*>(data), size);
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  ::shutdown(fd, SHUT_WR); // the end of this client's bytes: the server answers and closes
  (void)rbee::test::raw_exchange(fd, "", std::chrono::milliseconds(2000));
  ::close(fd);
  if (++runs % 64 == 0) {
    auto health = rbee::test::raw_http(f.port, "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    if (rbee::test::raw_status(health) != 200) std::abort(); // the server must still serve
  }
  return 0;
}
