// The cluster's figures on one machine: hosts as network namespaces with real
// sshd (tests/support/netns.hpp). Reports
//   - `rbee hive install --host` wall time, cold (nothing there) and again
//     (rbee and credentials already there: what an upgrade costs),
//   - with RBEE_BENCH_SOURCE=1: `rbee hive install --build source` wall time,
//     cold (the host's own empty compiler cache) and again (its ccache warm),
//   - join time: `rbee hive start --host` until the queen lists it online (the
//     job ends when it has joined: ssh preflight, start, TLS handshake, join),
//   - LAN copy: a model file (RBEE_BENCH_COPY_MB, default 512 MiB) copied from
//     one hive to the other over the cluster's TLS links (offer with SHA-256,
//     4 MiB chunks through the queen's node, verified, renamed). Compare with
//     bench_download's loopback HTTP download rate,
//   - streams: aggregate decode tokens/s of 8 concurrent requests on one hive
//     and spread over two (4 + 4), on a model (RBEE_BENCH_MODEL, default a
//     synthetic stories15m Q8_0 made with `rbee model synth`), RBEE_BENCH_TOKENS
//     each (default 128), and the decode speed the queen predicted when it
//     placed the model beside the one measured on a single stream. On one
//     machine the two "hosts" share its cores: what two real machines give is
//     the one-hive figure twice; this shows the cluster path's own cost.
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

/// The number after `"key": ` in `text` (0 when absent).
double number_after(const std::string& text, const std::string& key) {
  auto at = text.find("\"" + key + "\": ");
  return at == std::string::npos ? 0 : std::atof(text.c_str() + at + key.size() + 4);
}

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
  std::vector<std::string> argv_of(const std::vector<std::string>& args) const {
    auto argv = lab.in(0);
    argv.push_back(rbee_bin());
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }
  run_result rbee(std::vector<std::string> args, std::chrono::seconds t = std::chrono::seconds(300)) {
    return run(argv_of(args), env, t);
  }
  std::vector<std::string> infer(const std::string& hive, int tokens) const {
    std::string hive_field = hive.empty() ? "" : R"("hive_id":")" + hive + R"(",)";
    return argv_of({"job", "submit", R"({"operation":"infer",)" + hive_field + R"("model":"bench/s","prompt":"Once upon a time",)"
                                       R"("max_tokens":)" + std::to_string(tokens) + R"(,"temperature":0})"});
  }
  /// `n` requests at once, `hives[i % size]` each: aggregate completion tokens/s.
  double streams(int n, const std::vector<std::string>& hives, int tokens) {
    std::vector<std::unique_ptr<process>> ps;
    auto t0 = clk::now();
    for (int i = 0; i < n; ++i) ps.push_back(std::make_unique<process>(infer(hives[static_cast<size_t>(i) % hives.size()], tokens), env));
    double total = 0;
    for (auto& p : ps) {
      std::string out;
      while (auto line = p->read_line(std::chrono::seconds(300))) out += *line + "\n";
      if (p->wait(std::chrono::seconds(60)) != 0) return 0;
      total += number_after(out, "completion_tokens");
    }
    return total / seconds_since(t0);
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
  netns_lab lab(2, {"RBEE_WORKER_SLOTS=8"});
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
  // The build from source on the host, cold then with its ccache warm (minutes cold: opt-in).
  std::vector<double> source_cold, source_warm;
  if (std::getenv("RBEE_BENCH_SOURCE") && std::string(std::getenv("RBEE_BENCH_SOURCE")) == "1")
    for (int r = 0; r < 2; ++r) {
      auto t0 = clk::now();
      auto built = q.rbee({"hive", "install", "--host", lab.alias(1), "--build", "source"}, std::chrono::seconds(3600));
      if (built.status != 0) {
        std::printf("install --build source failed: %s\n%s\n", built.out.substr(built.out.size() > 3000 ? built.out.size() - 3000 : 0).c_str(),
                    built.err.c_str());
        break;
      }
      (r == 0 ? source_cold : source_warm).push_back(seconds_since(t0));
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
  // Streams: the model on both hosts, a worker loaded on each.
  int tokens = std::getenv("RBEE_BENCH_TOKENS") ? std::max(2, std::atoi(std::getenv("RBEE_BENCH_TOKENS"))) : 128;
  std::vector<double> one_hive, two_hives;
  double predicted = 0, measured = 0;
  std::string model = std::getenv("RBEE_BENCH_MODEL") ? std::getenv("RBEE_BENCH_MODEL") : "";
  if (model.empty()) {
    model = temp_dir() + "/stories15m-q8_0.gguf";
    run({rbee_bin(), "model", "synth", "--shape", "stories15m", "--type", "q8_0", "--out", model}, {}, std::chrono::seconds(120));
  }
  if (std::filesystem::exists(model) && q.rbee({"hive", "install", "--host", lab.alias(2)}).status == 0) {
    for (int i = 1; i <= 2; ++i) {
      std::string dir = lab.home(i) + "/data/rbee/models/bench/s";
      std::filesystem::create_directories(dir);
      std::filesystem::copy_file(model, dir + "/m.gguf", std::filesystem::copy_options::overwrite_existing);
    }
    // Placed by the queen (a prediction from the hive's measured bandwidth), then measured alone.
    auto measured_both = [&] { // each hive's bandwidth probe has reported
      auto out = q.rbee({"job", "submit", R"({"operation":"hive_list"})"}).out;
      auto second = out.find("\"read_bandwidth\": ", out.find("\"read_bandwidth\": ") + 1);
      return number_after(out, "read_bandwidth") > 0 && second != std::string::npos && number_after(out.substr(second), "read_bandwidth") > 0;
    };
    for (int i = 0; i < 150 && !measured_both(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto placed = run(q.infer("", 4), q.env, std::chrono::seconds(120)).out;
    if (auto at = placed.find("about "); at != std::string::npos) predicted = std::atof(placed.c_str() + at + 6);
    std::string first = placed.find("placed on " + lab.alias(2)) != std::string::npos ? lab.alias(2) : lab.alias(1);
    std::string other = first == lab.alias(1) ? lab.alias(2) : lab.alias(1);
    run(q.infer(other, 4), q.env, std::chrono::seconds(120)); // loads the other worker
    auto alone = run(q.infer(first, tokens), q.env, std::chrono::seconds(300)).out;
    if (double ms = number_after(alone, "decode_ms"); ms > 0) measured = (number_after(alone, "completion_tokens") - 1) / (ms / 1000);
    for (int r = 0; r < rounds; ++r) {
      one_hive.push_back(q.streams(8, {first}, tokens));
      two_hives.push_back(q.streams(8, {first, other}, tokens));
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
  show("rbee hive install --build source (cold)", source_cold);
  show("rbee hive install --build source (ccache warm)", source_warm);
  show("rbee hive start --host until online", join);
  show(("LAN copy of " + std::to_string(mb) + " MiB (whole job)").c_str(), copy_s);
  if (!copy_s.empty()) {
    double best = *std::min_element(copy_s.begin(), copy_s.end());
    std::printf("\nLAN copy rate: %.0f MB/s (best run; includes the source's SHA-256 and the target's check)\n",
                static_cast<double>(mb << 20) / best / 1e6);
  }
  if (!one_hive.empty()) {
    auto best = [](const std::vector<double>& xs) { return *std::max_element(xs.begin(), xs.end()); };
    std::printf("\n8 streams x %d tokens (%s): one hive %.0f tokens/s, two hives (4 + 4) %.0f tokens/s (best of %zu)\n", tokens,
                std::filesystem::path(model).filename().c_str(), best(one_hive), best(two_hives), one_hive.size());
    std::printf("decode on one stream: predicted by the queen %.0f tokens/s, measured %.0f tokens/s\n", predicted, measured);
  }
  return 0;
}
