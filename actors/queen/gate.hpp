#pragma once
// The queen's cluster gate: what the cluster port publishes instead of the
// queen. A hive joins with its id and the join secret the queen issued (checked
// against <state_dir>/cluster/hives.json); the gate registers it with the queen
// and hands it a link that takes heartbeats as that hive's only. Nothing else
// of the queen (submit, cancel, job streams) is reachable from the network.

#include "messages/interfaces.hpp"

#include <string>

namespace rbee {

struct gate_options {
  queen_actor queen;
  std::string state_dir; ///< where cluster/hives.json lives
};

cluster_gate_actor spawn_gate(caf::actor_system& sys, gate_options opts);

/// A bridge for one job run on a remote hive: narration and tokens pass with
/// the job id forced to `job_id`; job states, hive states, subscriptions and
/// statistics are refused. A hive can then speak only of its own jobs.
bridge_actor spawn_job_relay(caf::actor_system& sys, bridge_actor bridge, std::string job_id);

} // namespace rbee
