#pragma once
// The installer: one per worker_install job, under a hive. Seed 000's
// pipeline: catalog metadata, platform check, PKGBUILD (parsed, never
// executed), dependencies, sources (fetched, verified, unpacked), build() and
// package() in the sandbox with every output line narrated, install with an
// atomic `current` switch, capabilities.json, clean-up.

#include "messages/interfaces.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace rbee {

struct install_options {
  std::string catalog_url;       ///< http://127.0.0.1:8787 or RBEE_CATALOG_URL
  /// The catalog's Ed25519 public key (base64): its index.json.sig must verify with it,
  /// and the PKGBUILD and meta.json must be the files the index lists.
  std::string catalog_key;
  bool allow_unsigned_catalog = false; ///< build from an unsigned catalog anyway (development)
  std::string data_dir;          ///< workers go to <data_dir>/workers
  std::string cache_dir;         ///< build trees under <cache_dir>/build
  std::vector<std::string> hide; ///< directories builds must not see (config, data, state)
  bool sandbox = true;           ///< false only with an explicit --no-sandbox
  bool keep_failed_tree = false; ///< keep the build tree of a failed install, for debugging
  bool cuda_gpu = false;         ///< from the hive's capabilities
  bool without_gpu = false;      ///< build a CUDA worker on a hive without a GPU
  int jobs = 0;                  ///< MAKEFLAGS -j (0: the CPU count)
};

/// Removes build trees under <cache_dir>/build that no running install holds
/// (left by a killed hive); returns how many.
size_t remove_stale_build_trees(const std::string& cache_dir);

/// Spawns a detached installer; ask it `run_atom` for the job_result.
/// Setting `cancel` kills the build's whole process group.
caf::actor spawn_installer(caf::actor_system& sys, job_ctx ctx, std::string worker_id, install_options opts,
                           std::shared_ptr<std::atomic<bool>> cancel);

} // namespace rbee
