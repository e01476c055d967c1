#pragma once
// The hive: one per machine. Detects the machine's capabilities, joins a queen
// (in-process or over CAF's network layer), sends heartbeats, runs the
// operations the queen routes to it.

#include "messages/interfaces.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rbee {

struct hive_options {
  std::string hive_id;
  std::string version;
  std::string models_dir;      ///< the model store (<data_dir>/models)
  bool allow_model_paths = false; ///< accept file paths as model names (loopback servers)
  int worker_slots = 4;        ///< sequences each worker decodes together
  int worker_ctx = 0;          ///< per sequence (0: the model's, at most 4096)
  int prompt_cache_mib = 512;  ///< each worker's KV caches kept beyond its slots
  int keep_alive_s = 300;      ///< an idle worker unloads after this long
  bool worker_processes = false; ///< workers in child processes (`rbee worker`) instead of in-process
  int max_crashes = 3;         ///< crashes of one model's workers before it is quarantined
  std::string rbee_binary;     ///< the executable that runs `rbee worker` (default /proc/self/exe)
  std::string hf_endpoint = "https://huggingface.co"; ///< where models are downloaded from
  std::string hf_token;        ///< Authorization for gated or private repos
  bool allow_unverified_downloads = false; ///< see download_options::allow_unverified
  std::string catalog_url = "http://127.0.0.1:8787"; ///< the worker catalog
  /// `rbee serve`'s own URL (set once its port is known, before any job runs): the
  /// catalog is that server's while <data_dir>/catalog/workers exists, looked at on
  /// each use (a catalog made while the server runs is used at once). Null: never.
  std::shared_ptr<const std::string> local_catalog_url;
  std::string catalog_key;             ///< its pinned public key (see install_options)
  bool allow_unsigned_catalog = false;
  std::string data_dir;        ///< installed workers live in <data_dir>/workers
  std::string cache_dir;       ///< build trees
  std::vector<std::string> hidden_dirs; ///< directories builds must not see
  bool install_sandbox = true;
  bool keep_failed_builds = false;
  int measure_bandwidth_mb = 256; ///< the background bandwidth probe's buffer (0: none)
  uint64_t memory_limit = 0;   ///< memory this hive offers for models (0: what the machine has free)
  /// A remote hive's join secret: set, connect carries the queen's cluster gate
  /// and the hive joins through it; empty (embedded mode), connect carries the
  /// queen itself.
  std::string join_secret;
  /// Called (from the hive's thread) when the queen is gone or refused us; the
  /// hive process reconnects. Empty in embedded mode.
  std::function<void(const caf::error&)> on_queen_lost;
  /// Called (from the hive's thread) once the queen accepted the hive.
  std::function<void(const registration_ack&)> on_joined;
};

hive_actor spawn_hive(caf::actor_system& sys, hive_options opts);

/// The catalog a hive uses now: its server's own (local_catalog_url) while
/// <data_dir>/catalog/workers exists, else catalog_url.
std::string catalog_url_now(const hive_options& o);

/// The capabilities of this machine (CPU, SIMD, RAM, CUDA GPUs).
capabilities probe_capabilities();

} // namespace rbee
