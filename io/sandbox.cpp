#include "io/sandbox.hpp"

#include "io/child.hpp"
#include "io/sandbox_filter.hpp"
#include "io/outcome.hpp"

#include <chrono>

#include <fcntl.h>
#include <unistd.h>

namespace rbee {

namespace {

constexpr const char* path_env = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

} // namespace

bool sandbox_available(std::string* why) {
  std::string bwrap = find_system_program("bwrap");
  if (bwrap.empty()) {
    if (why) *why = "bubblewrap (bwrap) is not installed: apt-get install bubblewrap";
    return false;
  }
  child_options co;
  co.timeout = std::chrono::seconds(20);
  std::atomic<bool> no{false};
  auto r = run_child({bwrap, "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "/bin/true"}, co, {}, no);
  if (!r) {
    if (why) *why = r.error().message;
    return false;
  }
  if (r->exit_code != 0) {
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
    if (filter == child_passed_fd) { // dup2 onto itself would keep close-on-exec
      int moved = ::fcntl(filter, F_DUPFD_CLOEXEC, child_passed_fd + 1);
      ::close(filter);
      filter = moved;
    }
    args = {find_system_program("bwrap"), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"};
    for (auto& h : sandbox_detail::hidden_dirs(opts.hide)) args.insert(args.end(), {"--tmpfs", h});
    args.insert(args.end(), {"--bind", opts.tree, opts.tree, "--unshare-all", "--die-with-parent", "--new-session",
                             "--seccomp", std::to_string(child_passed_fd), "--chdir", opts.tree, "--"});
  }
  std::string bash = find_system_program("bash");
  if (bash.empty()) return fail_with(errc::platform_unsupported, "bash is not installed");
  args.insert(args.end(), {bash, "--noprofile", "--norc", "-e", "-c", script});
  if (::access(opts.tree.c_str(), W_OK) != 0)
    return fail_with(errc::invalid_value, "the build tree is not a writable directory: " + opts.tree);
  child_options co;
  co.env = std::move(env);
  co.cwd = opts.tree;
  co.pass_fd = filter;
  co.tail_lines = opts.tail_lines;
  auto c = run_child(args, co, on_line, cancel);
  if (!c) return c.error();
  script_result r;
  r.exit_code = c->exit_code;
  r.tail = std::move(c->tail);
  r.cancelled = c->cancelled;
  return r;
}

} // namespace rbee
