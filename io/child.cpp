#include "io/child.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rbee {

namespace {

constexpr size_t max_line = 16 << 10; // longer lines are cut (progress bars without newlines)

struct child {
  pid_t pid = -1;
  int out = -1;
  int err = -1;
  int in = -1; ///< the write end of stdin, when we feed it bytes
};

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

outcome<child> spawn(const std::vector<std::string>& args, const child_options& opts) {
  int o[2], e[2], i[2] = {-1, -1};
  if (::pipe2(o, O_CLOEXEC) != 0) return fail_with(errc::internal, "pipe failed");
  if (::pipe2(e, O_CLOEXEC) != 0) {
    ::close(o[0]);
    ::close(o[1]);
    return fail_with(errc::internal, "pipe failed");
  }
  bool feed = opts.stdin_fd < 0 && !opts.stdin_text.empty();
  if (feed && ::pipe2(i, O_CLOEXEC) != 0) {
    for (int fd : {o[0], o[1], e[0], e[1]}) ::close(fd);
    return fail_with(errc::internal, "pipe failed");
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (opts.stdin_fd >= 0)
    posix_spawn_file_actions_adddup2(&fa, opts.stdin_fd, 0);
  else if (feed)
    posix_spawn_file_actions_adddup2(&fa, i[0], 0);
  else
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, o[1], 1);
  posix_spawn_file_actions_adddup2(&fa, e[1], 2);
  if (opts.pass_fd >= 0) posix_spawn_file_actions_adddup2(&fa, opts.pass_fd, child_passed_fd); // != child_passed_fd
  posix_spawn_file_actions_addchdir_np(&fa, opts.cwd.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setpgroup(&attr, 0); // its own group: cancel kills every process it started
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  std::vector<std::string> args_copy = args, env_copy = opts.env;
  std::vector<char*> argv, envp;
  for (auto& a : args_copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& v : env_copy) envp.push_back(v.data());
  envp.push_back(nullptr);
  child c;
  int rc = posix_spawn(&c.pid, argv[0], &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(o[1]);
  ::close(e[1]);
  if (feed) ::close(i[0]);
  if (rc != 0) {
    ::close(o[0]);
    ::close(e[0]);
    if (feed) ::close(i[1]);
    return fail_with(errc::internal, "cannot start " + args[0] + ": " + std::strerror(rc));
  }
  c.out = o[0];
  c.err = e[0];
  if (feed) {
    c.in = i[1];
    ::fcntl(c.in, F_SETFL, ::fcntl(c.in, F_GETFL) | O_NONBLOCK);
  }
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

bool leader_exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

} // namespace

std::string find_system_program(const char* exe) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/local/bin", "/usr/sbin"}) {
    std::string p = std::string(dir) + "/" + exe;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

std::string shell_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string find_program(const std::string& exe) {
  if (exe.empty()) return "";
  if (exe.find('/') != std::string::npos) return ::access(exe.c_str(), X_OK) == 0 ? exe : "";
  if (const char* path = std::getenv("PATH")) {
    std::string_view rest = path;
    while (!rest.empty()) {
      auto colon = rest.find(':');
      std::string dir(rest.substr(0, colon));
      rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
      if (dir.empty() || dir[0] != '/') continue; // a relative PATH entry is never searched
      std::string p = dir + "/" + exe;
      if (::access(p.c_str(), X_OK) == 0) return p;
    }
  }
  return find_system_program(exe.c_str());
}

outcome<child_result> run_child(const std::vector<std::string>& args, const child_options& opts,
                                const line_callback& on_line, const std::atomic<bool>& cancel) {
  if (args.empty() || args[0].empty() || args[0][0] != '/')
    return fail_with(errc::invalid_value, "a program must be given by its absolute path");
  auto c = spawn(args, opts);
  if (!c) return c.error();
  child_result r;
  line_splitter out{{}, false}, err{{}, true};
  pollfd fds[3] = {{c->out, POLLIN, 0}, {c->err, POLLIN, 0}, {c->in, POLLOUT, 0}};
  int open_fds = 2;
  size_t fed = 0;
  char buf[8192];
  bool leader_done = false;
  auto deadline = opts.timeout.count() > 0 ? std::chrono::steady_clock::now() + opts.timeout
                                           : std::chrono::steady_clock::time_point::max();
  // After the program exits, at most 2 s more for processes that escaped the group and hold the pipes.
  auto drain_until = std::chrono::steady_clock::time_point::max();
  while (open_fds > 0 && std::chrono::steady_clock::now() < drain_until) {
    bool late = std::chrono::steady_clock::now() > deadline;
    if ((cancel.load() || late) && !r.cancelled && !r.timed_out) {
      (late ? r.timed_out : r.cancelled) = true;
      ::kill(-c->pid, SIGKILL);
    }
    if (!leader_done && leader_exited(c->pid)) { // background leftovers must not keep the pipes open
      leader_done = true;
      drain_until = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      if (opts.kill_leftovers) ::kill(-c->pid, SIGKILL);
    }
    int n = ::poll(fds, 3, 100);
    if (n < 0 && errno != EINTR) break;
    if (fds[2].fd >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w = ::write(fds[2].fd, opts.stdin_text.data() + fed, opts.stdin_text.size() - fed);
      if (w > 0) fed += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN && errno != EINTR) || fed == opts.stdin_text.size()) {
        close_fd(c->in);
        fds[2].fd = -1;
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        if (i == 0 && opts.keep_stdout_bytes) {
          size_t room = opts.keep_stdout_bytes - std::min(opts.keep_stdout_bytes, r.stdout_text.size());
          r.stdout_text.append(buf, std::min(room, static_cast<size_t>(got)));
          r.stdout_truncated = r.stdout_truncated || static_cast<size_t>(got) > room;
        }
        (i ? err : out).feed(buf, static_cast<size_t>(got), on_line, r.tail, opts.tail_lines);
      } else if (got == 0 || errno != EINTR) {
        close_fd(fds[i].fd);
        --open_fds;
      }
    }
  }
  for (int i = 0; i < 2; ++i) close_fd(fds[i].fd);
  close_fd(c->in);
  for (auto* s : {&out, &err})
    if (!s->buf.empty()) s->flush(on_line, r.tail, opts.tail_lines);
  // Both pipes closed: the leader is exiting (it closes its output before it is
  // reaped). Give it a moment, so that killing the group's leftovers cannot make a
  // program that succeeded look killed (exit 137).
  for (int i = 0; i < 200 && !leader_done && !r.cancelled && !r.timed_out; ++i) {
    if (leader_exited(c->pid)) break;
    ::usleep(10'000);
  }
  if (opts.kill_leftovers || r.cancelled || r.timed_out) ::kill(-c->pid, SIGKILL); // what of the group holds no pipe
  int status = 0;
  while (::waitpid(c->pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

} // namespace rbee
