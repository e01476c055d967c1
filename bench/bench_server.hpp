#pragma once
// An in-process rbee queen (queen + local hive + sse bridge + HTTP front) on a
// loopback port, for the end-to-end benchmarks.

#include "actors/node/embedded.hpp"
#include "actors/node/runtime.hpp"
#include "net/server.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include <sys/resource.h>

#include <memory>
#include <thread>

namespace rbee::bench {

/// As many open files as the hard limit allows (thousands of sockets).
inline void raise_fd_limit() {
  rlimit r{};
  getrlimit(RLIMIT_NOFILE, &r);
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
}

class server {
public:
  explicit server(config::settings s) : settings_(init(cfg_, s)), sys_(cfg_) {
    node_ = spawn_embedded(sys_, s, "bench", local_hive_id);
    http_ = std::make_unique<net::http_server>(s, net::backend{&sys_, node_.queen, node_.bridge, "bench", {}});
    port_ = http_->start("127.0.0.1", 0);
  }
  ~server() {
    http_->stop();
    node_.shutdown();
  }
  uint16_t port() const { return port_; }

private:
  static config::settings init(caf::actor_system_config& cfg, const config::settings& s) {
    configure_actor_system(cfg, s, false);
    return s;
  }
  caf::actor_system_config cfg_;
  config::settings settings_;
  caf::actor_system sys_;
  node node_;
  std::unique_ptr<net::http_server> http_;
  uint16_t port_ = 0;
};

} // namespace rbee::bench
