#include "actors/node/runtime.hpp"

#include "messages/types.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

namespace rbee {

void configure_actor_system(caf::actor_system_config& cfg, const config::settings& s, bool network) {
  add_message_types(cfg);
  cfg.set("scheduler.max-threads", s.actor_threads);
  // Threads that wait instead of spinning for work: on a machine the engine keeps
  // busy, polling scheduler threads would take cores from the forward pass.
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("logger.console", caf::atom("none"));
  if (network) {
    cfg.load<caf::io::middleman>();
    cfg.set("middleman.heartbeat-interval",
            caf::timespan{std::chrono::milliseconds(s.cluster_heartbeat_ms)});
    cfg.set("middleman.connection-timeout",
            caf::timespan{std::chrono::milliseconds(s.cluster_timeout_ms)});
  }
}

} // namespace rbee
