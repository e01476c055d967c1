#pragma once
// The fixture of the two-process cluster tests: `rbee queen` with a cluster
// port on loopback, and hives started as `rbee hive` processes, each with its
// own directories and credentials the queen issued.
#include "tests/e2e/e2e.hpp"

#include <map>
#include <memory>

namespace rbee::test {

using namespace std::chrono_literals;

struct Cluster : ::testing::Test {
  void SetUp() override {
    env = private_env();
    queen = start_daemon({"queen", "--port", "0", "--cluster-port", "0"}, env);
    ASSERT_GT(queen.port, 0);
    auto line = queen.proc->read_line(10s);
    ASSERT_TRUE(line);
    ASSERT_EQ(line->rfind("cluster on ", 0), 0u) << *line;
    cluster = line->substr(11);
    env.push_back("RBEE_QUEEN_URL=" + queen.base());
  }
  /// The environment of hive `id`: its own XDG directories, holding the
  /// credentials of a token the queen issued (`rbee cluster add-hive`, `rbee hive join`).
  std::vector<std::string> hive_env(const std::string& id) {
    if (auto it = hive_envs.find(id); it != hive_envs.end()) return it->second;
    auto henv = joined_hive_env(id, cluster, env);
    henv.push_back("HF_ENDPOINT=http://127.0.0.1:1"); // no Hugging Face here: a download fails at once
    return hive_envs[id] = henv;
  }
  std::unique_ptr<process> start_hive(const std::string& id, const std::string& data_dir = "") {
    std::vector<std::string> args{rbee_bin(), "hive", "--port", "0"};
    if (!data_dir.empty()) args.insert(args.end(), {"--data-dir", data_dir});
    return std::make_unique<process>(args, hive_env(id));
  }
  std::string hive_state(const std::string& id) {
    auto r = net::http_call(queen.url(), "GET", "/v1/hives/" + id);
    if (r.status != 200) return "";
    auto pos = r.body.find("\"state\":\"");
    return r.body.substr(pos + 9, r.body.find('"', pos + 9) - pos - 9);
  }
  std::string hive_json(const std::string& id) {
    return net::http_call(queen.url(), "GET", "/v1/hives/" + id).body;
  }
  std::vector<std::string> env;
  std::map<std::string, std::vector<std::string>> hive_envs;
  rbee_daemon queen;
  std::string cluster;
};


} // namespace rbee::test
