#pragma once
// The operations a client submits as jobs (POST /v1/jobs). In JSON each is an
// object with a snake_case "operation" tag and its fields flattened beside it.

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <caf/variant.hpp>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <string>
#include <vector>

namespace rbee {

/// The hive that embedded mode runs in the queen's process.
inline constexpr const char* local_hive_id = "localhost";

#define RBEE_INSPECT(type, ...)                                                     \
  template <class Inspector>                                                        \
  typename Inspector::result_type inspect(Inspector& f, type& x) {                  \
    return f(caf::meta::type_name("rbee_" #type) __VA_OPT__(, ) __VA_ARGS__);       \
  }

struct status_op {
  static constexpr std::string_view name = "status";
};
RBEE_INSPECT(status_op)

struct hive_list_op {
  static constexpr std::string_view name = "hive_list";
};
RBEE_INSPECT(hive_list_op)

struct hive_get_op {
  static constexpr std::string_view name = "hive_get";
  std::string hive_id;
};
RBEE_INSPECT(hive_get_op, x.hive_id)

struct chat_message { std::string role; std::string content; };
RBEE_INSPECT(chat_message, x.role, x.content)

struct infer_op {
  static constexpr std::string_view name = "infer";
  std::string hive_id;
  std::string model;
  std::string prompt;
  std::vector<chat_message> messages;
  int32_t max_tokens = 256;
  float temperature = 0.8f;
  float top_p = 0.95f;
  int32_t top_k = 40;
  float min_p = 0.05f;
  float repetition_penalty = 1.0f;
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  uint64_t seed = 0;
  bool has_seed = false;
  std::vector<std::string> stop;
  int32_t keep_alive_s = -1; ///< seconds the worker stays loaded when idle (-1: the default, 0: unload now)
};
/// Floating-point fields read from a peer must be finite: CAF 0.17 hangs for ever
/// writing an infinite or NaN float (caf::detail::pack754 never ends), so one such
/// value from the wire would stall the middleman the next time it is forwarded.
/// Found by the caf_messages fuzzer (tests/fuzz/seeds/caf_messages/hang-infinite-float).
inline caf::error all_finite(std::initializer_list<double> xs) {
  for (double v : xs)
    if (!std::isfinite(v)) return caf::make_error(caf::sec::invalid_argument, "a floating-point field is not finite");
  return caf::none;
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, infer_op& x) {
  return f(caf::meta::type_name("rbee_infer_op"), x.hive_id, x.model, x.prompt, x.messages, x.max_tokens, x.temperature,
           x.top_p, x.top_k, x.min_p, x.repetition_penalty, x.frequency_penalty, x.presence_penalty, x.seed,
           x.has_seed, x.stop, x.keep_alive_s, caf::meta::load_callback([&x] {
             return all_finite({x.temperature, x.top_p, x.min_p, x.repetition_penalty, x.frequency_penalty,
                                x.presence_penalty});
           }));
}

struct model_download_op {
  static constexpr std::string_view name = "model_download";
  std::string hive_id;
  std::string model;
};
RBEE_INSPECT(model_download_op, x.hive_id, x.model)
struct model_list_op {
  static constexpr std::string_view name = "model_list";
  std::string hive_id;
};
RBEE_INSPECT(model_list_op, x.hive_id)
struct model_get_op {
  static constexpr std::string_view name = "model_get";
  std::string hive_id;
  std::string model;
};
RBEE_INSPECT(model_get_op, x.hive_id, x.model)
struct model_delete_op {
  static constexpr std::string_view name = "model_delete";
  std::string hive_id;
  std::string model;
};
RBEE_INSPECT(model_delete_op, x.hive_id, x.model)

struct worker_catalog_list_op {
  static constexpr std::string_view name = "worker_catalog_list";
  std::string hive_id;
};
RBEE_INSPECT(worker_catalog_list_op, x.hive_id)
struct worker_catalog_get_op {
  static constexpr std::string_view name = "worker_catalog_get";
  std::string hive_id;
  std::string worker_id;
};
RBEE_INSPECT(worker_catalog_get_op, x.hive_id, x.worker_id)
/// without_gpu: build and install a CUDA worker on a hive with no GPU to run it (a build host).
struct worker_install_op {
  static constexpr std::string_view name = "worker_install";
  std::string hive_id;
  std::string worker_id;
  bool without_gpu = false;
};
RBEE_INSPECT(worker_install_op, x.hive_id, x.worker_id, x.without_gpu)
struct worker_remove_op {
  static constexpr std::string_view name = "worker_remove";
  std::string hive_id;
  std::string worker_id;
};
RBEE_INSPECT(worker_remove_op, x.hive_id, x.worker_id)
struct worker_list_installed_op {
  static constexpr std::string_view name = "worker_list_installed";
  std::string hive_id;
};
RBEE_INSPECT(worker_list_installed_op, x.hive_id)

struct worker_spawn_op {
  static constexpr std::string_view name = "worker_spawn";
  std::string hive_id;
  std::string model;
  std::string worker; ///< cpu | cuda
  std::string device; ///< e.g. cuda:0
};
RBEE_INSPECT(worker_spawn_op, x.hive_id, x.model, x.worker, x.device)
struct worker_stop_op {
  static constexpr std::string_view name = "worker_stop";
  std::string hive_id;
  std::string worker_id;
};
RBEE_INSPECT(worker_stop_op, x.hive_id, x.worker_id)
struct worker_list_op {
  static constexpr std::string_view name = "worker_list";
  std::string hive_id;
};
RBEE_INSPECT(worker_list_op, x.hive_id)

struct auto_run_op {
  static constexpr std::string_view name = "auto_run";
  std::string hive_id;
  std::string model;
  std::string worker;
};
RBEE_INSPECT(auto_run_op, x.hive_id, x.model, x.worker)

#undef RBEE_INSPECT

using operation =
  caf::variant<status_op, hive_list_op, hive_get_op, infer_op, model_download_op, model_list_op,
               model_get_op, model_delete_op, worker_catalog_list_op, worker_catalog_get_op,
               worker_install_op, worker_remove_op, worker_list_installed_op, worker_spawn_op,
               worker_stop_op, worker_list_op, auto_run_op>;

/// Reading a caf::variant from the wire. CAF 0.17's own inspect for a variant raises
/// std::runtime_error("invalid type found") on a type tag out of range: thrown on the
/// middleman's thread, it ended the whole process (a queen, from one message of a
/// hive or a worker process). Overloads for our variants (operation here, job_value
/// in results.hpp), more specialized than CAF's and found by ADL, answer such a tag
/// with an error instead through this, and leave the rest to CAF.
template <class Inspector, class... Ts>
typename Inspector::result_type checked_variant(Inspector& f, caf::variant_writer<caf::variant<Ts...>>& x) {
  if (x.type_tag >= sizeof...(Ts))
    return caf::make_error(caf::sec::invalid_argument, "a variant with type tag " + std::to_string(x.type_tag) +
                                                         " (there are " + std::to_string(sizeof...(Ts)) + ")");
  return caf::inspect(f, x);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, caf::variant_writer<operation>& x) {
  return checked_variant(f, x);
}

/// A visitor made of lambdas, for caf::visit over an operation: one handler per type.
template <class... Fs>
struct overload : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
overload(Fs...) -> overload<Fs...>;

/// The snake_case tag of `op` ("hive_get").
std::string op_name(const operation& op);

/// The hive an operation targets, "" for operations the queen answers itself.
std::string op_hive(const operation& op);

/// All operation tags, in the order of the variant (each type's `name`).
const std::vector<std::string>& op_names();

} // namespace rbee
