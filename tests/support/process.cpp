#include "tests/support/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace rbee::test {

std::string rbee_bin() {
  const char* b = std::getenv("RBEE_BIN");
  return b ? b : "rbee";
}

std::string temp_dir() {
  char tmpl[] = "/tmp/rbee-test-XXXXXX";
  char* d = mkdtemp(tmpl);
  if (!d) throw std::runtime_error("mkdtemp failed");
  return d;
}

namespace {

std::vector<std::string> merged_env(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string kv = *e;
    bool overridden = false;
    for (auto& x : extra) overridden = overridden || kv.substr(0, kv.find('=')) == x.substr(0, x.find('='));
    if (!overridden) env.push_back(kv);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& xs) {
  std::vector<char*> out;
  for (auto& x : xs) out.push_back(x.data());
  out.push_back(nullptr);
  return out;
}

} // namespace

process::process(std::vector<std::string> argv, std::vector<std::string> env, const std::string* input) {
  int fds[2], in_fds[2] = {-1, -1};
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  if (input && pipe2(in_fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  char tmpl[] = "/tmp/rbee-test-stderr-XXXXXX";
  int err_fd = mkstemp(tmpl);
  err_path_ = tmpl;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
  if (input)
    posix_spawn_file_actions_adddup2(&fa, in_fds[0], 0);
  else
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  auto envs = merged_env(env);
  auto cargv = c_strings(argv);
  auto cenv = c_strings(envs);
  int rc = posix_spawn(&pid_, cargv[0], &fa, &attr, cargv.data(), cenv.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(fds[1]);
  close(err_fd);
  out_fd_ = fds[0];
  if (input) {
    close(in_fds[0]);
    size_t done = 0;
    while (done < input->size()) {
      ssize_t n = ::write(in_fds[1], input->data() + done, input->size() - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    close(in_fds[1]);
  }
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

process::~process() {
  if (!status_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  unlink(err_path_.c_str());
}

std::optional<std::string> process::read_line(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto nl = buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return line;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{out_fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char chunk[4096];
    ssize_t n = ::read(out_fd_, chunk, sizeof(chunk));
    if (n <= 0) return std::nullopt;
    buf_.append(chunk, static_cast<size_t>(n));
  }
}

void process::signal(int sig) {
  if (!status_) ::kill(pid_, sig);
}

std::optional<int> process::wait(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int st = 0;
    pid_t r = waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      return status_;
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string process::stderr_text() const {
  std::ifstream in(err_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

run_result run(std::vector<std::string> argv, std::vector<std::string> env,
               std::chrono::milliseconds timeout, const std::string* input) {
  process p(std::move(argv), std::move(env), input);
  run_result r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (auto line = p.read_line(std::chrono::duration_cast<std::chrono::milliseconds>(
           deadline - std::chrono::steady_clock::now())))
    r.out += *line + "\n";
  auto st = p.wait(std::chrono::seconds(5));
  r.status = st ? *st : -1;
  r.err = p.stderr_text();
  return r;
}

int port_of(const std::string& line) {
  auto colon = line.rfind(':');
  if (line.rfind("listening on http://", 0) != 0 || colon == std::string::npos) return 0;
  return std::atoi(line.c_str() + colon + 1);
}

} // namespace rbee::test
