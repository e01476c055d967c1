#pragma once
// Several machines on one, for the cluster tests: network namespaces joined by
// veth links to a bridge in the queen's namespace (10.77.N.0/24: the queen .1,
// host i .(i+1)), each host running Debian's real sshd with its own host key,
// config, port and session environment (its own XDG directories: its "disk").
// Needs root (CAP_NET_ADMIN), iproute2 and openssh-server; `available` says
// why not, and the tests skip saying so.

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rbee::test {

class process;

class netns_lab {
public:
  /// Can namespaces and sshd be used here? `why` says what is missing.
  static bool available(std::string* why);

  /// The queen's namespace and `hosts` host namespaces, each host with sshd;
  /// `session_env` (K=V) is added to every ssh session's environment there.
  explicit netns_lab(int hosts, const std::vector<std::string>& session_env = {});
  ~netns_lab();
  netns_lab(const netns_lab&) = delete;
  netns_lab& operator=(const netns_lab&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  /// 0: the queen; 1..hosts: the hosts.
  std::string ns(int i) const;
  std::string ip(int i) const;
  /// The Host alias of host i in ssh_config() ("host1", ...).
  std::string alias(int i) const { return "host" + std::to_string(i); }
  /// An ssh client config naming every host (HostName, User, IdentityFile, known_hosts).
  std::string ssh_config() const { return dir_ + "/ssh_config"; }
  /// Host i's XDG directories root (what its sshd sessions get).
  std::string home(int i) const;

  /// argv prefix that runs a program in namespace i.
  std::vector<std::string> in(int i) const;
  /// Runs `f` on a thread that entered namespace i (sockets it opens live there).
  void run_in(int i, const std::function<void()>& f) const;
  /// Takes host i's link down (a partition) or up again.
  bool set_link(int i, bool up);

private:
  std::string dir_;
  std::string tag_;
  int hosts_ = 0;
  std::string error_;
  std::vector<std::unique_ptr<process>> sshd_;
};

} // namespace rbee::test
