#include "actors/queen/remote_job.hpp"

#include "cluster/queen_pki.hpp"
#include "io/fetch.hpp"

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>

namespace rbee {

namespace {

using namespace std::chrono_literals;

constexpr const char* dirs = remote_dirs;
constexpr const char* has_systemd = "systemctl --user show-environment >/dev/null 2>&1";

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

/// The queen's view of the hive: online with a later epoch than `after`.
bool joined(caf::actor_system& sys, queen_actor queen, const std::string& id, uint64_t after, uint64_t* epoch) {
  caf::scoped_actor self{sys};
  bool ok = false;
  self->request(queen, 5s, hive_atom::value, id)
    .receive(
      [&](hive_info& h) {
        ok = h.state == hive_state::online && h.epoch > after;
        if (epoch) *epoch = h.epoch;
      },
      [](caf::error&) {});
  return ok;
}

/// Linux with 512 MiB free (2 GiB to build), and what the host has to build
/// rbee or run this one; each missing thing named.
caf::expected<job_result> preflight(remote_job& j, host_facts& f) {
  j.say("preflight", "checking " + j.op.host + " over ssh");
  child_options co;
  co.keep_stdout_bytes = 4096;
  auto r = j.must("preflight",
                  std::string(dirs) + "printf 'arch=%s\\nos=%s\\ncpus=%s\\n' \"$(uname -m)\" \"$(uname -s)\" \"$(nproc 2>/dev/null || echo 1)\"; "
                                      "printf 'disk_kb=%s\\n' \"$(df -Pk \"$HOME\" | awk 'NR==2{print $4}')\"; "
                                      "if " + has_systemd + "; then echo systemd=yes; else echo systemd=no; fi; "
                                      "for t in cmake c++ ninja ccache; do printf '%s=%s\\n' \"$t\" \"$(command -v $t 2>/dev/null)\"; done",
                  co, 60s, true);
  if (!r) return std::move(r.error());
  auto kv = key_values(r->run.stdout_text);
  f.os = kv["os"];
  f.arch = kv["arch"];
  f.systemd = kv["systemd"];
  f.cmake = kv["cmake"];
  f.cxx = kv["c++"];
  f.ninja = kv["ninja"];
  f.ccache = kv["ccache"];
  try {
    f.disk_kb = std::stoull(kv["disk_kb"]);
    f.cpus = std::max(1, std::stoi(kv["cpus"]));
  } catch (...) {
  }
  std::vector<std::string> missing;
  if (f.os != "Linux") missing.push_back("a Linux system (it runs '" + f.os + "')");
  if (f.disk_kb < 512 * 1024) missing.push_back("512 MiB free in its home (" + std::to_string(f.disk_kb >> 10) + " MiB)");
  if (!missing.empty()) {
    std::string all;
    for (auto& m : missing) all += (all.empty() ? "" : "; ") + m;
    return make_error(errc::platform_unsupported, j.op.host + " lacks " + all);
  }
  std::string tools = f.can_build() ? "cmake and a C++ compiler" + std::string(f.ccache.empty() ? "" : " (ccache)")
                                    : "no cmake or C++ compiler";
  j.say("preflight", j.op.host + ": " + f.os + " " + f.arch + ", " + std::to_string(f.cpus) + " CPUs, " +
                       std::to_string(f.disk_kb >> 20) + " GiB free, " + tools + ", " +
                       (f.systemd == "yes" ? "systemd user session" : "no systemd user session (background start)"));
  return job_result{};
}

caf::expected<job_result> ship(remote_job& j) {
  std::string bin = j.o.rbee_binary.empty() ? self_exe() : j.o.rbee_binary;
  std::string local_hash = sha256_file(bin);
  int fd = ::open(bin.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || local_hash.empty()) return make_error(errc::internal, "cannot read this rbee (" + bin + ")");
  j.say("copy", "copying this rbee to " + j.op.host + " over the ssh connection");
  child_options co;
  co.stdin_fd = fd;
  co.keep_stdout_bytes = 256;
  auto r = j.must("copy", std::string(dirs) + "mkdir -p \"$D\" && cat > \"$D/rbee.new\" && chmod 755 \"$D/rbee.new\" && "
                                              "sha256sum \"$D/rbee.new\"", co, 600s, true);
  ::close(fd);
  if (!r) return std::move(r.error());
  if (r->run.stdout_text.substr(0, 64) != local_hash)
    return make_error(errc::checksum_mismatch, "the copy on " + j.op.host + " does not have this rbee's SHA-256");
  return activate_binary(j, "this rbee (sha256 " + local_hash.substr(0, 16) + "…)");
}

caf::expected<job_result> credentials(remote_job& j) {
  j.say("credentials", "making " + j.hive_id() + "'s key on " + j.op.host + " and signing its certificate here");
  child_options co;
  co.keep_stdout_bytes = 16 * 1024;
  auto csr = j.must("credentials", std::string(dirs) + "\"$D/rbee\" hive csr --id " + shell_quote(j.hive_id()), co,
                    60s, true);
  if (!csr) return std::move(csr.error());
  auto files = cluster::queen_paths(j.o.state_dir);
  if (auto made = cluster::init_queen(files); !made) return make_error(made.error());
  auto t = cluster::add_hive(files, j.hive_id(), j.op.address.empty() ? j.o.advertise : j.op.address,
                             csr->run.stdout_text, 24LL * 3600 * 1000, now_ms());
  if (!t) return make_error(t.error());
  child_options in;
  in.stdin_text = cluster::encode(*t);
  auto joined = j.must("credentials", std::string(dirs) + "\"$D/rbee\" hive join -", in, 60s);
  if (!joined) return std::move(joined.error());
  return job_result{};
}

/// Install: this rbee's binary where the host can run it, else (or when asked)
/// a build from source there.
caf::expected<job_result> place_rbee(remote_job& j, const host_facts& f) {
  std::string how = j.op.build.empty() ? "auto" : j.op.build;
  utsname u{};
  ::uname(&u);
  bool same_arch = f.arch == u.machine;
  std::string no_tools = j.op.host + " has no cmake or C++ compiler to build rbee from source (install them there: "
                                     "scripts/deps.sh of rbee's source lists what it needs)";
  if (how == "binary" && !same_arch)
    return make_error(errc::platform_unsupported, "this rbee is built for " + std::string(u.machine) + ", " + j.op.host +
                                                    " runs " + f.arch + ": build it there from source (--build source)");
  if (how == "source" || !same_arch) {
    if (!f.can_build()) return make_error(errc::platform_unsupported, no_tools);
    if (!same_arch) j.say("build", j.op.host + " runs " + f.arch + ", this rbee " + u.machine + ": building it there from source");
    return build_from_source(j, f);
  }
  auto shipped = ship(j);
  if (shipped || how == "binary" || code_of(shipped.error()) != errc::platform_unsupported) return shipped;
  if (!f.can_build()) return make_error(errc::platform_unsupported, message_of(shipped.error()) + "; and " + no_tools);
  j.say("build", "this rbee does not run on " + j.op.host + " (" + message_of(shipped.error()) + "): building it there from source",
        level::warn);
  return build_from_source(j, f);
}

std::string start_command(const std::string& systemd) {
  if (systemd == "yes")
    return std::string(dirs) +
           "mkdir -p \"$U\" && printf '[Unit]\\nDescription=rbee hive\\nAfter=network-online.target\\n\\n"
           "[Service]\\nExecStart=%s hive\\nRestart=on-failure\\nRestartSec=2\\n\\n[Install]\\nWantedBy=default.target\\n' "
           "\"$D/rbee\" > \"$U/rbee-hive.service\" && systemctl --user daemon-reload && "
           "systemctl --user enable rbee-hive >/dev/null 2>&1; systemctl --user restart rbee-hive";
  return std::string(dirs) +
         "mkdir -p \"$S\" && if [ -f \"$S/hive.pid\" ] && kill -0 \"$(cat \"$S/hive.pid\")\" 2>/dev/null; then "
         "kill \"$(cat \"$S/hive.pid\")\"; sleep 1; fi; "
         "nohup setsid \"$D/rbee\" hive >> \"$S/hive.log\" 2>&1 < /dev/null & echo $! > \"$S/hive.pid\"";
}

caf::expected<job_result> start(remote_job& j, queen_actor queen, const std::string& systemd, bool wait) {
  uint64_t before = 0;
  joined(j.sys, queen, j.hive_id(), 0, &before);
  auto r = j.must("start", start_command(systemd), {}, 60s);
  if (!r) return std::move(r.error());
  j.say("start", "started the hive on " + j.op.host + (systemd == "yes" ? " (systemd user unit rbee-hive)" : " (background)"));
  if (!wait) return job_result{action_result{"started", j.hive_id()}};
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(j.o.join_timeout_s);
  auto next_say = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() < deadline && !j.cancel()) {
    if (joined(j.sys, queen, j.hive_id(), before, nullptr)) {
      j.say("join", "hive " + j.hive_id() + " on " + j.op.host + " has joined the queen");
      return job_result{action_result{"installed", j.hive_id()}};
    }
    if (std::chrono::steady_clock::now() >= next_say) {
      auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - std::chrono::steady_clock::now()).count();
      j.say("join", "waiting for " + j.hive_id() + " to join (" + std::to_string(left) + " s left)");
      next_say += 5s;
    }
    std::this_thread::sleep_for(200ms);
  }
  j.say("join", "the last lines of its log:", level::warn);
  (void)j.run("join", std::string(dirs) + "tail -n 5 \"$S/hive.log\" 2>/dev/null", {}, 30s); // narrated line by line
  std::string where = j.op.address.empty() ? j.o.advertise : j.op.address;
  return make_error(errc::timeout, "hive " + j.hive_id() + " did not join within " + std::to_string(j.o.join_timeout_s) +
                                     " s (is " + where + " reachable from " + j.op.host + "?)");
}

caf::expected<job_result> stop(remote_job& j) {
  auto r = j.must("stop", std::string(dirs) + "if " + has_systemd +
                            " && [ -f \"$U/rbee-hive.service\" ]; then systemctl --user stop rbee-hive; fi; "
                            "if [ -f \"$S/hive.pid\" ]; then kill \"$(cat \"$S/hive.pid\")\" 2>/dev/null; rm -f \"$S/hive.pid\"; fi; true",
                  {}, 60s);
  if (!r) return std::move(r.error());
  j.say("stop", "stopped the hive on " + j.op.host);
  return job_result{action_result{"stopped", j.hive_id()}};
}

caf::expected<job_result> status(remote_job& j, queen_actor queen) {
  child_options co;
  co.keep_stdout_bytes = 1024;
  auto r = j.must("status", std::string(dirs) +
                              "if [ -x \"$D/rbee\" ]; then echo installed=yes; else echo installed=no; fi; "
                              "if [ -f \"$S/hive.pid\" ] && kill -0 \"$(cat \"$S/hive.pid\")\" 2>/dev/null; then echo running=yes; "
                              "elif " + has_systemd + " && systemctl --user is-active rbee-hive >/dev/null 2>&1; then echo running=yes; "
                              "else echo running=no; fi",
                  co, 60s, true);
  if (!r) return std::move(r.error());
  auto kv = key_values(r->run.stdout_text);
  bool online = joined(j.sys, queen, j.hive_id(), 0, nullptr);
  std::string state = online ? "online" : kv["installed"] != "yes" ? "not installed" : kv["running"] == "yes" ? "running, not joined" : "installed, stopped";
  j.say("status", j.op.host + ": " + state);
  return job_result{action_result{state, j.hive_id()}};
}

caf::expected<job_result> uninstall(remote_job& j) {
  if (auto s = stop(j); !s) return s;
  auto r = j.must("uninstall", std::string(dirs) +
                                 "if " + has_systemd + "; then systemctl --user disable rbee-hive >/dev/null 2>&1; fi; "
                                 "rm -f \"$U/rbee-hive.service\" \"$D/rbee\" \"$D/rbee.new\"; rm -rf \"$S/cluster/hive\" \"$B\"",
                   {}, 60s);
  if (!r) return std::move(r.error());
  (void)cluster::remove_hive(cluster::queen_paths(j.o.state_dir), j.hive_id());
  j.say("uninstall", "removed rbee and " + j.hive_id() + "'s credentials from " + j.op.host + "; its secret no longer joins");
  return job_result{action_result{"removed", j.hive_id()}};
}

} // namespace

caf::expected<job_result> run_remote(const remote_options& o, const hive_remote_op& op, const std::string& job_id,
                                     bridge_actor bridge, queen_actor queen, caf::actor_system& sys,
                                     std::shared_ptr<std::atomic<bool>> cancel) {
  remote_job j{o, op, job_id, std::move(bridge), sys, {}, std::move(cancel)};
  j.ssh.program = o.ssh_program;
  j.ssh.control_dir = o.cache_dir + "/ssh";
  j.ssh.strict_host_keys = o.strict_host_keys;
  if (!o.ssh_config.empty()) j.ssh.extra = {"-F", o.ssh_config};
  if (!cluster::valid_alias(op.host)) return make_error(errc::invalid_value, "not an ssh host alias: '" + op.host + "'");
  if (!op.build.empty() && op.build != "auto" && op.build != "binary" && op.build != "source")
    return make_error(errc::invalid_value, "unknown build '" + op.build + "' (auto, binary, source)");
  static const std::set<std::string> actions = {"install", "start", "stop", "status", "uninstall"};
  if (!actions.count(op.action)) // before any ssh: a wrong verb never reaches a host
    return make_error(errc::invalid_value, "unknown action '" + op.action + "' (install, start, stop, status, uninstall)");
  if ((op.action == "install" || op.action == "start") && !o.has_cluster_port)
    return make_error(errc::invalid_value, "`rbee serve` runs one machine and has no cluster port: hives on other machines "
                                           "join a queen (`rbee queen --bind ADDRESS`, see \"A cluster on your own machines\")");
  if (op.action == "install" && o.advertise.empty() && op.address.empty())
    return make_error(errc::invalid_value,
                      "the queen's cluster port listens on loopback only: start it with --bind ADDRESS (and an api_token), "
                      "or say where hives reach it (cluster_advertise or \"address\")");
  j.say("connect", "connecting to " + op.host + " with ssh (one shared connection)");
  if (auto c = cluster::ssh_open(j.ssh, op.host, 60, j.cancel()); !c) return make_error(c.error());
  caf::expected<job_result> r{job_result{}};
  host_facts f;
  if (op.action == "install") {
    r = preflight(j, f);
    if (r) r = place_rbee(j, f);
    if (r) r = credentials(j);
    if (r) r = start(j, queen, f.systemd, true);
  } else if (op.action == "start") {
    r = preflight(j, f);
    if (r) r = start(j, queen, f.systemd, true);
  } else if (op.action == "stop") {
    r = stop(j);
  } else if (op.action == "status") {
    r = status(j, queen);
  } else {
    r = uninstall(j);
  }
  return r;
}

} // namespace rbee
