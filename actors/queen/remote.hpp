#pragma once
// Hives on other machines, managed over the user's own ssh (hosts of
// ~/.ssh/config): install (preflight, ship this rbee or build it there from its
// source with every compiler line streamed, key made on the hive and
// its request signed here, credentials through stdin, started as a systemd user
// unit or in the background, done when it has joined), start, stop, status,
// uninstall. Each runs as a job of the queen on a thread of its own; every line
// ssh and the remote commands print becomes the job's narration.

#include "messages/interfaces.hpp"

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace rbee {

struct remote_options {
  std::string state_dir;      ///< the cluster's PKI (<state_dir>/cluster)
  std::string cache_dir;      ///< ssh's control sockets (<cache_dir>/ssh)
  std::string advertise;      ///< HOST:PORT hives reach the cluster port at ("": none reachable)
  std::string rbee_binary;    ///< what install ships (default: this executable)
  std::string ssh_program = "ssh";
  std::string ssh_config;     ///< -F FILE ("": the user's ~/.ssh/config)
  std::string strict_host_keys = "accept-new";
  int join_timeout_s = 60;    ///< how long install waits for the hive to join
  std::string source_tarball; ///< what a build from source ships ("": made from the checkout beside this rbee)
  int build_timeout_s = 3600; ///< how long a build from source may take on the host
  bool has_cluster_port = true; ///< false: `rbee serve`, where no hive can join from elsewhere
};

/// Runs `op` for job `job_id`: narration to `bridge`, the hive registry asked
/// through `queen`; the answer is the job's result. Setting `cancel` kills the
/// ssh command that runs and ends the job's work.
caf::expected<job_result> run_remote(const remote_options& o, const hive_remote_op& op, const std::string& job_id,
                                     bridge_actor bridge, queen_actor queen, caf::actor_system& sys,
                                     std::shared_ptr<std::atomic<bool>> cancel);

} // namespace rbee
