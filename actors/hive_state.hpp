#pragma once
// The hive actor's state, shared by its translation units (hive.cpp: joining
// and dispatch; hive_workers.cpp: the workers). Private to actors/.

#include "actors/hive.hpp"
#include "actors/model_store.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <map>
#include <unordered_map>

namespace rbee {

struct hive_worker {
  worker_actor handle;
  worker_info info;
  int active = 0;
};

struct hive_actor_state {
  hive_options opts;
  capabilities caps;
  queen_actor queen;
  uint64_t epoch = 0;
  int heartbeat_ms = 1000;
  bool ticking = false;
  std::unique_ptr<model_store> store;
  std::map<std::string, hive_worker> workers;          ///< by worker id
  std::unordered_map<std::string, std::string> job_worker; ///< running infer job -> worker id
  uint64_t next_worker = 1;
  static inline const char* name = "hive";
};

using hive_ptr = hive_actor::stateful_pointer<hive_actor_state>;

/// Narrates on the job's stream.
void hive_say(hive_ptr self, const job_ctx& ctx, std::string action, std::string human);

// -- workers (hive_workers.cpp) --
caf::result<job_result> hive_infer(hive_ptr self, const job_ctx& ctx, infer_op op);
caf::result<job_result> hive_worker_spawn(hive_ptr self, const job_ctx& ctx, const worker_spawn_op& op);
caf::result<job_result> hive_worker_stop(hive_ptr self, const job_ctx& ctx, const worker_stop_op& op);
std::vector<worker_info> hive_worker_list(hive_ptr self);
void hive_cancel(hive_ptr self, const std::string& job_id);
/// Unloads workers idle past their keep-alive.
void hive_reap_idle(hive_ptr self);

} // namespace rbee
