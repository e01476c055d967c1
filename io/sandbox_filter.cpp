#include "io/sandbox_filter.hpp"

#include <seccomp.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <pwd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

namespace rbee::sandbox_detail {

namespace {

/// The canonical form of an existing directory, or "".
std::string canonical_dir(const std::string& p) {
  if (p.empty() || p[0] != '/') return "";
  char buf[PATH_MAX];
  if (!::realpath(p.c_str(), buf)) return "";
  return buf;
}

bool inside(const std::string& path, const std::string& dir) {
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
                         (dir == "/" || path[dir.size()] == '/'));
}

} // namespace

std::vector<std::string> hidden_dirs(const std::vector<std::string>& extra) {
  std::vector<std::string> want = {"/home", "/root", "/run", "/var/run", "/tmp", "/var/tmp", "/dev/shm"};
  if (const char* h = std::getenv("HOME")) want.emplace_back(h);
  if (const char* x = std::getenv("XDG_RUNTIME_DIR")) want.emplace_back(x);
  if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir) want.emplace_back(pw->pw_dir);
  want.insert(want.end(), extra.begin(), extra.end());
  std::vector<std::string> out;
  for (auto& w : want) {
    std::string c = canonical_dir(w);
    if (c.empty() || c == "/") continue; // missing (nothing to hide), or the root itself
    bool covered = false;
    for (auto& o : out) covered = covered || inside(c, o);
    if (covered) continue;
    std::erase_if(out, [&](const std::string& o) { return inside(o, c); }); // c covers them
    out.push_back(c);
  }
  return out;
}

int seccomp_filter_fd(std::string* why) {
  auto fail = [&](const char* what, int err) {
    if (why) *why = std::string("cannot make the sandbox's seccomp filter: ") + what + ": " + std::strerror(err);
    return -1;
  };
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return fail("seccomp_init", ENOMEM);
  const uint32_t deny = SCMP_ACT_ERRNO(EACCES);
  // The kernel reads these arguments as int: compare the low 32 bits only, so that
  // garbage in the upper half of the register cannot slip past.
  int rc = seccomp_rule_add(ctx, deny, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, AF_UNIX));
  if (rc == 0)
    rc = seccomp_rule_add(ctx, deny, SCMP_SYS(socketpair), 2, SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffu, AF_UNIX),
                          SCMP_A1(SCMP_CMP_MASKED_EQ, 0xfu, SOCK_DGRAM));
  for (int sc : {SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register), SCMP_SYS(keyctl),
                 SCMP_SYS(add_key), SCMP_SYS(request_key), SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
                 SCMP_SYS(userfaultfd), SCMP_SYS(ptrace)})
    if (rc == 0) rc = seccomp_rule_add(ctx, deny, sc, 0);
  if (rc < 0) {
    seccomp_release(ctx);
    return fail("a rule", -rc);
  }
  int fd = ::memfd_create("rbee-seccomp", MFD_CLOEXEC);
  if (fd < 0) {
    int e = errno;
    seccomp_release(ctx);
    return fail("memfd_create", e);
  }
  rc = seccomp_export_bpf(ctx, fd);
  seccomp_release(ctx);
  if (rc < 0 || ::lseek(fd, 0, SEEK_SET) != 0) {
    ::close(fd);
    return fail("export", rc < 0 ? -rc : errno);
  }
  return fd;
}

} // namespace rbee::sandbox_detail
