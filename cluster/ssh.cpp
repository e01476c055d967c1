#include "cluster/ssh.hpp"

#include <glob.h>
#include <pwd.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace rbee::cluster {

namespace {

std::vector<std::string> common(const ssh_options& o) {
  std::string program = find_program(o.program);
  std::vector<std::string> a = {program.empty() ? o.program : program,
                                "-o", "BatchMode=yes",
                                "-o", "ConnectTimeout=" + std::to_string(o.connect_timeout_s),
                                "-o", "ServerAliveInterval=5",
                                "-o", "ServerAliveCountMax=3",
                                "-o", "StrictHostKeyChecking=" + o.strict_host_keys,
                                "-o", "ControlPath=" + o.control_dir + "/%C"};
  a.insert(a.end(), o.extra.begin(), o.extra.end());
  return a;
}

std::vector<std::string> minimal_env() {
  std::vector<std::string> env;
  for (const char* name : {"HOME", "USER", "LOGNAME", "PATH", "SSH_AUTH_SOCK", "LANG"})
    if (const char* v = std::getenv(name)) env.push_back(std::string(name) + "=" + v);
  return env;
}

std::string last_words(const child_result& r) {
  for (auto it = r.tail.rbegin(); it != r.tail.rend(); ++it)
    if (!it->empty()) return *it;
  return "ssh failed with no message";
}

} // namespace

bool valid_alias(std::string_view a) {
  if (a.empty() || a.size() > 255 || a[0] == '-') return false;
  for (char c : a)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '@' && c != ':')
      return false;
  return true;
}

std::vector<std::string> ssh_argv(const ssh_options& o, const std::string& alias, const std::string& command) {
  auto a = common(o);
  a.insert(a.end(), {"-o", "ControlMaster=no", "-T", "--", alias, command});
  return a;
}

outcome<ssh_result> ssh_run(const ssh_options& o, const std::string& alias, const std::string& command,
                            const child_options& co, const line_callback& on_line, const std::atomic<bool>& cancel) {
  if (!valid_alias(alias)) return fail_with(errc::invalid_value, "not an ssh host alias: '" + alias.substr(0, 64) + "'");
  if (find_program(o.program).empty())
    return fail_with(errc::platform_unsupported, "no ssh client '" + o.program + "' (install openssh-client)");
  child_options c = co;
  if (c.env.empty()) c.env = minimal_env();
  auto r = run_child(ssh_argv(o, alias, command), c, on_line, cancel);
  if (!r) return r.error();
  ssh_result out;
  out.run = std::move(*r);
  if (out.run.exit_code == 255) {
    out.ssh_failed = true;
    out.ssh_message = last_words(out.run);
  }
  return out;
}

outcome<void> ssh_open(const ssh_options& o, const std::string& alias, int persist_s, const std::atomic<bool>& cancel) {
  if (!valid_alias(alias)) return fail_with(errc::invalid_value, "not an ssh host alias: '" + alias.substr(0, 64) + "'");
  if (find_program(o.program).empty())
    return fail_with(errc::platform_unsupported, "no ssh client '" + o.program + "' (install openssh-client)");
  std::error_code ec;
  std::filesystem::create_directories(o.control_dir, ec);
  std::filesystem::permissions(o.control_dir, std::filesystem::perms::owner_all, ec);
  child_options check;
  check.env = minimal_env();
  check.timeout = std::chrono::seconds(10);
  auto probe = common(o);
  probe.insert(probe.end(), {"-O", "check", "--", alias});
  if (auto up = run_child(probe, check, {}, cancel); up && up->exit_code == 0) return done{}; // shared already
  auto a = common(o);
  a.insert(a.end(), {"-o", "ControlMaster=auto", "-o", "ControlPersist=" + std::to_string(persist_s), "-f", "-N", "--", alias});
  child_options c;
  c.env = minimal_env();
  c.timeout = std::chrono::seconds(o.connect_timeout_s + 20);
  c.kill_leftovers = false; // the master it leaves behind is the point
  auto r = run_child(a, c, {}, cancel);
  if (!r) return r.error();
  if (r->timed_out) return fail_with(errc::timeout, "ssh to " + alias + " did not connect in time");
  if (r->exit_code != 0) return fail_with(errc::unavailable, "ssh to " + alias + " failed: " + last_words(*r));
  return done{};
}

void ssh_close(const ssh_options& o, const std::string& alias) {
  if (!valid_alias(alias)) return;
  auto a = common(o);
  a.insert(a.end(), {"-O", "exit", "--", alias});
  child_options c;
  c.env = minimal_env();
  c.timeout = std::chrono::seconds(10);
  std::atomic<bool> no{false};
  (void)run_child(a, c, {}, no);
}

std::string user_ssh_config(const std::string& configured) {
  if (!configured.empty()) return configured;
  const passwd* pw = ::getpwuid(::getuid());
  return std::string(pw && pw->pw_dir ? pw->pw_dir : "") + "/.ssh/config";
}

std::vector<std::string> config_hosts(const std::string& path, int depth) {
  std::vector<std::string> out;
  if (depth <= 0) return out;
  std::ifstream in(path);
  std::string line;
  std::set<std::string> seen;
  auto ssh_dir = std::filesystem::path(path).parent_path().string();
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    if (!(words >> key) || key[0] == '#') continue;
    for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (key == "include") {
      for (std::string pat; words >> pat;) {
        if (!pat.empty() && pat[0] == '~') pat = std::string(std::getenv("HOME") ? std::getenv("HOME") : "") + pat.substr(1);
        if (!pat.empty() && pat[0] != '/') pat = ssh_dir + "/" + pat;
        glob_t g{};
        if (::glob(pat.c_str(), 0, nullptr, &g) == 0)
          for (size_t i = 0; i < g.gl_pathc; ++i)
            for (auto& h : config_hosts(g.gl_pathv[i], depth - 1))
              if (seen.insert(h).second) out.push_back(h);
        ::globfree(&g);
      }
    } else if (key == "host") {
      for (std::string h; words >> h;)
        if (h.find_first_of("*?!") == std::string::npos && valid_alias(h) && seen.insert(h).second) out.push_back(h);
    }
  }
  return out;
}

} // namespace rbee::cluster
