#pragma once
// Which worker auto_run uses on a hive: the one asked for, else the best the
// hive's platform can run — CUDA (a GPU and a CUDA worker installed or
// installable) > Metal > CPU — preferring what is installed. For the CPU that
// is an installed CPU worker, else the engine built into rbee (never a build:
// it would compile the same engine). Pure: the hive gathers the inputs
// (catalog, installed workers, platform) and asks.

#include "actors/install/steps.hpp"
#include "actors/hive/worker_store.hpp"
#include "messages/capabilities.hpp"
#include "messages/worker.hpp"

#include <caf/expected.hpp>

#include <string>
#include <vector>

namespace rbee {

struct choice_inputs {
  std::vector<catalog_entry> catalog;      ///< what the catalog offers (empty when unreachable)
  std::string catalog_error;               ///< why the catalog could not be read ("" when it was)
  std::vector<installed_worker> installed; ///< what this hive has installed
  host_platform host;
  std::string gpu_summary;                 ///< "1 GPU (NVIDIA H100 80GB)" or why there is none
};

/// `requested` is "", a backend (cpu, cuda, metal) or a catalog id. Errors:
/// errc::platform_unsupported (asked for what cannot run here), errc::not_found
/// (asked for an id neither installed nor in the catalog), errc::invalid_value.
caf::expected<worker_choice> choose_worker(const choice_inputs& in, const std::string& requested);

/// The same with its inputs gathered (blocking: it reads the catalog at
/// `catalog_url` and the workers installed under `data_dir`) — a hive's answer.
caf::expected<worker_choice> choose_on(const capabilities& caps, const std::string& data_dir, const std::string& catalog_url,
                                       const std::string& requested);

} // namespace rbee
