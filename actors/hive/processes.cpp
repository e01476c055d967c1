// Workers in child processes: the hive starts `rbee worker`, which joins it over
// CAF on a loopback port; the hive watches both the actor (down messages) and
// the process (exit status), and fails only that worker's jobs when it dies.
#include "actors/hive/state.hpp"
#include "actors/worker/worker.hpp"

#include <caf/actor_system.hpp>
#include <caf/io/middleman.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <thread>

extern char** environ;

namespace rbee {

namespace {

std::string describe(int status) {
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = sigabbrev_np(sig);
    return "killed by signal " + std::to_string(sig) + (name ? std::string(" (SIG") + name + ")" : "");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 3) return "exited with status 3: it could not load the model";
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  return "ended";
}

} // namespace

std::vector<std::string> worker_environment(char** env) {
  static const char* const names[] = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR",
                                      "XDG_RUNTIME_DIR", "XDG_CACHE_HOME", "LD_LIBRARY_PATH", "OPENBLAS_CORETYPE",
                                      "OPENBLAS_L2_SIZE", "TBB_NUM_THREADS"};
  static const char* const prefixes[] = {"LC_", "CUDA_", "NVIDIA_", "RBEE_"};
  auto secret = [](std::string_view name) {
    for (auto word : {"TOKEN", "SECRET", "PASSWORD", "PASSPHRASE", "KEY", "CREDENTIAL"})
      if (name.find(word) != std::string_view::npos) return true;
    return false;
  };
  std::vector<std::string> out;
  for (char** e = env; e && *e; ++e) {
    std::string_view v(*e);
    auto eq = v.find('=');
    if (eq == std::string_view::npos) continue;
    auto name = v.substr(0, eq);
    bool keep = false;
    for (auto n : names) keep = keep || name == n;
    for (auto p : prefixes) keep = keep || name.starts_with(p);
    if (keep && !secret(name)) out.emplace_back(v);
  }
  return out;
}

namespace {

/// The hive's loopback port publishes this: worker_up and nothing else reaches the
/// hive from there. It ends with the hive.
worker_gate_actor::behavior_type worker_gate(worker_gate_actor::pointer self, hive_actor hive) {
  self->link_to(hive);
  return {
    [=](worker_up_atom, const std::string& id, const std::string& secret, worker_actor w) {
      self->send(hive, worker_up_atom::value, id, secret, std::move(w));
    },
  };
}

} // namespace

caf::expected<int> hive_start_process(hive_ptr self, const worker_options& o, const std::string& secret,
                                      const std::string& program, int program_fd) {
  auto& st = self->state;
  if (!self->system().has_middleman())
    return make_error(errc::unavailable, "worker processes need the network layer (this process has none)");
  if (!st.worker_port) {
    if (!st.worker_gate) st.worker_gate = self->system().spawn(worker_gate, hive_actor{self});
    auto port = self->system().middleman().publish(st.worker_gate, 0, "127.0.0.1", true);
    if (!port) return make_error(errc::unavailable, "cannot open a port for worker processes: " + self->system().render(port.error()));
    st.worker_port = *port;
  }
  std::string bin = program.empty() ? st.opts.rbee_binary : program;
  if (bin.empty()) { // this very executable, by its real name (for ps)
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
    bin = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "/proc/self/exe";
  }
  std::vector<std::string> args = {bin, "worker", "--hive", "127.0.0.1:" + std::to_string(st.worker_port),
                                   "--model", o.model_path, "--id", o.worker_id, "--name", o.model,
                                   "--slots", std::to_string(o.slots), "--ctx", std::to_string(o.n_ctx), "--exit-with-parent", "--device", o.device.empty() ? std::string("cpu") : o.device};
  if (!program.empty()) args.erase(args.begin() + 1); // rbee-worker takes the flags alone
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none); // the child handles its own stop signals
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  auto env = worker_environment(environ);
  env.push_back("RBEE_WORKER_SECRET=" + secret);
  env.push_back("RBEE_PROMPT_CACHE_MIB=" + std::to_string(o.prompt_cache_mib)); // an environment variable: older worker binaries ignore it
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  // An installed worker runs from the descriptor whose hash was checked (the child
  // holds it as descriptor 3 until exec); argv[0] keeps the real path for ps.
  // Nothing else of the hive's is inherited: its listening sockets (the API port,
  // CAF's), model files and pipes are closed in the child (some lack O_CLOEXEC).
  posix_spawn_file_actions_t files;
  posix_spawn_file_actions_init(&files);
  if (program_fd >= 0) posix_spawn_file_actions_adddup2(&files, program_fd, 3);
  posix_spawn_file_actions_addclosefrom_np(&files, program_fd >= 0 ? 4 : 3);
  std::string exe = program_fd >= 0 ? "/proc/self/fd/3" : bin;
  pid_t pid = 0;
  int rc = posix_spawn(&pid, exe.c_str(), &files, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&files);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return make_error(errc::unavailable, std::string("cannot start a worker process: ") + std::strerror(rc));
  st.children[pid] = o.worker_id;
  return static_cast<int>(pid);
}

void hive_close_worker_port(hive_ptr self) {
  auto& st = self->state;
  if (!st.worker_port || !self->system().has_middleman()) return;
  for (auto& [id, w] : st.workers)
    if (w.pid && !w.handle) return; // one is still starting
  // Joined workers keep their connections; only the listening port closes.
  (void)self->system().middleman().unpublish(st.worker_gate, st.worker_port);
  st.worker_port = 0;
}

std::string hive_child_exit(hive_ptr self, const std::string& id, int wait_ms) {
  auto& st = self->state;
  for (auto it = st.children.begin(); it != st.children.end(); ++it) {
    if (it->second != id) continue;
    for (int waited = 0;; waited += 10) {
      int status = 0;
      if (waitpid(it->first, &status, WNOHANG) == it->first) {
        st.children.erase(it);
        return describe(status);
      }
      if (waited >= wait_ms) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  return "";
}

void hive_reap_processes(hive_ptr self) {
  auto& st = self->state;
  for (auto it = st.children.begin(); it != st.children.end();) {
    int status = 0;
    if (waitpid(it->first, &status, WNOHANG) != it->first) {
      ++it;
      continue;
    }
    std::string id = it->second;
    it = st.children.erase(it);
    if (st.workers.count(id)) hive_worker_died(self, id, describe(status));
  }
}

} // namespace rbee
