#pragma once
// The queen: the job table, the hive registry, and the routing of operations.

#include "messages/interfaces.hpp"

#include <string>

namespace rbee {

struct queen_options {
  std::string version;
  bridge_actor bridge;
  size_t max_finished_jobs = 1000;
  int hive_heartbeat_ms = 1000;
  int hive_lease_ms = 5000;
  int hive_request_timeout_ms = 30'000;
};

queen_actor spawn_queen(caf::actor_system& sys, queen_options opts);

} // namespace rbee
