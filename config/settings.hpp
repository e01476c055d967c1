#pragma once
// Every port, path and limit of rbee in one place, with its default.
// Sources, later ones winning: defaults, the JSON config file, RBEE_* environment
// variables, command-line flags. Keys are snake_case; the environment variable of
// key `queen_port` is RBEE_QUEEN_PORT.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rbee::config {

/// Default ports (ARCHITECTURE.md): queen HTTP 8500, hive HTTP 7835, catalog 8787.
inline constexpr uint16_t default_queen_port = 8500;
inline constexpr uint16_t default_queen_cluster_port = 7834;
inline constexpr uint16_t default_hive_port = 7835;
inline constexpr uint16_t default_catalog_port = 8787;

struct settings {
  // -- network --
  std::string bind = "127.0.0.1";
  uint16_t queen_port = default_queen_port;
  uint16_t queen_cluster_port = default_queen_cluster_port;
  uint16_t hive_port = default_hive_port;
  uint16_t catalog_port = default_catalog_port;
  std::string queen_url = "http://127.0.0.1:8500";   ///< where the keeper finds the queen
  std::string queen_address;                           ///< where a hive joins the queen (CAF); empty: its join token's
  std::string hive_id;                                 ///< empty: "localhost" embedded, hostname otherwise
  std::string api_token;                               ///< required for a non-loopback bind
  std::vector<std::string> allowed_hosts;              ///< extra Host names (beside loopback)
  std::vector<std::string> cors_origins;               ///< origins allowed to call the API

  // -- disk (XDG) --
  std::string data_dir;
  std::string cache_dir;
  std::string state_dir;

  // -- threads --
  /// One I/O thread: every wakeup beside the forward pass preempts a compute thread, and two
  /// threads on one io_context wake each other for every SSE write (measured: one stream over
  /// SSE 93-97% -> 95-98% of the engine alone on 2 cores; fan-out of 1,000 subscribers
  /// 177k -> 136k events/s). More for dashboards with thousands of subscribers.
  int http_threads = 1;
  int actor_threads = 2;

  // -- HTTP limits --
  uint64_t max_header_bytes = 16 * 1024;
  uint64_t max_body_bytes = 1024 * 1024;
  int read_timeout_ms = 10'000;
  int max_connections = 2048;            ///< open HTTP connections (SSE streams apart), all clients
  int max_connections_per_client = 512; ///< ... from one client address
  int max_sse_streams = 4096;           ///< SSE streams (job streams, /v1/events, OpenAI streams)
  int max_sse_streams_per_client = 256; ///< ... from one client address
  int request_timeout_ms = 10'000;

  // -- SSE and jobs --
  uint64_t sse_replay_events = 4096;       ///< per job replay buffer
  uint64_t sse_max_queued_bytes = 8 << 20; ///< a slower subscriber is disconnected
  int sse_keepalive_ms = 15'000;
  uint64_t max_finished_jobs = 1000;       ///< finished jobs kept for GET and replay

  // -- cluster liveness --
  int hive_heartbeat_ms = 1000;   ///< hive -> queen heartbeats
  int hive_lease_ms = 5000;       ///< no heartbeat for this long: hive lost
  int cluster_heartbeat_ms = 500; ///< CAF middleman heartbeat
  int cluster_timeout_ms = 2000;  ///< CAF middleman connection timeout

  // -- hives over ssh --
  std::string cluster_advertise;  ///< HOST:PORT hives reach the cluster port at (default: bind and port)
  std::string ssh_program = "ssh"; ///< the ssh client (a name on PATH or a path)
  std::string ssh_config;          ///< an ssh config file (-F); default: the user's ~/.ssh/config
  std::string ssh_strict_host_keys = "accept-new"; ///< StrictHostKeyChecking: accept-new, yes
  int hive_join_timeout_s = 60;    ///< how long `rbee hive install` waits for the hive to join
  std::string source_tarball;      ///< what `rbee hive install` builds from source ("": made from this checkout)
  int hive_build_timeout_s = 3600; ///< how long a build from source on a host may take

  // -- workers --
  int worker_slots = 4;       ///< sequences one worker decodes together (continuous batching)
  int worker_ctx = 0;         ///< context per sequence; 0: the model's, at most 4096
  int prompt_cache_mib = 512; ///< a worker's KV caches kept in memory beyond its slots (prompt cache; 0: none)
  int keep_alive_s = 300;     ///< an idle worker unloads after this long (per request: keep_alive)
  uint64_t hive_memory_mb = 0; ///< memory a hive offers for models (0: what the machine has free); beyond it the queen evicts idle workers
  int worker_processes = 0;   ///< 1: each worker in its own child process (`rbee worker`), supervised
  int worker_max_crashes = 3; ///< a model whose workers crash this often is quarantined
  std::string worker_binary;  ///< the program run as `... worker --hive ...` (default: this rbee)

  // -- downloads --
  std::string hf_endpoint;    ///< default https://huggingface.co; HF_ENDPOINT overrides
  std::string hf_token;       ///< for gated or private repos; HF_TOKEN overrides

  // -- worker installs --
  std::string catalog_url = "http://127.0.0.1:8787"; ///< the worker catalog (RBEE_CATALOG_URL)
  std::string catalog_key;      ///< the catalog's Ed25519 public key (base64); default: the user's own signing key's
  int allow_unsigned_catalog = 0; ///< 1 = build from a catalog whose signature is missing or wrong (development only)
  int install_sandbox = 1;      ///< 0 = build recipes without bubblewrap (--no-sandbox)
  int allow_unverified_downloads = 0; ///< 1 = accept model files whose size and sha256 are not both known
  int keep_failed_builds = 0;   ///< 1 = keep the build tree of a failed install

  std::string log_level = "info";
};

/// A configuration problem, naming the key (or file) and what is wrong.
struct config_error {
  std::string key;
  std::string problem;
  std::string to_string() const;
};

/// Sets one key from its text form (as in the environment or on the command line).
std::optional<config_error> set_key(settings& s, std::string_view key, std::string_view value);

/// Applies a JSON object of keys; unknown keys and wrong types are errors.
std::optional<config_error> apply_json(settings& s, std::string_view json, std::string_view origin);

/// Applies every RBEE_<KEY> environment variable that names a known key.
std::optional<config_error> apply_env(settings& s, char** envp);

/// Fills empty data/cache/state dirs from XDG variables (or $HOME) and checks
/// cross-key rules (a non-loopback bind needs an api_token).
std::optional<config_error> finish(settings& s);

/// Where the config file is looked for when --config is not given.
std::string default_config_path();

/// Loads defaults, then the file (`path` empty: default path, missing is fine),
/// then the environment. Flags are applied by the caller with set_key, then finish().
std::optional<config_error> load(settings& s, const std::string& path, char** envp);

/// The names of all keys with their current values as JSON (for `rbee config`).
std::string to_json(const settings& s);

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(std::string_view host);

} // namespace rbee::config
