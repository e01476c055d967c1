#include "actors/install/deps_check.hpp"

#include "messages/errc.hpp"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <set>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace rbee {

namespace {

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 128 || n[0] == '-' || n[0] == '.') return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.' || c == '_')) return false;
  return true;
}

/// Installed package names from dpkg's status file ("" set when absent).
std::set<std::string> installed_packages(const std::string& status_file) {
  std::set<std::string> out;
  std::ifstream in(status_file);
  std::string line, pkg;
  while (std::getline(in, line)) {
    if (line.rfind("Package: ", 0) == 0) {
      pkg = line.substr(9);
    } else if (line.rfind("Status: ", 0) == 0 && line.find("install ok installed") != std::string::npos && !pkg.empty()) {
      out.insert(pkg);
    } else if (line.empty()) {
      pkg.clear();
    }
  }
  return out;
}

/// The executable `name` on `path`, or "".
std::string which(const std::string& name, const std::string& path) {
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find(':', i);
    if (j == std::string::npos) j = path.size();
    std::string dir = path.substr(i, j - i);
    if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
    i = j + 1;
  }
  return "";
}

bool pkg_config_has(const std::string& name) {
  for (const char* pc : {"/usr/bin/pkg-config", "/usr/local/bin/pkg-config"}) {
    if (::access(pc, X_OK) != 0) continue;
    std::string a0 = pc, a1 = "--exists", a2 = name;
    char* argv[] = {a0.data(), a1.data(), a2.data(), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, pc, &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return false;
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  return false;
}

std::string env_path(const std::string& path) {
  if (!path.empty()) return path;
  const char* p = std::getenv("PATH");
  return p ? p : "/usr/bin:/bin";
}

} // namespace

std::string find_nvcc(const std::string& path) {
  if (auto on_path = which("nvcc", env_path(path)); !on_path.empty()) return on_path;
  for (const char* nvcc : {"/usr/local/cuda/bin/nvcc", "/opt/cuda/bin/nvcc"})
    if (::access(nvcc, X_OK) == 0) return nvcc;
  return "";
}

std::string deps_report::message() const {
  if (missing.empty()) return "all dependencies are installed";
  std::string list;
  for (auto& m : missing) list += (list.empty() ? "" : ", ") + m;
  return "missing dependencies: " + list + " — install them with: " + apt_command;
}

caf::expected<deps_report> check_dependencies(const std::vector<std::string>& names, const deps_options& opts) {
  std::string path = env_path(opts.path);
  std::set<std::string> packages;
  bool loaded = false;
  deps_report r;
  std::set<std::string> seen;
  for (const auto& raw : names) {
    std::string n = raw.substr(0, raw.find_first_of("<>="));
    if (!valid_name(n)) return make_error(errc::bad_request, "invalid dependency name '" + raw.substr(0, 60) + "'");
    if (!seen.insert(n).second) continue;
    if (!loaded) {
      packages = installed_packages(opts.dpkg_status);
      loaded = true;
    }
    if (packages.count(n) || !which(n, path).empty() || pkg_config_has(n) || (n == "nvcc" && !find_nvcc(path).empty())) continue;
    r.missing.push_back(n);
  }
  if (!r.missing.empty()) {
    r.apt_command = "apt-get install -y";
    for (auto& m : r.missing) {
      r.apt_command += ' ';
      r.apt_command += m == "nvcc" ? "nvidia-cuda-toolkit" : m;
    }
  }
  return r;
}

} // namespace rbee
