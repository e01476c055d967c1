#pragma once
// Hive registration, heartbeats and the queen's view of its hives.

#include "messages/capabilities.hpp"

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rbee {

enum class hive_state : uint8_t { online, lost };

std::string_view to_string(hive_state x);

/// Sent by a hive when it joins (or rejoins) the queen.
struct hive_registration {
  std::string hive_id;
  std::string version;
  capabilities caps;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hive_registration& x) {
  return f(caf::meta::type_name("rbee_hive_registration"), x.hive_id, x.version, x.caps);
}

/// The cluster protocol a hive and a queen must share. CAF's app identifier
/// carries it too ("rbee-cluster-N"), so other versions fail the handshake.
inline constexpr int32_t cluster_protocol = 1;

/// Sent by a remote hive to the queen's cluster gate: its id and the join
/// secret the queen issued for it (`rbee cluster add-hive`), with what a
/// registration carries.
struct hive_join {
  std::string hive_id;
  std::string secret;
  int32_t protocol = cluster_protocol;
  std::string version;
  capabilities caps;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hive_join& x) {
  return f(caf::meta::type_name("rbee_hive_join"), x.hive_id, x.secret, x.protocol, x.version, x.caps);
}

/// The queen's answer to a registration: how often to send heartbeats.
struct registration_ack {
  std::string hive_id;
  uint64_t epoch = 0;         ///< increases each time the hive (re)joins
  int32_t heartbeat_ms = 1000;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, registration_ack& x) {
  return f(caf::meta::type_name("rbee_registration_ack"), x.hive_id, x.epoch, x.heartbeat_ms);
}

struct hive_heartbeat {
  std::string hive_id;
  uint64_t epoch = 0;
  int64_t timestamp_ms = 0;
  uint64_t ram_available = 0;
  uint64_t read_bandwidth = 0; ///< measured once in the background after the hive starts
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hive_heartbeat& x) {
  return f(caf::meta::type_name("rbee_hive_heartbeat"), x.hive_id, x.epoch, x.timestamp_ms,
           x.ram_available, x.read_bandwidth);
}

/// The queen's record of a hive (GET /v1/hives).
struct hive_info {
  std::string hive_id;
  std::string version;
  hive_state state = hive_state::online;
  bool local = false;         ///< lives in the queen's process (embedded mode)
  uint64_t epoch = 0;
  int64_t joined_ms = 0;
  int64_t last_seen_ms = 0;
  std::string lost_reason;
  capabilities caps;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hive_info& x) {
  return f(caf::meta::type_name("rbee_hive_info"), x.hive_id, x.version, x.state, x.local, x.epoch,
           x.joined_ms, x.last_seen_ms, x.lost_reason, x.caps);
}

/// The answer of the `status` operation.
struct cluster_status {
  std::string version;
  int64_t started_ms = 0;
  uint64_t jobs_total = 0;
  uint64_t jobs_active = 0;
  std::vector<hive_info> hives;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_status& x) {
  return f(caf::meta::type_name("rbee_cluster_status"), x.version, x.started_ms, x.jobs_total,
           x.jobs_active, x.hives);
}

} // namespace rbee
