#include "tests/support/netns.hpp"

#include "tests/support/process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

namespace rbee::test {

namespace {

using namespace std::chrono_literals;
constexpr const char* ip_bin = "/usr/sbin/ip";
constexpr const char* sshd_bin = "/usr/sbin/sshd";

bool sh(const std::vector<std::string>& argv, std::string* err = nullptr) {
  auto r = run(argv, {}, 20s);
  if (r.status != 0 && err) {
    *err = argv[0];
    for (size_t i = 1; i < argv.size(); ++i) *err += " " + argv[i];
    *err += ": " + r.err;
  }
  return r.status == 0;
}

} // namespace

bool netns_lab::available(std::string* why) {
  auto say = [&](std::string w) {
    if (why) *why = std::move(w);
    return false;
  };
  if (::geteuid() != 0) return say("network namespaces need root (CAP_NET_ADMIN)");
  if (::access(ip_bin, X_OK) != 0) return say("iproute2 is not installed");
  if (::access(sshd_bin, X_OK) != 0) return say("openssh-server is not installed (scripts/deps.sh)");
  if (::access("/usr/bin/ssh-keygen", X_OK) != 0) return say("openssh-client is not installed");
  std::string probe = "rbprobe" + std::to_string(::getpid());
  std::string err;
  if (!sh({ip_bin, "netns", "add", probe}, &err)) return say("cannot create a network namespace: " + err);
  sh({ip_bin, "netns", "del", probe});
  return true;
}

std::string netns_lab::ns(int i) const { return (i == 0 ? "rbq" : "rbh" + std::to_string(i) + "-") + tag_; }
std::string netns_lab::ip(int i) const { return "10.77." + std::to_string(::getpid() % 200 + 20) + "." + std::to_string(i + 1); }
std::string netns_lab::home(int i) const { return dir_ + "/host" + std::to_string(i); }

std::vector<std::string> netns_lab::in(int i) const { return {ip_bin, "netns", "exec", ns(i)}; }

netns_lab::netns_lab(int hosts, const std::vector<std::string>& session_env) : dir_(temp_dir()), tag_(std::to_string(::getpid())), hosts_(hosts) {
  auto fail = [&](const std::string& e) { error_ = e; };
  std::string err;
  std::filesystem::create_directories("/run/sshd"); // sshd's privilege separation directory
  if (!sh({ip_bin, "netns", "add", ns(0)}, &err)) { fail(err); return; }
  std::vector<std::vector<std::string>> steps = {
    {ip_bin, "-n", ns(0), "link", "set", "lo", "up"},
    {ip_bin, "-n", ns(0), "link", "add", "br0", "type", "bridge"},
    {ip_bin, "-n", ns(0), "link", "set", "br0", "up"},
    {ip_bin, "-n", ns(0), "addr", "add", ip(0) + "/24", "dev", "br0"}};
  for (auto& s : steps)
    if (!sh(s, &err)) { fail(err); return; }
  if (!sh({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", dir_ + "/client_key"}, &err)) { fail(err); return; }
  std::ofstream client(dir_ + "/ssh_config");
  for (int i = 1; i <= hosts; ++i) {
    std::string veth = "vq" + std::to_string(i);
    steps = {{ip_bin, "netns", "add", ns(i)},
             {ip_bin, "link", "add", veth + "-" + tag_, "netns", ns(0), "type", "veth", "peer", "name", "eth0", "netns", ns(i)},
             {ip_bin, "-n", ns(0), "link", "set", veth + "-" + tag_, "master", "br0", "up"},
             {ip_bin, "-n", ns(i), "link", "set", "lo", "up"},
             {ip_bin, "-n", ns(i), "addr", "add", ip(i) + "/24", "dev", "eth0"},
             {ip_bin, "-n", ns(i), "link", "set", "eth0", "up"}};
    for (auto& s : steps)
      if (!sh(s, &err)) { fail(err); return; }
    std::string h = home(i);
    std::filesystem::create_directories(h);
    if (!sh({"/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", h + "/host_key"}, &err)) { fail(err); return; }
    std::filesystem::copy_file(dir_ + "/client_key.pub", h + "/authorized_keys");
    std::string session = "XDG_DATA_HOME=" + h + "/data XDG_STATE_HOME=" + h + "/state XDG_CONFIG_HOME=" + h +
                          "/config XDG_CACHE_HOME=" + h + "/cache";
    for (auto& e : session_env) session += " " + e;
    std::ofstream(h + "/sshd_config") << "Port 22\nListenAddress " << ip(i) << "\nHostKey " << h << "/host_key\nPidFile " << h
                                      << "/sshd.pid\nAuthorizedKeysFile " << h << "/authorized_keys\n"
                                      << "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
                                      << "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nPrintMotd no\n"
                                      << "SetEnv " << session << "\n";
    auto argv = in(i);
    argv.insert(argv.end(), {sshd_bin, "-D", "-e", "-f", h + "/sshd_config"});
    sshd_.push_back(std::make_unique<process>(argv));
    client << "Host " << alias(i) << "\n  HostName " << ip(i) << "\n  User root\n  IdentityFile " << dir_
           << "/client_key\n  IdentitiesOnly yes\n  UserKnownHostsFile " << dir_ << "/known_hosts\n";
  }
  client.close();
  // sshd listens once its address is up: wait for each to answer.
  for (int i = 1; i <= hosts; ++i) {
    bool up = false;
    for (int t = 0; t < 50 && !up; ++t) {
      auto argv = in(0);
      argv.insert(argv.end(), {"/usr/bin/ssh", "-F", ssh_config(), "-o", "BatchMode=yes", "-o",
                               "StrictHostKeyChecking=accept-new", "-o", "ConnectTimeout=2", alias(i), "true"});
      up = run(argv, {}, 10s).status == 0;
      if (!up) std::this_thread::sleep_for(100ms);
    }
    if (!up) { fail("sshd on " + alias(i) + " does not answer: " + sshd_[static_cast<size_t>(i - 1)]->stderr_text()); return; }
  }
}

netns_lab::~netns_lab() {
  sshd_.clear(); // kills them
  for (int i = hosts_; i >= 0; --i) sh({ip_bin, "netns", "del", ns(i)});
}

void netns_lab::run_in(int i, const std::function<void()>& f) const {
  std::string path = "/run/netns/" + ns(i);
  std::thread t([&] {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0 && ::setns(fd, CLONE_NEWNET) == 0) f();
    if (fd >= 0) ::close(fd);
  });
  t.join();
}

bool netns_lab::set_link(int i, bool up) {
  return sh({ip_bin, "-n", ns(i), "link", "set", "eth0", up ? "up" : "down"});
}

} // namespace rbee::test
