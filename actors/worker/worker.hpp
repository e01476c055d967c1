#pragma once
// The worker actor: one loaded model serving generate requests with continuous
// batching (batcher.hpp). Runs detached: a forward step blocks only its
// own thread, and cancels or newcomers are handled between steps.

#include "messages/interfaces.hpp"

#include <string>

namespace rbee {

struct worker_options {
  std::string worker_id;
  std::string model;      ///< the name it was asked for
  std::string model_path;
  std::string hive_id;
  int slots = 4;
  int n_ctx = 0;
  int prompt_cache_mib = 512; ///< KV caches kept beyond the slots
  int keep_alive_s = 300;
  std::string device = "cpu"; ///< cpu, cuda:N — a missing GPU fails the load, never falls back
};

worker_actor spawn_worker(caf::actor_system& sys, worker_options opts);

} // namespace rbee
