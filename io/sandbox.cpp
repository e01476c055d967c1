#include "io/sandbox.hpp"

#include "io/sandbox_filter.hpp"
#include "io/outcome.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rbee {

namespace {

constexpr size_t max_line = 16 << 10; // longer lines are cut (progress bars without newlines)
constexpr const char* path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string find_in_path(const char* exe) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin"}) {
    std::string p = std::string(dir) + "/" + exe;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

struct child {
  pid_t pid = -1;
  int out = -1;
  int err = -1;
};

/// The descriptor number a child finds `pass_fd` under (bwrap's --seccomp).
constexpr int passed_fd = 9;

outcome<child> spawn(std::vector<std::string> args, const std::vector<std::string>& env, const std::string& cwd,
                           int pass_fd = -1) {
  int o[2], e[2];
  if (::pipe2(o, O_CLOEXEC) != 0) return fail_with(errc::internal, "pipe failed");
  if (::pipe2(e, O_CLOEXEC) != 0) {
    ::close(o[0]);
    ::close(o[1]);
    return fail_with(errc::internal, "pipe failed");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, o[1], 1);
  posix_spawn_file_actions_adddup2(&fa, e[1], 2);
  if (pass_fd >= 0) posix_spawn_file_actions_adddup2(&fa, pass_fd, passed_fd); // pass_fd != passed_fd: see run_script
  posix_spawn_file_actions_addchdir_np(&fa, cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0); // its own group: cancel kills every process of the build
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_copy = env;
  for (auto& v : env_copy) envp.push_back(v.data());
  envp.push_back(nullptr);
  child c;
  int rc = posix_spawn(&c.pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(o[1]);
  ::close(e[1]);
  if (rc != 0) {
    ::close(o[0]);
    ::close(e[0]);
    return fail_with(errc::internal, "cannot start " + args[0] + ": " + std::strerror(rc));
  }
  c.out = o[0];
  c.err = e[0];
  return c;
}

/// Splits a stream into lines for the callback and the tail.
struct line_splitter {
  std::string buf;
  bool is_stderr;
  void feed(const char* p, size_t n, const line_callback& cb, std::deque<std::string>& tail, size_t keep) {
    for (size_t i = 0; i < n; ++i) {
      if (p[i] == '\n' || buf.size() >= max_line) {
        flush(cb, tail, keep);
        if (p[i] == '\n') continue;
      }
      buf += p[i];
    }
  }
  void flush(const line_callback& cb, std::deque<std::string>& tail, size_t keep) {
    if (!buf.empty() && buf.back() == '\r') buf.pop_back();
    if (cb) cb(buf, is_stderr);
    tail.push_back(std::move(buf));
    while (tail.size() > keep) tail.pop_front();
    buf.clear();
  }
};

} // namespace

bool sandbox_available(std::string* why) {
  std::string bwrap = find_in_path("bwrap");
  if (bwrap.empty()) {
    if (why) *why = "bubblewrap (bwrap) is not installed: apt-get install bubblewrap";
    return false;
  }
  auto r = spawn({bwrap, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "/bin/true"}, {}, "/");
  if (!r) {
    if (why) *why = r.error().message;
    return false;
  }
  ::close(r->out);
  ::close(r->err);
  int status = 0;
  ::waitpid(r->pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (why) *why = "bubblewrap cannot create namespaces here (unprivileged user namespaces disabled?)";
    return false;
  }
  return true;
}

outcome<script_result> run_script(const std::string& script, const sandbox_options& opts, const line_callback& on_line,
                                        const std::atomic<bool>& cancel) {
  if (opts.tree.empty() || opts.tree[0] != '/') return fail_with(errc::invalid_value, "the build tree must be an absolute path");
  std::vector<std::string> env = {std::string("PATH=") + path_env, "HOME=" + opts.tree, "LANG=C.UTF-8", "TERM=dumb"};
  for (auto& [k, v] : opts.env) env.push_back(k + "=" + v);
  std::vector<std::string> args;
  int filter = -1;
  struct closer {
    int& fd;
    ~closer() {
      if (fd >= 0) ::close(fd);
    }
  } close_filter{filter};
  if (opts.sandbox) {
    std::string why;
    if (!sandbox_available(&why))
      return fail_with(errc::platform_unsupported, "no sandbox for the build: " + why + " (or pass --no-sandbox)");
    filter = sandbox_detail::seccomp_filter_fd(&why);
    if (filter < 0) return fail_with(errc::platform_unsupported, why);
    if (filter == passed_fd) { // dup2 onto itself would keep close-on-exec
      int moved = ::fcntl(filter, F_DUPFD_CLOEXEC, passed_fd + 1);
      ::close(filter);
      filter = moved;
    }
    args = {find_in_path("bwrap"), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"};
    for (auto& h : sandbox_detail::hidden_dirs(opts.hide)) args.insert(args.end(), {"--tmpfs", h});
    args.insert(args.end(), {"--bind", opts.tree, opts.tree, "--unshare-all", "--die-with-parent", "--new-session",
                             "--seccomp", std::to_string(passed_fd), "--chdir", opts.tree, "--"});
  }
  std::string bash = find_in_path("bash");
  if (bash.empty()) return fail_with(errc::platform_unsupported, "bash is not installed");
  args.insert(args.end(), {bash, "--noprofile", "--norc", "-e", "-c", script});
  if (::access(opts.tree.c_str(), W_OK) != 0)
    return fail_with(errc::invalid_value, "the build tree is not a writable directory: " + opts.tree);
  auto c = spawn(args, env, opts.tree, filter);
  if (!c) return c.error();
  script_result r;
  line_splitter out{{}, false}, err{{}, true};
  pollfd fds[2] = {{c->out, POLLIN, 0}, {c->err, POLLIN, 0}};
  int open_fds = 2;
  char buf[8192];
  bool leader_done = false;
  // After bash exits, at most 2 s more for processes that escaped the group and hold the pipes.
  auto drain_until = std::chrono::steady_clock::time_point::max();
  while (open_fds > 0 && std::chrono::steady_clock::now() < drain_until) {
    if (cancel.load() && !r.cancelled) {
      r.cancelled = true;
      ::kill(-c->pid, SIGKILL);
    }
    if (!leader_done) { // bash is done: background leftovers must not keep the pipes open
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(c->pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == c->pid) {
        leader_done = true;
        drain_until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        ::kill(-c->pid, SIGKILL);
      }
    }
    int n = ::poll(fds, 2, 100);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        (i ? err : out).feed(buf, static_cast<size_t>(got), on_line, r.tail, opts.tail_lines);
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  for (auto* s : {&out, &err})
    if (!s->buf.empty()) s->flush(on_line, r.tail, opts.tail_lines);
  // Both pipes closed: the leader is exiting (it closes its output before it is
  // reaped). Give it a moment, so that killing the group's leftovers cannot make a
  // script that succeeded look killed (exit 137).
  for (int i = 0; i < 200 && !leader_done && !r.cancelled; ++i) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(c->pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == c->pid)
      break;
    ::usleep(10'000);
  }
  ::kill(-c->pid, SIGKILL); // whatever of the group still holds no pipe
  int status = 0;
  while (::waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

} // namespace rbee
