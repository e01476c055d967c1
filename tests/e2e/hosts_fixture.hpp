#pragma once
// The fixture of the several-hosts tests: a netns lab of two hosts with real
// sshd, and `rbee queen` in the queen's namespace bound to its bridge address,
// with the lab's ssh config. `rbee(...)` runs the CLI there as a keeper would.
#include "tests/e2e/e2e.hpp"
#include "tests/support/netns.hpp"

#include <signal.h>

#include <fstream>
#include <memory>

namespace rbee::test {

using namespace std::chrono_literals;

inline const std::string hosts_token = "cluster-test-token-0123456789";

struct Hosts : ::testing::Test {
  /// Added to every ssh session on the hosts (K=V).
  virtual std::vector<std::string> session_env() { return {}; }
  /// Added to the queen's environment (K=V).
  virtual std::vector<std::string> queen_env() { return {}; }
  void SetUp() override {
    std::string why;
    if (!netns_lab::available(&why)) GTEST_SKIP() << why;
    lab = std::make_unique<netns_lab>(2, session_env());
    ASSERT_TRUE(lab->ok()) << lab->error();
    env = private_env();
    env.back() = "RBEE_LOG_LEVEL=info";
    env.insert(env.end(), {"RBEE_API_TOKEN=" + hosts_token, "RBEE_SSH_CONFIG=" + lab->ssh_config(), "RBEE_HIVE_JOIN_TIMEOUT_S=30"});
    for (auto& e : queen_env()) env.push_back(e);
    auto argv = lab->in(0);
    argv.insert(argv.end(), {rbee_bin(), "queen", "--bind", lab->ip(0), "--port", "0", "--cluster-port", "0"});
    queen = std::make_unique<process>(argv, env);
    auto line = queen->read_line(20s);
    ASSERT_TRUE(line) << queen->stderr_text();
    port = port_of(*line);
    ASSERT_GT(port, 0) << *line;
    env.push_back("RBEE_QUEEN_URL=http://" + lab->ip(0) + ":" + std::to_string(port));
  }
  void TearDown() override {
    // The hives run in the background on their hosts, the shared ssh connections
    // linger for a minute: end them with the lab.
    if (!lab) return;
    std::string cache;
    for (auto& e : env)
      if (e.starts_with("XDG_CACHE_HOME=")) cache = e.substr(15) + "/rbee/ssh/%C";
    for (int i = 1; i <= 2; ++i) {
      auto argv = lab->in(0);
      argv.insert(argv.end(), {"/usr/bin/ssh", "-F", lab->ssh_config(), "-o", "ControlPath=" + cache, "-O", "exit", lab->alias(i)});
      run(argv, {}, 10s);
    }
    for (int i = 1; i <= 2; ++i) {
      std::ifstream in(lab->home(i) + "/state/rbee/hive.pid");
      int pid = 0;
      if (in >> pid && pid > 0) ::kill(pid, SIGKILL);
    }
  }
  /// `rbee ARGS...` run in the queen's namespace, as a keeper there would.
  run_result rbee(std::vector<std::string> args, std::chrono::milliseconds t = 120s) {
    auto argv = lab->in(0);
    argv.push_back(rbee_bin());
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, env, t);
  }
  std::string hives() { return rbee({"job", "submit", R"({"operation":"hive_list"})"}, 20s).out; }
  std::string hive_state(const std::string& id) {
    auto h = rbee({"job", "submit", R"({"operation":"hive_list"})"}, 20s).out;
    auto at = h.find("\"hive_id\": \"" + id + "\"");
    if (at == std::string::npos) return "";
    auto s = h.find("\"state\": \"", at);
    return s == std::string::npos ? "" : h.substr(s + 10, h.find('"', s + 10) - s - 10);
  }
  std::unique_ptr<netns_lab> lab;
  std::vector<std::string> env;
  std::unique_ptr<process> queen;
  int port = 0;
};

} // namespace rbee::test
