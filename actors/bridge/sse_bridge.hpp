#pragma once
// The sse bridge actor: receives narration, job state changes and hive changes,
// keeps each job's ordered event log (bounded replay), and fans events out to the
// SSE sessions subscribed to a job and to the global feed (GET /v1/events).

#include "messages/interfaces.hpp"

namespace rbee {

struct bridge_options {
  size_t replay_events = 4096;   ///< per job
  size_t global_events = 16384;  ///< global feed
  size_t max_finished_jobs = 1000;
};

bridge_actor spawn_bridge(caf::actor_system& sys, bridge_options opts);

} // namespace rbee
