#include "io/atomic_file.hpp"

#include "io/outcome.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rbee {

namespace {

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

std::string temp_beside(const std::string& path) {
  std::string suffix = random_suffix();
  auto slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir_of(path) + "/." + base + ".tmp-" + suffix;
}

failure sys_error(const std::string& what, const std::string& path) {
  return fail_with(errno == ENOSPC ? errc::disk_full : errc::internal, what + " " + path + ": " + std::strerror(errno));
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

/// temp file -> content from `fill` -> fsync -> rename -> fsync dir.
template <class Fill>
outcome<void> atomic_replace(const std::string& path, unsigned mode, Fill fill) {
  std::string tmp = temp_beside(path);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return sys_error("cannot create", tmp);
  bool ok = fill(fd) && ::fchmod(fd, mode) == 0 && ::fsync(fd) == 0;
  auto err = ok ? failure{} : sys_error("cannot write", tmp);
  ::close(fd);
  if (ok && std::rename(tmp.c_str(), path.c_str()) != 0) {
    ok = false;
    err = sys_error("cannot rename over", path);
  }
  if (!ok) {
    ::unlink(tmp.c_str());
    return err;
  }
  fsync_dir(dir_of(path));
  return done{};
}

} // namespace

std::string random_suffix() {
  // A fresh draw from the OS each call (libstdc++'s random_device reads getrandom): a process
  // forked from this one must not draw the same names, as a PRNG state copied by fork would.
  std::random_device rd;
  char out[20];
  std::snprintf(out, sizeof out, "%08x%08x", static_cast<unsigned>(rd()), static_cast<unsigned>(rd()));
  return out;
}

bool fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

outcome<void> write_file_atomic(const std::string& path, std::string_view content, unsigned mode) {
  return atomic_replace(path, mode, [&](int fd) { return write_all(fd, content.data(), content.size()); });
}

outcome<void> copy_file_atomic(const std::string& from, const std::string& path, unsigned mode) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return sys_error("cannot open", from);
  auto r = atomic_replace(path, mode, [&](int fd) {
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(in, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return false;
      if (n == 0) return true;
      if (!write_all(fd, buf, static_cast<size_t>(n))) return false;
    }
  });
  ::close(in);
  return r;
}

outcome<void> replace_symlink(const std::string& target, const std::string& link) {
  std::string tmp = temp_beside(link);
  if (::symlink(target.c_str(), tmp.c_str()) != 0) return sys_error("cannot create link", tmp);
  if (std::rename(tmp.c_str(), link.c_str()) != 0) {
    auto err = sys_error("cannot switch", link);
    ::unlink(tmp.c_str());
    return err;
  }
  fsync_dir(dir_of(link));
  return done{};
}

} // namespace rbee

namespace rbee {

std::optional<std::string> read_small_file(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string s(limit + 1, '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  s.resize(static_cast<size_t>(in.gcount()));
  if (s.size() > limit) return std::nullopt;
  return s;
}

outcome<void> make_private_dir(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return fail_with(errc::internal, "cannot create " + dir + ": " + ec.message());
  if (::chmod(dir.c_str(), 0700) != 0) return fail_with(errc::internal, "cannot make " + dir + " private");
  return done{};
}

} // namespace rbee
