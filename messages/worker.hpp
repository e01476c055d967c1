#pragma once
// Workers: generated tokens, generation results, and what a worker reports.

#include "messages/operations.hpp" // all_finite

#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rbee {

/// One generated token of a job, streamed through the sse bridge.
struct token_msg {
  std::string job_id;
  uint32_t index = 0;     ///< 0 for the first generated token
  std::string text;       ///< the text that became final with this token (may be empty)
  int32_t token_id = -1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, token_msg& x) {
  return f(caf::meta::type_name("rbee_token_msg"), x.job_id, x.index, x.text, x.token_id);
}

/// The end of a generation.
struct infer_result {
  std::string model;
  std::string text;
  int32_t prompt_tokens = 0;
  int32_t cached_tokens = 0;     ///< of the prompt, reused from the worker's prompt cache
  int32_t completion_tokens = 0;
  std::string finish_reason; ///< length, stop, eog, context, cancelled
  double prefill_ms = 0;
  double decode_ms = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, infer_result& x) {
  return f(caf::meta::type_name("rbee_infer_result"), x.model, x.text, x.prompt_tokens, x.cached_tokens, x.completion_tokens,
           x.finish_reason, x.prefill_ms, x.decode_ms,
           caf::meta::load_callback([&x] { return all_finite({x.prefill_ms, x.decode_ms}); }));
}

/// Where a worker is in its life.
enum class worker_state : uint8_t { starting, loading, ready, failed };

/// "starting", "loading", "ready", "failed".
std::string_view to_string(worker_state x);

/// A loaded model (GET /v1/workers, `rbee ps`).
struct worker_info {
  std::string worker_id;
  std::string model;      ///< the name it was asked for
  std::string model_path;
  std::string hive_id;
  std::string device;     ///< cpu, cuda:0
  worker_state state = worker_state::starting;
  int32_t slots = 0;
  int32_t busy = 0;
  uint64_t memory_bytes = 0;
  int64_t loaded_ms = 0;
  int64_t last_used_ms = 0;
  int32_t keep_alive_s = 300;
  int32_t pid = 0;        ///< the worker's own process (0: inside the hive's)
  double tokens_per_s = 0; ///< generated tokens per second over the last second of work (all streams)
  std::string error;       ///< why loading failed (state "failed")
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_info& x) {
  return f(caf::meta::type_name("rbee_worker_info"), x.worker_id, x.model, x.model_path, x.hive_id, x.device,
           x.state, x.slots, x.busy, x.memory_bytes, x.loaded_ms, x.last_used_ms, x.keep_alive_s, x.pid,
           x.tokens_per_s, x.error, caf::meta::load_callback([&x]() -> caf::error {
             if (static_cast<uint8_t>(x.state) > static_cast<uint8_t>(worker_state::failed))
               return caf::make_error(caf::sec::invalid_argument, "a worker state out of range");
             return all_finite({x.tokens_per_s});
           }));
}

/// A model file in a hive's store (GET /v1/models).
struct model_entry {
  std::string name;  ///< org/repo:file.gguf
  std::string path;
  uint64_t size = 0;
  int64_t modified_ms = 0;
  // From the GGUF header (empty/0 when it cannot be read):
  std::string arch;
  uint64_t parameters = 0;
  std::string quantization;
  int64_t context_length = 0;
  std::string error;  ///< why the header could not be read
  std::string hive_id; ///< whose store it is in (set by the hive that lists it)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, model_entry& x) {
  return f(caf::meta::type_name("rbee_model_entry"), x.name, x.path, x.size, x.modified_ms, x.arch, x.parameters,
           x.quantization, x.context_length, x.error, x.hive_id);
}

/// The worker a hive picks for auto_run: the best its platform can run
/// (CUDA > Metal > CPU) or the one asked for.
struct worker_choice {
  std::string worker_id; ///< a catalog id; "" for the CPU engine built into the hive's rbee
  std::string backend;   ///< cpu, cuda, metal
  std::string version;   ///< the installed version ("" when not installed)
  bool installed = false;
  std::string why;       ///< one line for people: why this one
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_choice& x) {
  return f(caf::meta::type_name("rbee_worker_choice"), x.worker_id, x.backend, x.version, x.installed, x.why);
}

} // namespace rbee
