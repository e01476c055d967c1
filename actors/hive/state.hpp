#pragma once
// The hive actor's state, shared by its translation units (hive.cpp: joining
// and dispatch; workers.cpp: the workers). Private to actors/hive/.

#include "actors/hive/hive.hpp"
#include "actors/hive/model_store.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <unordered_map>

namespace rbee {

struct hive_worker {
  worker_actor handle;   ///< null while its process starts
  worker_info info;
  int active = 0;
  int pid = 0;           ///< its child process (0: in the hive's process)
  std::string program;   ///< an installed worker's binary ("": this rbee's engine)
  std::string secret;    ///< what its process must present to join (worker_up)
  /// Requests waiting for the process to join: run when it does, failed if it dies first.
  struct waiter {
    std::function<void()> go;
    std::function<void(const caf::error&)> fail;
  };
  std::vector<waiter> on_ready;
  /// Running requests, failed at once if the worker dies (requests to a dead
  /// remote actor would otherwise wait for their timeout).
  std::unordered_map<std::string, caf::typed_response_promise<job_result>> inflight;
};

struct hive_actor_state {
  hive_options opts;
  capabilities caps;
  caf::actor queen;      ///< the queen (in-process) or its cluster gate: monitored
  caf::actor heartbeats; ///< the queen (in-process) or the link the gate gave
  uint64_t epoch = 0;
  int heartbeat_ms = 1000;
  bool ticking = false;
  std::unique_ptr<model_store> store;
  std::map<std::string, hive_worker> workers;          ///< by worker id
  std::unordered_map<std::string, std::string> job_worker; ///< running infer job -> worker id
  uint64_t next_worker = 1;
  std::map<std::string, int> crashes;            ///< model path -> worker crashes
  std::map<std::string, std::string> last_crash; ///< model path -> how the last one died
  uint16_t worker_port = 0;                       ///< where child workers join: open only while one starts
  worker_gate_actor worker_gate;                  ///< what that port publishes
  std::map<int, std::string> children;            ///< child process pid -> worker id
  /// Running downloads by model name: the jobs waiting for it (each sees its
  /// narration, relayed by the hive to each job's own bridge), and its cancel flag.
  struct download {
    std::vector<std::pair<job_ctx, caf::typed_response_promise<job_result>>> jobs;
    std::shared_ptr<std::atomic<bool>> cancel;
  };
  std::map<std::string, download> downloads;
  /// Running installs by worker id: the job and its cancel flag.
  struct install {
    std::string job_id;
    std::shared_ptr<std::atomic<bool>> cancel;
    /// Later jobs for the same worker: they join this install and get its answer.
    std::vector<caf::typed_response_promise<job_result>> joined;
  };
  std::map<std::string, install> installs;
  /// Running LAN copies by job id: their cancel flags.
  std::map<std::string, std::shared_ptr<std::atomic<bool>>> copies;
  /// Cancel flags of every long job (installs, downloads), set when the hive
  /// stops so that a shutdown never waits for a build or a transfer.
  std::shared_ptr<std::vector<std::weak_ptr<std::atomic<bool>>>> stop_flags =
    std::make_shared<std::vector<std::weak_ptr<std::atomic<bool>>>>();
  static inline const char* name = "hive";
};

using hive_ptr = hive_actor::stateful_pointer<hive_actor_state>;

/// Narrates on the job's stream.
void hive_say(hive_ptr self, const job_ctx& ctx, std::string action, std::string human);

// -- workers (workers.cpp) --
caf::result<job_result> hive_infer(hive_ptr self, const job_ctx& ctx, infer_op op);
caf::result<job_result> hive_worker_spawn(hive_ptr self, const job_ctx& ctx, const worker_spawn_op& op);
caf::result<job_result> hive_worker_stop(hive_ptr self, const job_ctx& ctx, const worker_stop_op& op);
std::vector<worker_info> hive_worker_list(hive_ptr self);
void hive_cancel(hive_ptr self, const std::string& job_id);
/// Unloads workers idle past their keep-alive.
void hive_reap_idle(hive_ptr self);
/// Closes the worker port when no worker process is waiting to join (plain BASP on
/// loopback: open no longer than needed).
void hive_close_worker_port(hive_ptr self);
/// A child worker process joined.
void hive_worker_up(hive_ptr self, const std::string& id, const std::string& secret, worker_actor handle);
/// A worker actor went down (down_msg); true when it was one of ours.
bool hive_worker_down(hive_ptr self, const caf::actor_addr& who, const caf::error& reason);

// -- the model store (models.cpp) --
caf::result<job_result> hive_download(hive_ptr self, const job_ctx& ctx, const model_download_op& op);
caf::result<job_result> hive_model_delete(hive_ptr self, const job_ctx& ctx, const model_delete_op& op);
/// Hands a download's narration to every job that follows it.
void hive_relay_download(hive_ptr self, const std::string& model, narration n);
/// Cancels a download job (true when it was one).
bool hive_cancel_download(hive_ptr self, const std::string& job_id);

// -- LAN copy (copy.cpp) --
/// Offers the file `model` resolves to: its place, size, SHA-256, and a source actor for its bytes.
caf::result<model_offer, model_source_actor> hive_offer(hive_ptr self, const std::string& model);
/// Copies an offered model into this hive's store, verified, narrated on ctx.
caf::result<job_result> hive_copy(hive_ptr self, const job_ctx& ctx, const model_offer& offer, model_source_actor src);
/// Cancels a copy job (true when it was one): its transfer stops, the partial stays for a resume.
bool hive_cancel_copy(hive_ptr self, const std::string& job_id);

// -- installed workers (installs.cpp) --
caf::result<job_result> hive_install(hive_ptr self, const job_ctx& ctx, const worker_install_op& op);
caf::result<job_result> hive_catalog_list(hive_ptr self);
caf::result<job_result> hive_catalog_get(hive_ptr self, const worker_catalog_get_op& op);
caf::result<job_result> hive_installed_list(hive_ptr self);
caf::result<job_result> hive_worker_remove(hive_ptr self, const job_ctx& ctx, const worker_remove_op& op);
/// Cancels an install job (true when it was one): kills its build.
bool hive_cancel_install(hive_ptr self, const std::string& job_id);
/// The worker auto_run should use on this hive (worker_choice.hpp), worked out off the
/// hive's thread (it reads the catalog over HTTP).
caf::result<worker_choice> hive_choose(hive_ptr self, const std::string& requested);

// -- child processes (processes.cpp) --
/// Starts `rbee worker` for `o` joining this hive; returns the pid or an error.
/// `program`: an installed worker binary (rbee-worker flags), or "" for this
/// rbee (`rbee worker ...`, or the worker_binary setting).
/// `program_fd`: that binary open and verified (worker_store::open_verified); it is
/// executed through the descriptor, never by path. Workers get a minimal environment
/// (no HF_TOKEN, no RBEE_API_TOKEN): see worker_environment, plus RBEE_WORKER_SECRET,
/// `secret`, which the process presents when it joins the hive's worker gate.
caf::expected<int> hive_start_process(hive_ptr self, const struct worker_options& o, const std::string& secret,
                                      const std::string& program, int program_fd = -1);

/// The environment of a worker process: the variables a worker reads (PATH, HOME,
/// locale, TMPDIR, the CUDA and loader variables, RBEE_ tuning knobs) from `env`,
/// and nothing else; no secret (tokens, keys) whatever its name.
std::vector<std::string> worker_environment(char** env);
/// Collects child processes that exited; fails what they were running.
void hive_reap_processes(hive_ptr self);
/// How a child process of `id` ended, waiting up to `wait_ms` for it; "" if it has not.
std::string hive_child_exit(hive_ptr self, const std::string& id, int wait_ms);
/// Records how a worker of `path` died and fails its requests; counts the crash.
void hive_worker_died(hive_ptr self, const std::string& id, const std::string& how);

} // namespace rbee
