// The cluster's figures on one machine: hosts as network namespaces with real
// sshd (tests/support/netns.hpp). Reports
//   - `rbee hive install --host` wall time, cold (nothing there) and again
//     (rbee and credentials already there: what an upgrade costs),
//   - join time: `rbee hive start --host` until the queen lists it online (the
//     job ends when it has joined: ssh preflight, start, TLS handshake, join),
//   - LAN copy: a model file (RBEE_BENCH_COPY_MB, default 512 MiB) copied from
//     one hive to the other over the cluster's TLS links (offer with SHA-256,
//     4 MiB chunks through the queen's node, verified, renamed). Compare with
//     bench_download's loopback HTTP download rate.
// Needs root, iproute2 and openssh-server; says so and exits 0 otherwise.
// Usage: bench_cluster [ROUNDS]   (RBEE_BIN: the rbee binary, default ./rbee)
#include "tests/support/netns.hpp"
#include "tests/support/process.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

using namespace rbee::test;
using clk = std::chrono::steady_clock;

namespace {

const std::string token = "bench-cluster-token-0123456789";

double seconds_since(clk::time_point t0) { return std::chrono::duration<double>(clk::now() - t0).count(); }

struct lab_queen {
  netns_lab& lab;
  std::vector<std::string> env;
  std::unique_ptr<process> queen;

  explicit lab_queen(netns_lab& l) : lab(l) {
    auto dir = temp_dir();
    env = {"XDG_CONFIG_HOME=" + dir + "/config", "XDG_DATA_HOME=" + dir + "/data", "XDG_CACHE_HOME=" + dir + "/cache",
           "XDG_STATE_HOME=" + dir + "/state", "RBEE_LOG_LEVEL=warn", "RBEE_API_TOKEN=" + token,
           "RBEE_SSH_CONFIG=" + lab.ssh_config()};
    auto argv = lab.in(0);
    argv.insert(argv.end(), {rbee_bin(), "queen", "--bind", lab.ip(0), "--port", "0", "--cluster-port", "0"});
    queen = std::make_unique<process>(argv, env);
    auto line = queen->read_line(std::chrono::seconds(20));
    int port = line ? port_of(*line) : 0;
    queen->read_line(std::chrono::seconds(5)); // "cluster on …"
    env.push_back("RBEE_QUEEN_URL=http://" + lab.ip(0) + ":" + std::to_string(port));
  }
  run_result rbee(std::vector<std::string> args) {
    auto argv = lab.in(0);
    argv.push_back(rbee_bin());
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, env, std::chrono::seconds(300));
  }
  bool online(const std::string& id) {
    auto out = rbee({"job", "submit", R"({"operation":"hive_list"})"}).out;
    auto at = out.find("\"hive_id\": \"" + id + "\"");
    if (at == std::string::npos) return false;
    auto st = out.find("\"state\": \"", at);
    return st != std::string::npos && out.compare(st + 10, 6, "online") == 0;
  }
};

} // namespace

int main(int argc, char** argv) {
  int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  std::string why;
  if (!netns_lab::available(&why)) {
    std::printf("bench_cluster: skipped: %s\n", why.c_str());
    return 0;
  }
  netns_lab lab(2);
  if (!lab.ok()) {
    std::printf("bench_cluster: cannot build the hosts: %s\n", lab.error().c_str());
    return 1;
  }
  lab_queen q(lab);
  std::vector<double> cold, warm, join;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = clk::now();
    auto first = q.rbee({"hive", "install", "--host", lab.alias(1)});
    (r == 0 ? cold : warm).push_back(seconds_since(t0));
    if (first.status != 0) {
      std::printf("install failed: %s\n%s\n", first.out.c_str(), first.err.c_str());
      return 1;
    }
    q.rbee({"hive", "stop", "--host", lab.alias(1)});
    for (int i = 0; i < 100 && q.online(lab.alias(1)); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    t0 = clk::now();
    q.rbee({"hive", "start", "--host", lab.alias(1)});
    join.push_back(seconds_since(t0));
  }
  // LAN copy: host1 has a model, host2 needs it.
  std::vector<double> copy_s;
  size_t mb = std::getenv("RBEE_BENCH_COPY_MB") ? std::max(1, std::atoi(std::getenv("RBEE_BENCH_COPY_MB"))) : 512;
  if (q.rbee({"hive", "install", "--host", lab.alias(2)}).status == 0) {
    std::string dir = lab.home(1) + "/data/rbee/models/bench/big";
    std::filesystem::create_directories(dir);
    {
      std::ofstream f(dir + "/big.gguf", std::ios::binary);
      std::string block(1 << 20, '\0');
      uint64_t x = 88172645463325252ull;
      for (size_t i = 0; i < mb; ++i) {
        for (size_t j = 0; j + 8 <= block.size(); j += 8) {
          x ^= x << 13, x ^= x >> 7, x ^= x << 17;
          std::memcpy(block.data() + j, &x, 8);
        }
        f.write(block.data(), static_cast<std::streamsize>(block.size()));
      }
    }
    for (int r = 0; r < rounds; ++r) {
      std::filesystem::remove_all(lab.home(2) + "/data/rbee/models/bench");
      auto t0 = clk::now();
      auto c = q.rbee({"job", "submit", R"({"operation":"model_download","hive_id":")" + lab.alias(2) + R"(","model":"bench/big"})"});
      if (c.status != 0 || c.out.find("SHA-256 verified") == std::string::npos) {
        std::printf("copy failed: %s\n%s\n", c.out.c_str(), c.err.c_str());
        break;
      }
      copy_s.push_back(seconds_since(t0));
    }
    q.rbee({"hive", "uninstall", "--host", lab.alias(2)});
  }
  q.rbee({"hive", "uninstall", "--host", lab.alias(1)});
  auto show = [](const char* what, const std::vector<double>& xs) {
    if (xs.empty()) return;
    double best = xs[0], sum = 0;
    for (double x : xs) best = std::min(best, x), sum += x;
    std::printf("| %-44s | %6.2f s | %6.2f s | %zu |\n", what, best, sum / static_cast<double>(xs.size()), xs.size());
  };
  std::printf("| what | best | mean | runs |\n|---|---|---|---|\n");
  show("rbee hive install --host (cold)", cold);
  show("rbee hive install --host (again, an upgrade)", warm);
  show("rbee hive start --host until online", join);
  show(("LAN copy of " + std::to_string(mb) + " MiB (whole job)").c_str(), copy_s);
  if (!copy_s.empty()) {
    double best = *std::min_element(copy_s.begin(), copy_s.end());
    std::printf("\nLAN copy rate: %.0f MB/s (best run; includes the source's SHA-256 and the target's check)\n",
                static_cast<double>(mb << 20) / best / 1e6);
  }
  return 0;
}
