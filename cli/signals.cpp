#include "cli/app.hpp"

#include <signal.h>
#include <sys/resource.h>

#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <thread>

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

void exit_after(int seconds) {
  std::thread([seconds] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    timespec wait{seconds, 0};
    bool again = sigtimedwait(&set, nullptr, &wait) > 0;
    std::fprintf(stderr, again ? "rbee: stopped again: exiting now\n"
                               : "rbee: the shutdown took longer than %d s: exiting\n", seconds);
    std::fflush(nullptr);
    _exit(again ? 130 : 0);
  }).detach();
}

void raise_fd_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

} // namespace rbee::cli
