#pragma once
// What a job produces, typed end to end: a hive (or the queen) answers an
// operation with a job_result, the queen keeps it in the job's info, and only the
// edges (net/, the sse bridge's frames, the CLI) write it as JSON (json::write).

#include "messages/capabilities.hpp"
#include "messages/hive.hpp"
#include "messages/operations.hpp"
#include "messages/worker.hpp"

#include <caf/meta/type_name.hpp>
#include <caf/detail/type_list.hpp>
#include <caf/variant.hpp>

#include <cstdint>
#include <type_traits>
#include <utility>
#include <string>
#include <vector>

namespace rbee {

/// No result (a job that has not completed).
struct no_result {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, no_result&) {
  return f(caf::meta::type_name("rbee_no_result"));
}

/// model_download: the model and the files now in the store.
struct download_result {
  std::string model;
  std::vector<std::string> files;
  uint64_t bytes = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, download_result& x) {
  return f(caf::meta::type_name("rbee_download_result"), x.model, x.files, x.bytes);
}

/// What an operation did to one thing: {"stopped":"w1"}, {"removed":"rbee-worker-cpu"},
/// {"deleted":"model.gguf"}.
struct action_result {
  std::string verb; ///< stopped, removed, deleted
  std::string what;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, action_result& x) {
  return f(caf::meta::type_name("rbee_action_result"), x.verb, x.what);
}

/// An installed worker binary (worker_install, worker_list_installed).
struct installed_worker {
  std::string id;
  std::string version;
  std::string backend; ///< "cpu", "cuda", ...
  std::string binary;  ///< file name inside the version directory
  std::string sha256;
  std::string path;    ///< absolute path of the binary through `current`
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, installed_worker& x) {
  return f(caf::meta::type_name("rbee_installed_worker"), x.id, x.version, x.backend, x.binary, x.sha256, x.path);
}

/// The worker catalog's answer (worker_catalog_list/get): that server's JSON,
/// parsed and written again by our writer when it arrived (catalog_answer_of), so
/// what goes out is always well-formed.
struct catalog_answer {
  std::string json;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, catalog_answer& x) {
  return f(caf::meta::type_name("rbee_catalog_answer"), x.json);
}

/// auto_run: the worker that now serves the model, and where.
struct auto_run_result {
  std::string worker_id;
  std::string model;
  std::string hive_id;
  std::string endpoint; ///< /v1/chat/completions
  std::string model_path;
  std::string worker;   ///< the installed worker's id, or "builtin"
  std::string backend;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, auto_run_result& x) {
  return f(caf::meta::type_name("rbee_auto_run_result"), x.worker_id, x.model, x.hive_id, x.endpoint, x.model_path,
           x.worker, x.backend);
}

/// Every kind of job result.
using job_value =
  caf::variant<no_result, cluster_status, std::vector<hive_info>, capabilities, infer_result, worker_info,
               std::vector<worker_info>, std::vector<model_entry>, download_result, action_result, installed_worker,
               std::vector<installed_worker>, catalog_answer, auto_run_result>;

/// Reading a job_value from the wire: a type tag out of range is an error, not
/// CAF 0.17's exception on the middleman's thread (see variant.hpp).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, caf::variant_writer<job_value>& x) {
  return checked_variant(f, x);
}

/// One of job_value's alternatives.
template <class T>
concept job_value_type = caf::detail::tl_contains<job_value::types, std::decay_t<T>>::value;

/// What a hive (or the queen) returns for an operation. Built from one of
/// job_value's alternatives only (caf::result tries every constructor it sees).
struct job_result {
  job_value value;
  job_result() = default;
  template <job_value_type T>
  job_result(T&& x) : value(std::forward<T>(x)) {}
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_result& x) {
  return f(caf::meta::type_name("rbee_job_result"), x.value);
}

} // namespace rbee
