#pragma once
// How rbee's processes configure their actor system: message types, thread
// budget, and (for the cluster modes) the network layer with heartbeats.

#include "config/settings.hpp"

namespace caf {
class actor_system_config;
}

namespace rbee {

/// Registers rbee's types and applies the thread budget; with `network`, loads
/// CAF's middleman with the cluster heartbeat and connection timeout.
void configure_actor_system(caf::actor_system_config& cfg, const config::settings& s, bool network);

} // namespace rbee
