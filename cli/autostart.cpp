// When no queen answers on this machine, the keeper starts one: `rbee serve`
// in the background (its own session, output to <state_dir>/serve.log), then
// waits for its /health — the seed's "auto-starts hive". `rbee server` (server_cmd.cpp)
// stops and restarts it.
#include "cli/app.hpp"
#include "cli/client.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

extern char** environ;

namespace rbee::cli {

std::string self_exe() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "rbee";
}

namespace {

/// Starts `rbee serve --port PORT` detached; its pid, or -1 (printed why).
pid_t start_background(const config::settings& s, const std::string& port, std::string& log) {
  std::error_code ec;
  std::filesystem::create_directories(s.state_dir, ec);
  log = s.state_dir + "/serve.log";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::string exe = self_exe();
  std::vector<std::string> args = {exe, "serve", "--port", port};
  if (!s.data_dir.empty()) args.insert(args.end(), {"--data-dir", s.data_dir});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, exe.c_str(), &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    std::fprintf(stderr, "rbee: cannot start rbee serve: %s\n", std::strerror(rc));
    return -1;
  }
  return pid;
}

} // namespace

std::optional<client> connect_or_start(const config::settings& s) {
  auto c = connect(s);
  if (!c) return std::nullopt;
  auto health = net::http_call(c->u, "GET", "/health", {}, c->auth);
  if (health.status != 0) return c; // someone answers (an error status is reported by the caller's request)
  if (!config::is_loopback(c->u.host)) {
    report(*c, health);
    return std::nullopt;
  }
  std::string log;
  pid_t pid = start_background(s, c->u.port, log);
  if (pid < 0) return std::nullopt;
  record_background_server(s, static_cast<int>(pid), c->u.port, log);
  std::fprintf(stderr, "rbee: no server answered at %s; started `rbee serve` in the background (pid %d, log %s)\n",
               c->base.c_str(), static_cast<int>(pid), log.c_str());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      std::fprintf(stderr, "rbee: the background server exited at once; see %s\n", log.c_str());
      return std::nullopt;
    }
    if (net::http_call(c->u, "GET", "/health", {}, c->auth).status == 200) {
      if (!authorize(*c)) return std::nullopt; // the server that answers must be the one we started
      return c;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr, "rbee: the background server did not answer within 30 s; see %s\n", log.c_str());
  return std::nullopt;
}

} // namespace rbee::cli
