#pragma once
// The queen actor's state and the helpers its translation units share
// (queen.cpp: jobs, hives, routing; schedule.cpp: picking a hive).
// Private to actors/.

#include "actors/queen/hive_registry.hpp"
#include "actors/queen/job_table.hpp"
#include "actors/queen/queen.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

namespace rbee {

struct queen_state {
  queen_options opts;
  job_table jobs;
  hive_registry hives;
  std::unordered_map<std::string, std::string> routed; ///< job id -> hive id
  std::unordered_map<std::string, bridge_actor> relays; ///< job id -> its relay (jobs on remote hives)
  std::unordered_map<std::string, std::shared_ptr<std::atomic<bool>>> remote_jobs; ///< hive_remote job -> cancel flag
  int64_t started_ms = 0;
  static inline const char* name = "queen";
};

using queen_ptr = queen_actor::stateful_pointer<queen_state>;

/// Where an infer request for a model can run (one entry per online hive).
/// A loaded worker of a hive with no request running: what eviction can stop.
struct idle_worker {
  std::string worker_id;
  std::string model;
  uint64_t memory_bytes = 0;
  int64_t last_used_ms = 0;
};

struct hive_candidate {
  std::string hive_id;
  bool has_worker = false;    ///< a worker of this hive has the model loaded
  bool has_model = false;     ///< its store resolves the name
  uint64_t model_bytes = 0;
  uint64_t ram_available = 0;
  uint64_t read_bandwidth = 0; ///< bytes/s the hive measured (0: not yet)
  std::vector<idle_worker> idle; ///< its idle workers (of other models)
  bool fits() const { return ram_available >= model_bytes + model_bytes / 5; }
};

/// The idle workers of `h` to stop, least recently used first, until the model
/// fits (1.2x its size): empty when it fits already or even stopping all would not do.
std::vector<idle_worker> eviction_for(const hive_candidate& h);

/// Decode tokens/s `h` should reach on a model of `bytes` (its weights are read
/// once per token; rbee's CPU decode reaches about 90% of the measured read
/// bandwidth, `rbee bench` says how much exactly): 0 when unknown.
double predicted_tokens_per_s(uint64_t read_bandwidth, uint64_t bytes);

/// The hive to run on: one with the model loaded, else the one with the most
/// free memory among those that have the model and room for it (1.2x its size),
/// else one that has the model and room once its least recently used idle
/// workers stop (the one whose evicted workers were used longest ago; the caller
/// stops eviction_for(it)), else, with `may_fetch` and no hive having the
/// model, the one with the most free memory. nullopt with `why` set when none fits.
std::optional<std::string> pick_hive(const std::vector<hive_candidate>& c, std::string& why, bool may_fetch = false);

/// Why `h` was chosen, for the job's narration ("placed on beta: …").
std::string placement_reason(const hive_candidate& h, const std::string& model);

/// Asks every online hive whether `model` is loaded there and in its store;
/// `done` gets the answers (empty: no hive online).
/// Stops `evict` on `hive_id` as part of job `job_id` (narrated), then `next`.
void evict_then(queen_ptr self, const std::string& job_id, const std::string& hive_id, std::vector<idle_worker> evict,
                std::function<void()> next);
void survey_hives(queen_ptr self, const std::string& model, std::function<void(std::vector<hive_candidate>)> done);

void publish(queen_ptr self, const std::string& job_id);
void say(queen_ptr self, const std::string& job_id, std::string action, std::string target, std::string human,
         level lvl = level::info);
void complete(queen_ptr self, const std::string& id, job_value result);
void fail(queen_ptr self, const std::string& id, errc code, std::string message);
/// What a hive gets to narrate a job: the bridge itself for a hive in this
/// process, a relay bound to the job for a remote one (gate.hpp).
job_ctx job_context(queen_ptr self, const std::string& job_id, const hive_actor& hive);
/// Gets a model onto hive `hive_id` for job `job_id`: copied from another hive
/// that has it (LAN copy), else downloaded by the hive (copy.cpp).
void bring_model(queen_ptr self, const std::string& job_id, const std::string& hive_id, model_download_op op,
                 std::function<void(caf::expected<job_result>)> done);
void route(queen_ptr self, const std::string& job_id, const std::string& hive_id, operation op);
/// The hive of an operation that names none: the embedded hive (`rbee serve`),
/// else the only one online; "" where the queen places it (infer, auto_run, and
/// model_download with several online); an error for the others with several
/// online (name one) or none.
caf::expected<std::string> default_hive(queen_ptr self, const operation& op);
/// Places a model_download that names no hive (pick_hive, fetching allowed), narrated; then `go`.
void place_download(queen_ptr self, const std::string& job_id, model_download_op op,
                    std::function<void(const std::string&, model_download_op)> go);
/// Picks a hive for an infer job without one, then routes it (schedule.cpp).
void schedule_infer(queen_ptr self, const std::string& job_id, infer_op op);
/// Runs an auto_run job: hive, model, worker, install, spawn (auto_run.cpp).
void start_auto_run(queen_ptr self, const std::string& job_id, auto_run_op op);

} // namespace rbee
