// `rbee worker`: one model in its own process, joined to its hive over CAF.
#include "actors/node/runtime.hpp"
#include "actors/worker/worker.hpp"
#include "cli/engine.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <thread>

namespace rbee::cli {

int run_worker(config::settings s, const worker_args& a) {
  block_stop_signals();
  if (a.exit_with_parent) { // SIGKILL of the hive's process must not leave this one behind
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) return failure; // it died before we asked
  }
  auto colon = a.hive.rfind(':');
  int port = colon == std::string::npos ? -1 : std::atoi(a.hive.c_str() + colon + 1);
  if (colon == std::string::npos || port <= 0 || port > 65535) {
    std::cerr << "rbee worker: --hive must be HOST:PORT, got '" << a.hive << "'\n";
    return usage;
  }
  // The secret the hive started this process with: presented when joining, then
  // out of the environment (nothing this process starts inherits it).
  const char* secret_env = std::getenv("RBEE_WORKER_SECRET");
  std::string secret = secret_env ? secret_env : "";
  ::unsetenv("RBEE_WORKER_SECRET");
  caf::actor_system_config cfg;
  configure_actor_system(cfg, s, true);
  caf::actor_system sys{cfg};
  worker_options o;
  o.worker_id = a.id.empty() ? "worker-" + std::to_string(getpid()) : a.id;
  o.model = a.name.empty() ? a.model : a.name;
  o.model_path = a.model;
  o.slots = a.slots;
  o.n_ctx = a.ctx;
  if (const char* mib = std::getenv("RBEE_PROMPT_CACHE_MIB")) { // set by the hive; a bad value keeps the default
    char* end = nullptr;
    long v = std::strtol(mib, &end, 10);
    if (*mib && !*end && v >= 0 && v <= (1 << 20)) o.prompt_cache_mib = static_cast<int>(v);
  }
  o.device = a.device;
  auto worker = spawn_worker(sys, o);
  int rc = ok;
  {
    caf::scoped_actor self{sys};
    worker_info info;
    self->request(worker, std::chrono::minutes(10), info_atom::value)
      .receive([&](worker_info& i) { info = i; }, [&](caf::error&) { info.state = worker_state::failed; });
    if (info.state != worker_state::ready) {
      std::cerr << "rbee worker: cannot load " << a.model << (info.error.empty() ? "" : ": " + info.error) << "\n";
      rc = 3;
    } else {
      auto hive = sys.middleman().remote_actor<worker_gate_actor>(a.hive.substr(0, colon), static_cast<uint16_t>(port));
      if (!hive) {
        std::cerr << "rbee worker: cannot reach the hive at " << a.hive << ": " << sys.render(hive.error()) << "\n";
        rc = failure;
      } else {
        std::atomic<bool> gone{false};
        // Ends this process when the hive or the worker goes away.
        auto h = *hive;
        std::atomic<bool>* flag = &gone;
        auto watch = sys.spawn([flag, h, worker](caf::event_based_actor* w) {
          w->monitor(h);
          w->monitor(worker);
          w->set_down_handler([flag, w](caf::down_msg&) {
            *flag = true;
            w->quit();
          });
          return caf::behavior{[](int) {}};
        });
        caf::anon_send(*hive, worker_up_atom::value, o.worker_id, secret, worker);
        wait_for_stop([&] { return gone.load(); });
        caf::anon_send_exit(watch, caf::exit_reason::user_shutdown);
      }
    }
  }
  caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
  // Leave without the actor system's destructor: after its hive vanished, CAF's
  // network layer can keep a reference to the worker actor and make that
  // destructor wait forever. This process has nothing left to flush.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::fflush(nullptr);
  std::_Exit(rc);
}

} // namespace rbee::cli
