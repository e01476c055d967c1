#pragma once
// The system ssh, driven the way a careful person would: the user's own
// ~/.ssh/config applies (we pass the Host alias itself), one shared connection
// per host (a ControlMaster socket under the cache directory), BatchMode (never a
// password prompt), ConnectTimeout and ServerAlive, host keys accepted on first
// use only (StrictHostKeyChecking=accept-new unless configured). Exit status 255
// is ssh's own failure, reported with ssh's message, never as the remote
// command's.

#include "io/child.hpp"
#include "io/outcome.hpp"

#include <string>
#include <vector>

namespace rbee::cluster {

struct ssh_options {
  std::string program = "ssh"; ///< a name on PATH or a path
  std::string control_dir;       ///< where the ControlMaster sockets live (short: sockets max 108 bytes)
  std::string strict_host_keys = "accept-new";
  int connect_timeout_s = 10;
  std::vector<std::string> extra; ///< more ssh arguments (e.g. -F CONFIG)
};

/// Is `alias` a Host name ssh may be given (no option, no whitespace, no shell)?
bool valid_alias(std::string_view alias);

/// The argv that runs `command` on `alias` through the shared connection.
std::vector<std::string> ssh_argv(const ssh_options& o, const std::string& alias, const std::string& command);

struct ssh_result {
  child_result run;
  bool ssh_failed = false;  ///< ssh itself failed (exit 255): connection, authentication, host key
  std::string ssh_message;  ///< then, ssh's own last words
};

/// Runs `command` on `alias`; every output line goes to `on_line`.
outcome<ssh_result> ssh_run(const ssh_options& o, const std::string& alias, const std::string& command,
                            const child_options& co, const line_callback& on_line, const std::atomic<bool>& cancel);

/// Opens the shared connection (a background master that lives for `persist_s`
/// idle seconds); errc::unavailable with ssh's message when it cannot.
outcome<void> ssh_open(const ssh_options& o, const std::string& alias, int persist_s, const std::atomic<bool>& cancel);

/// Closes the shared connection (ssh -O exit).
void ssh_close(const ssh_options& o, const std::string& alias);

/// The ssh config the user's ssh reads: `configured` when set, else
/// ~/.ssh/config of the passwd home (ssh reads that, not $HOME).
std::string user_ssh_config(const std::string& configured);

/// The Host aliases of an ssh config file (patterns, negations and "*" left
/// out), following Include directives relative to ~/.ssh, at most `depth` deep.
std::vector<std::string> config_hosts(const std::string& path, int depth = 4);

} // namespace rbee::cluster
