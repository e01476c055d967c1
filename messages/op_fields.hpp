#pragma once
// The fields of each operation, listed once and used by both the JSON reader and
// writer: v(name, member, rule). Private to messages/.

#include "messages/operations.hpp"

#include <cstdint>
#include <limits>

namespace rbee::detail {

/// Validation rule of one field.
struct rule {
  bool required = false;
  bool id = false;          ///< strings: [A-Za-z0-9._-]{1,64}
  size_t max_len = 512;     ///< strings
  double lo = 0, hi = 0;    ///< numbers (inclusive)
};

inline constexpr rule hive_rule{.required = false, .id = true};
inline constexpr rule required_id{.required = true, .id = true};
inline constexpr rule model_rule{.required = true, .max_len = 512};
inline constexpr rule opt_text{.max_len = 64};

template <class V> void fields(V&, status_op&) {}
template <class V> void fields(V&, hive_list_op&) {}
template <class V> void fields(V& v, hive_get_op& x) { v("hive_id", x.hive_id, required_id); }

template <class V> void fields(V& v, infer_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("model", x.model, model_rule);
  v("prompt", x.prompt, rule{.max_len = 4u << 20});
  v("messages", x.messages, rule{.max_len = 4u << 20});
  v("max_tokens", x.max_tokens, rule{.lo = 1, .hi = 1 << 20});
  v("temperature", x.temperature, rule{.lo = 0, .hi = 100});
  v("top_p", x.top_p, rule{.lo = 0, .hi = 1});
  v("top_k", x.top_k, rule{.lo = 0, .hi = 1 << 20});
  v("min_p", x.min_p, rule{.lo = 0, .hi = 1});
  v("repetition_penalty", x.repetition_penalty, rule{.lo = 0, .hi = 100});
  v("frequency_penalty", x.frequency_penalty, rule{.lo = -2, .hi = 2});
  v("presence_penalty", x.presence_penalty, rule{.lo = -2, .hi = 2});
  v.seed("seed", x.seed, x.has_seed);
  v("stop", x.stop, rule{.max_len = 256, .hi = 16});
  v("keep_alive", x.keep_alive_s, rule{.lo = -1, .hi = 7 * 24 * 3600});
}

template <class V> void fields(V& v, model_download_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("model", x.model, model_rule);
}
template <class V> void fields(V& v, model_list_op& x) { v("hive_id", x.hive_id, hive_rule); }
template <class V> void fields(V& v, model_get_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("model", x.model, model_rule);
}
template <class V> void fields(V& v, model_delete_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("model", x.model, model_rule);
}
template <class V> void fields(V& v, worker_catalog_list_op& x) {
  v("hive_id", x.hive_id, hive_rule);
}
template <class V> void fields(V& v, worker_catalog_get_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("worker_id", x.worker_id, required_id);
}
template <class V> void fields(V& v, worker_install_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("worker_id", x.worker_id, required_id);
  v("without_gpu", x.without_gpu, rule{});
}
template <class V> void fields(V& v, worker_remove_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("worker_id", x.worker_id, required_id);
}
template <class V> void fields(V& v, worker_list_installed_op& x) {
  v("hive_id", x.hive_id, hive_rule);
}
template <class V> void fields(V& v, worker_spawn_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("model", x.model, model_rule);
  v("worker", x.worker, opt_text);
  v("device", x.device, opt_text);
}
template <class V> void fields(V& v, worker_stop_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("worker_id", x.worker_id, required_id);
}
template <class V> void fields(V& v, worker_list_op& x) { v("hive_id", x.hive_id, hive_rule); }
template <class V> void fields(V& v, auto_run_op& x) {
  v("hive_id", x.hive_id, hive_rule);
  v("model", x.model, model_rule);
  v("worker", x.worker, opt_text);
}

} // namespace rbee::detail
