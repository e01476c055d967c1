#include "cli/app.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <ctime>

namespace rbee::cli {

void block_stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool wait_for_stop(const std::function<bool()>& done) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (!done) { // nothing to poll: sleep until a signal comes
    while (sigwaitinfo(&set, nullptr) < 0) {
    }
    return true;
  }
  timespec tick{0, 50'000'000};
  for (;;) {
    if (sigtimedwait(&set, nullptr, &tick) > 0) return true;
    if (done && done()) return false;
  }
}

void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

} // namespace rbee::cli
