#pragma once
// One `hive_remote` job's working parts, shared by remote.cpp (preflight, the
// binary copy, credentials, start/stop) and remote_build.cpp (the build from
// source): the ssh connection, narration, and the remote side's directories.

#include "actors/queen/remote.hpp"
#include "cluster/ssh.hpp"
#include "messages/errc.hpp"

#include <chrono>
#include <map>
#include <string>

namespace rbee {

/// The remote side's directories, in its own shell (XDG where set): D binaries,
/// S state, U systemd user units, B the source build.
inline constexpr const char* remote_dirs = "D=\"${XDG_DATA_HOME:-$HOME/.local/share}/rbee/bin\"; "
                                           "S=\"${XDG_STATE_HOME:-$HOME/.local/state}/rbee\"; "
                                           "U=\"${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user\"; "
                                           "B=\"${XDG_CACHE_HOME:-$HOME/.cache}/rbee/source\"; ";

/// What the preflight found on the host.
struct host_facts {
  std::string os, arch, systemd, cmake, cxx, ninja, ccache;
  uint64_t disk_kb = 0;
  int cpus = 1;
  bool can_build() const { return !cmake.empty() && !cxx.empty(); }
};

struct remote_job {
  const remote_options& o;
  const hive_remote_op& op;
  std::string job_id;
  bridge_actor bridge;
  caf::actor_system& sys;
  cluster::ssh_options ssh;
  std::shared_ptr<std::atomic<bool>> cancelled;
  const std::atomic<bool>& cancel() const { return *cancelled; }

  void say(const std::string& action, const std::string& human, level lvl = level::info);

  /// Runs `command` on the host; its lines are narrated (unless quiet). The failure
  /// names the step, and ssh's own message when ssh failed (exit 255).
  caf::expected<cluster::ssh_result> run(const std::string& step, const std::string& command, child_options co = {},
                                         std::chrono::seconds timeout = std::chrono::seconds(120), bool quiet = false);
  /// run(), and an exit status other than 0 is the step's failure.
  caf::expected<cluster::ssh_result> must(const std::string& step, const std::string& command, child_options co = {},
                                          std::chrono::seconds timeout = std::chrono::seconds(120), bool quiet = false);

  std::string hive_id() const { return op.hive_name.empty() ? op.host : op.hive_name; }
};

/// KEY=VALUE lines.
std::map<std::string, std::string> key_values(const std::string& text);

/// `$D/rbee.new` runs (--version) and becomes `$D/rbee`; else platform_unsupported.
caf::expected<job_result> activate_binary(remote_job& j, const std::string& how);

/// Builds rbee on the host from this rbee's source tarball (shipped over the ssh
/// connection, SHA-256 checked), every line of cmake and the compiler narrated,
/// and installs the result as activate_binary does.
caf::expected<job_result> build_from_source(remote_job& j, const host_facts& f);

} // namespace rbee
