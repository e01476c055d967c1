#include "actors/node/embedded.hpp"

#include "actors/install/catalog_sign.hpp"
#include "actors/hive/hive.hpp"
#include "actors/queen/queen.hpp"
#include "actors/bridge/sse_bridge.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include <thread>

namespace rbee {

void node::shutdown() const {
  for (auto a : {caf::actor_cast<caf::actor>(hive), caf::actor_cast<caf::actor>(queen),
                 caf::actor_cast<caf::actor>(bridge)})
    if (a) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

hive_options hive_options_for(const config::settings& s, const std::string& hive_id, const std::string& version) {
  hive_options o;
  o.hive_id = hive_id;
  o.version = version;
  o.models_dir = s.data_dir + "/models";
  o.allow_model_paths = config::is_loopback(s.bind);
  o.worker_slots = s.worker_slots;
  o.worker_ctx = s.worker_ctx;
  o.prompt_cache_mib = s.prompt_cache_mib;
  o.keep_alive_s = s.keep_alive_s;
  o.worker_processes = s.worker_processes != 0;
  o.memory_limit = s.hive_memory_mb << 20;
  o.max_crashes = s.worker_max_crashes;
  o.rbee_binary = s.worker_binary;
  o.hf_endpoint = s.hf_endpoint;
  o.hf_token = s.hf_token;
  o.allow_unverified_downloads = s.allow_unverified_downloads != 0;
  o.catalog_url = s.catalog_url;
  // The catalog's key: the one configured, else the user's own signing key's (the
  // catalog scripts/make-catalog.sh signed on this machine).
  o.catalog_key = s.catalog_key;
  if (o.catalog_key.empty())
    if (auto k = catalog_public_key(default_catalog_key_path())) o.catalog_key = *k;
  o.allow_unsigned_catalog = s.allow_unsigned_catalog != 0;
  o.data_dir = s.data_dir;
  o.cache_dir = s.cache_dir;
  // What a recipe's build must not read: rbee's config (the API token), data and state.
  std::string config_dir = config::default_config_path();
  config_dir = config_dir.substr(0, config_dir.rfind('/'));
  o.hidden_dirs = {config_dir, s.data_dir, s.state_dir};
  o.install_sandbox = s.install_sandbox != 0;
  o.keep_failed_builds = s.keep_failed_builds != 0;
  return o;
}

node spawn_queen_side(caf::actor_system& sys, const config::settings& s, const std::string& version,
                      std::shared_ptr<const std::string> cluster_address) {
  node n;
  n.bridge = spawn_bridge(sys, bridge_options{s.sse_replay_events, 4 * s.sse_replay_events, s.max_finished_jobs});
  queen_options q;
  q.version = version;
  q.bridge = n.bridge;
  q.max_finished_jobs = s.max_finished_jobs;
  q.hive_heartbeat_ms = s.hive_heartbeat_ms;
  q.hive_lease_ms = s.hive_lease_ms;
  q.remote.state_dir = s.state_dir;
  q.remote.cache_dir = s.cache_dir;
  q.remote.ssh_program = s.ssh_program;
  q.remote.ssh_config = s.ssh_config;
  q.remote.strict_host_keys = s.ssh_strict_host_keys;
  q.remote.join_timeout_s = s.hive_join_timeout_s;
  q.remote.source_tarball = s.source_tarball;
  q.remote.build_timeout_s = s.hive_build_timeout_s;
  q.cluster_address = std::move(cluster_address);
  n.queen = spawn_queen(sys, std::move(q));
  return n;
}

node spawn_embedded(caf::actor_system& sys, const config::settings& s, const std::string& version,
                    const std::string& hive_id, bool* registered, std::shared_ptr<const std::string> local_catalog_url) {
  node n = spawn_queen_side(sys, s, version);
  auto o = hive_options_for(s, hive_id, version);
  o.local_catalog_url = std::move(local_catalog_url);
  n.hive = spawn_hive(sys, std::move(o));
  caf::anon_send(n.hive, connect_atom::value, caf::actor_cast<caf::actor>(n.queen));
  caf::scoped_actor self{sys};
  bool found = false;
  for (int i = 0; i < 500 && !found; ++i) {
    self->request(n.queen, std::chrono::seconds(1), hive_atom::value, hive_id)
      .receive([&](hive_info&) { found = true; }, [&](caf::error&) {});
    if (!found) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (registered) *registered = found;
  return n;
}

} // namespace rbee
