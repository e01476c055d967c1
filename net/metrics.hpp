#pragma once
// GET /metrics: the Prometheus text format (version 0.0.4) of what the queen and
// the sse bridge know — jobs by operation and state, the queue, tokens generated,
// per-worker rate, memory and slots, download bytes, SSE subscribers and HTTP
// connections, hive liveness. Behind the API token when one is set.

#include "messages/interfaces.hpp"

#include <memory>
#include <string>
#include <vector>

namespace rbee::net {

struct metrics_input {
  std::vector<job_info> jobs;
  std::vector<hive_info> hives;
  std::vector<worker_info> workers;
  bridge_stats bridge;
  int connections = 0; ///< open HTTP connections (SSE streams apart)
  int streams = 0;     ///< open SSE streams
  int64_t now_ms = 0;
};

/// The exposition text; label values escaped as the format says.
std::string prometheus_text(const metrics_input& in);

class session;
/// Gathers metrics_input from the queen and the bridge and answers the request.
void metrics_route(const std::shared_ptr<session>& s);

} // namespace rbee::net
