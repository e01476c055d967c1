#pragma once
// The operations a client submits as jobs (POST /v1/jobs). In JSON each is an
// object with a snake_case "operation" tag and its fields flattened beside it.

#include "messages/variant.hpp"

#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/sec.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/variant.hpp>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <type_traits>
#include <string>
#include <vector>

namespace rbee {

/// The hive that embedded mode runs in the queen's process.
inline constexpr const char* local_hive_id = "localhost";

// Each operation is a struct with its name and one fields() function that lists
// its fields once — v(name, member, rule) — for CAF's inspect (below) and for the
// JSON reader and writer (json_ops.cpp).

/// Validation rule of one field.
struct field_rule {
  bool required = false;
  bool id = false;          ///< strings: [A-Za-z0-9._-]{1,64}
  size_t max_len = 512;     ///< strings
  double lo = 0, hi = 0;    ///< numbers (inclusive)
};

inline constexpr field_rule hive_rule{.required = false, .id = true};
inline constexpr field_rule required_id{.required = true, .id = true};
inline constexpr field_rule model_rule{.required = true, .max_len = 512};
inline constexpr field_rule opt_text{.max_len = 64};

struct status_op {
  static constexpr std::string_view name = "status";
};
template <class V> void fields(V&, status_op&) {}

struct hive_list_op {
  static constexpr std::string_view name = "hive_list";
};
template <class V> void fields(V&, hive_list_op&) {}

struct hive_get_op {
  static constexpr std::string_view name = "hive_get";
  std::string hive_id;
};
template <class V> void fields(V& v, hive_get_op& x) { v("hive_id", x.hive_id, required_id); }

struct chat_message { std::string role; std::string content; };
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, chat_message& x) {
  return f(caf::meta::type_name("rbee_chat_message"), x.role, x.content);
}

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
  bool think = false;        ///< a thinking model (Qwen3) reasons before answering; off by default
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

template <class V> void fields(V& v, infer_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("model", x.model, model_rule);
  v("prompt", x.prompt, field_rule{.max_len = 4u << 20});
  v("messages", x.messages, field_rule{.max_len = 4u << 20});
  v("max_tokens", x.max_tokens, field_rule{.lo = 1, .hi = 1 << 20});
  v("temperature", x.temperature, field_rule{.lo = 0, .hi = 100});
  v("top_p", x.top_p, field_rule{.lo = 0, .hi = 1});
  v("top_k", x.top_k, field_rule{.lo = 0, .hi = 1 << 20});
  v("min_p", x.min_p, field_rule{.lo = 0, .hi = 1});
  v("repetition_penalty", x.repetition_penalty, field_rule{.lo = 0, .hi = 100});
  v("frequency_penalty", x.frequency_penalty, field_rule{.lo = -2, .hi = 2});
  v("presence_penalty", x.presence_penalty, field_rule{.lo = -2, .hi = 2});
  v.seed("seed", x.seed, x.has_seed);
  v("stop", x.stop, field_rule{.max_len = 256, .hi = 16});
  v("keep_alive", x.keep_alive_s, field_rule{.lo = -1, .hi = 7 * 24 * 3600});
  v("think", x.think, field_rule{});
}

struct model_download_op {
  static constexpr std::string_view name = "model_download";
  std::string hive_id;
  std::string model;
};
template <class V> void fields(V& v, model_download_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("model", x.model, model_rule);
}
struct model_list_op {
  static constexpr std::string_view name = "model_list";
  std::string hive_id;
};
template <class V> void fields(V& v, model_list_op& x) { v("hive_id", x.hive_id, hive_rule); }
struct model_get_op {
  static constexpr std::string_view name = "model_get";
  std::string hive_id;
  std::string model;
};
template <class V> void fields(V& v, model_get_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("model", x.model, model_rule);
}
struct model_delete_op {
  static constexpr std::string_view name = "model_delete";
  std::string hive_id;
  std::string model;
};
template <class V> void fields(V& v, model_delete_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("model", x.model, model_rule);
}

struct worker_catalog_list_op {
  static constexpr std::string_view name = "worker_catalog_list";
  std::string hive_id;
};
template <class V> void fields(V& v, worker_catalog_list_op& x) {
  v("hive_id", x.hive_id, hive_rule);
}
struct worker_catalog_get_op {
  static constexpr std::string_view name = "worker_catalog_get";
  std::string hive_id;
  std::string worker_id;
};
template <class V> void fields(V& v, worker_catalog_get_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("worker_id", x.worker_id, required_id);
}
/// without_gpu: build and install a CUDA worker on a hive with no GPU to run it (a build host).
struct worker_install_op {
  static constexpr std::string_view name = "worker_install";
  std::string hive_id;
  std::string worker_id;
  bool without_gpu = false;
};
template <class V> void fields(V& v, worker_install_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("worker_id", x.worker_id, required_id);
  v("without_gpu", x.without_gpu, field_rule{});
}
struct worker_remove_op {
  static constexpr std::string_view name = "worker_remove";
  std::string hive_id;
  std::string worker_id;
};
template <class V> void fields(V& v, worker_remove_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("worker_id", x.worker_id, required_id);
}
struct worker_list_installed_op {
  static constexpr std::string_view name = "worker_list_installed";
  std::string hive_id;
};
template <class V> void fields(V& v, worker_list_installed_op& x) {
  v("hive_id", x.hive_id, hive_rule);
}

struct worker_spawn_op {
  static constexpr std::string_view name = "worker_spawn";
  std::string hive_id;
  std::string model;
  std::string worker; ///< cpu | cuda
  std::string device; ///< e.g. cuda:0
};
template <class V> void fields(V& v, worker_spawn_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("model", x.model, model_rule);
  v("worker", x.worker, opt_text);
  v("device", x.device, opt_text);
}
struct worker_stop_op {
  static constexpr std::string_view name = "worker_stop";
  std::string hive_id;
  std::string worker_id; ///< this worker, or
  std::string model;     ///< every worker serving this model (any form of its name)
};
template <class V> void fields(V& v, worker_stop_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("worker_id", x.worker_id, hive_rule);
  v("model", x.model, field_rule{.max_len = 512});
}
struct worker_list_op {
  static constexpr std::string_view name = "worker_list";
  std::string hive_id;
};
template <class V> void fields(V& v, worker_list_op& x) { v("hive_id", x.hive_id, hive_rule); }

struct auto_run_op {
  static constexpr std::string_view name = "auto_run";
  std::string hive_id;
  std::string model;
  std::string worker;
};
template <class V> void fields(V& v, auto_run_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("model", x.model, model_rule);
  v("worker", x.worker, opt_text);
}

/// A hive on another machine, over ssh: install, start, stop, status or
/// uninstall on the Host alias `host` (the user's ~/.ssh/config applies). The
/// queen runs it; `name` is the hive's id (default: the alias), `address` where
/// that hive reaches the queen's cluster port (default: the queen's own),
/// `build` how install puts rbee there.
struct hive_remote_op {
  static constexpr std::string_view name = "hive_remote";
  std::string action;
  std::string host;
  std::string hive_name;
  std::string address;
  std::string build; ///< install: "auto" (default: this binary if it runs there, else from source), "binary", "source"
};
template <class V> void fields(V& v, hive_remote_op& x) {
  v("action", x.action, field_rule{.required = true, .id = true});
  v("host", x.host, required_id);
  v("name", x.hive_name, field_rule{.id = true});
  v("address", x.address, field_rule{.max_len = 300});
  v("build", x.build, field_rule{.id = true});
}

using operation =
  caf::variant<status_op, hive_list_op, hive_get_op, infer_op, model_download_op, model_list_op,
               model_get_op, model_delete_op, worker_catalog_list_op, worker_catalog_get_op,
               worker_install_op, worker_remove_op, worker_list_installed_op, worker_spawn_op,
               worker_stop_op, worker_list_op, auto_run_op, hive_remote_op>;

/// One of the operations.
template <class T>
concept operation_type = caf::detail::tl_contains<operation::types, T>::value;

/// What an operation read from a peer must satisfy beyond its fields' types:
/// floating-point fields finite (see all_finite).
inline caf::error check_loaded(const infer_op& x) {
  return all_finite({x.temperature, x.top_p, x.min_p, x.repetition_penalty, x.frequency_penalty, x.presence_penalty});
}
template <class T>
caf::error check_loaded(const T&) {
  return caf::none;
}

/// Hands each field that fields() lists to a CAF inspector, in that order.
template <class Inspector>
struct caf_fields {
  Inspector& f;
  caf::error err;
  template <class T>
  void operator()(const char*, T& x, const field_rule&) {
    apply(x);
  }
  void seed(const char*, uint64_t& x, bool& has) {
    apply(x);
    apply(has);
  }
  template <class T>
  void apply(T& x) {
    if constexpr (std::is_void_v<typename Inspector::result_type>)
      f(x);
    else if (!err)
      err = f(x);
  }
};

/// CAF's view of an operation: the fields of its fields() function.
template <class Inspector, operation_type Op>
typename Inspector::result_type inspect(Inspector& f, Op& x) {
  caf_fields<Inspector> v{f, {}};
  fields(v, x);
  if constexpr (!std::is_void_v<typename Inspector::result_type>) {
    if constexpr (Inspector::writes_state)
      if (!v.err) v.err = check_loaded(x);
    return std::move(v.err);
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, caf::variant_writer<operation>& x) {
  return checked_variant(f, x);
}

/// The snake_case tag of `op` ("hive_get").
std::string op_name(const operation& op);

/// The hive an operation targets, "" for operations the queen answers itself.
std::string op_hive(const operation& op);
/// Sets the operation's hive, where it has one.
void set_hive(operation& op, const std::string& hive_id);

/// All operation tags, in the order of the variant (each type's `name`).
const std::vector<std::string>& op_names();

} // namespace rbee
