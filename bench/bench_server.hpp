#pragma once
// An in-process rbee queen (queen + local hive + sse bridge + HTTP front) on a
// loopback port, for the end-to-end benchmarks.

#include "actors/hive.hpp"
#include "actors/queen.hpp"
#include "actors/runtime.hpp"
#include "actors/sse_bridge.hpp"
#include "net/server.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>

#include <memory>
#include <thread>

namespace rbee::bench {

class server {
public:
  explicit server(config::settings s) : settings_(init(cfg_, s)), sys_(cfg_) {
    bridge_ = spawn_bridge(sys_, bridge_options{s.sse_replay_events, 4 * s.sse_replay_events, s.max_finished_jobs});
    queen_ = spawn_queen(sys_, queen_options{"bench", bridge_, s.max_finished_jobs, 1000, 5000, 30'000});
    hive_ = spawn_hive(sys_, hive_options{"localhost", "bench", {}});
    caf::anon_send(hive_, connect_atom::value, caf::actor_cast<caf::actor>(queen_));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    http_ = std::make_unique<net::http_server>(s, net::backend{&sys_, queen_, bridge_, "bench"});
    port_ = http_->start("127.0.0.1", 0);
  }
  ~server() {
    http_->stop();
    for (auto a : {caf::actor_cast<caf::actor>(hive_), caf::actor_cast<caf::actor>(queen_),
                   caf::actor_cast<caf::actor>(bridge_)})
      caf::anon_send_exit(a, caf::exit_reason::kill);
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
  bridge_actor bridge_;
  queen_actor queen_;
  hive_actor hive_;
  std::unique_ptr<net::http_server> http_;
  uint16_t port_ = 0;
};

} // namespace rbee::bench
