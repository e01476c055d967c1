#pragma once
// Registers every message type and the rbee error category with an actor system
// configuration. Every process calls this with the same names.

namespace caf {
class actor_system_config;
}

namespace rbee {

void add_message_types(caf::actor_system_config& cfg);

} // namespace rbee
