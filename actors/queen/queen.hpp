#pragma once
// The queen: the job table, the hive registry, and the routing of operations.

#include "actors/queen/remote.hpp"
#include "messages/interfaces.hpp"

#include <memory>

#include <string>

namespace rbee {

struct queen_options {
  std::string version;
  bridge_actor bridge;
  size_t max_finished_jobs = 1000;
  int hive_heartbeat_ms = 1000;
  int hive_lease_ms = 5000;
  int hive_request_timeout_ms = 30'000;
  remote_options remote; ///< hives over ssh (hive_remote jobs)
  /// Where hives reach the cluster port, known once it is published (rbee queen).
  std::shared_ptr<const std::string> cluster_address;
};

queen_actor spawn_queen(caf::actor_system& sys, queen_options opts);

} // namespace rbee
