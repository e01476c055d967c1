// Workers in their own processes: started and supervised by the hive; a killed
// worker fails only its own jobs with the signal named, is restarted on the next
// request, and a model whose workers keep crashing is quarantined.
#include "tests/e2e/e2e.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <rapidjson/document.h>
#include <sstream>
#include <set>

#include <signal.h>

#include <filesystem>
#include <fstream>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

rapidjson::Document parse(const std::string& s) {
  rapidjson::Document d;
  d.Parse(s.c_str());
  return d;
}

class WorkerProcess : public ::testing::Test {
protected:
  void SetUp() override {
    if (!exists(stories("stories260K-f32.gguf"))) GTEST_SKIP() << "stories260K not found under " << models_dir();
    env = private_env();
    std::string dir = env[1].substr(env[1].find('=') + 1) + "/rbee/models/test/stories";
    fs::create_directories(dir);
    fs::copy_file(stories("stories260K-f32.gguf"), dir + "/stories260K-f32.gguf");
    env.push_back("RBEE_WORKER_PROCESSES=1");
    env.push_back("RBEE_WORKER_CTX=8192");
    env.push_back("RBEE_WORKER_MAX_CRASHES=2");
    env.push_back("HF_TOKEN=hf_canary_secret"); // the server's secrets: a worker must not inherit them
    env.push_back("RBEE_API_TOKEN_FILE_CANARY=x");
    env.push_back("AWS_SECRET_ACCESS_KEY=aws_canary");
    d = start_daemon({"serve", "--port", "0"}, env);
    ASSERT_GT(d.port, 0);
  }
  int worker_pid() {
    auto w = parse(net::http_call(d.url(), "GET", "/v1/workers").body);
    if (!w.IsObject() || !w.HasMember("workers") || w["workers"].Empty()) return 0;
    return w["workers"][0]["pid"].GetInt();
  }
  net::http_result complete(int n) {
    return net::http_call(d.url(), "POST", "/v1/completions",
                          R"({"model":"test/stories","prompt":"Once upon a time","max_tokens":)" + std::to_string(n) + "}",
                          {}, 30s);
  }
  /// Starts a long generation, kills its worker after the first tokens; the job's error event.
  std::string kill_mid_generation() {
    auto r = net::http_call(d.url(), "POST", "/v1/jobs",
                            R"({"operation":"infer","model":"test/stories","prompt":"Once","max_tokens":100000})");
    EXPECT_EQ(r.status, 202);
    std::string id = parse(r.body)["job_id"].GetString();
    int tokens = 0;
    std::string error;
    net::sse_get(d.url(), "/v1/jobs/" + id + "/stream", {}, [&](const net::sse_event& e) {
      if (e.event == "token" && ++tokens == 3) {
        int pid = worker_pid();
        EXPECT_GT(pid, 0);
        if (pid > 0) ::kill(pid, SIGKILL);
      }
      if (e.event == "error") error = e.data;
      return true;
    }, 20s);
    return error;
  }
  std::vector<std::string> env;
  rbee_daemon d;
};

} // namespace

TEST_F(WorkerProcess, RunsInItsOwnProcess) {
  auto r = complete(8);
  ASSERT_EQ(r.status, 200) << r.body;
  int pid = worker_pid();
  ASSERT_GT(pid, 0);
  EXPECT_NE(pid, d.proc->pid());
  EXPECT_EQ(::kill(pid, 0), 0); // alive
  // Its memory is measured: the process's resident set, more than the weights alone.
  std::string body;
  EXPECT_TRUE(eventually([&] { // the hive refreshes its record just after the job
    body = net::http_call(d.url(), "GET", "/v1/workers", {}).body;
    auto at = body.find("\"memory_bytes\":");
    return at != std::string::npos && std::stoull(body.substr(at + 15)) > (2ull << 20); // the weights: ~0.5 MiB
  }, 5s)) << body;
}

// A worker process runs with a minimal environment: never the server's tokens.
TEST_F(WorkerProcess, GetsAMinimalEnvironment) {
  ASSERT_EQ(complete(2).status, 200);
  int pid = worker_pid();
  ASSERT_GT(pid, 0);
  std::ifstream in("/proc/" + std::to_string(pid) + "/environ");
  std::string env((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(env.empty());
  EXPECT_EQ(env.find("hf_canary_secret"), std::string::npos);
  EXPECT_EQ(env.find("HF_TOKEN"), std::string::npos);
  EXPECT_EQ(env.find("RBEE_API_TOKEN"), std::string::npos);
  EXPECT_EQ(env.find("aws_canary"), std::string::npos);
  EXPECT_NE(env.find("PATH="), std::string::npos);
  EXPECT_NE(env.find("RBEE_WORKER_CTX=8192"), std::string::npos); // a tuning knob stays
}

// The server's descriptors stay with the server: no listening socket (the API
// port, CAF's ports), no file of its own reaches a worker process.
TEST_F(WorkerProcess, InheritsNoneOfTheServersDescriptors) {
  ASSERT_EQ(complete(2).status, 200);
  int pid = worker_pid();
  ASSERT_GT(pid, 0);
  // The inodes of every listening TCP socket on this machine.
  std::set<std::string> listening;
  for (auto table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string sl, local, remote, st, q, tm, retr, uid, timeout, inode;
      f >> sl >> local >> remote >> st >> q >> tm >> retr >> uid >> timeout >> inode;
      if (st == "0A") listening.insert(inode);
    }
  }
  ASSERT_FALSE(listening.empty()) << "the server listens";
  int sockets = 0;
  for (auto& e : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    auto target = fs::read_symlink(e.path(), ec).string();
    if (!target.starts_with("socket:[")) continue;
    ++sockets;
    EXPECT_FALSE(listening.count(target.substr(8, target.size() - 9))) << "the worker holds a listening socket: " << target;
  }
  EXPECT_GT(sockets, 0) << "its own link to the hive";
}

TEST_F(WorkerProcess, KilledWorkerFailsOnlyItsJobAndIsRestarted) {
  ASSERT_EQ(complete(4).status, 200);
  int first = worker_pid();
  auto error = kill_mid_generation();
  EXPECT_NE(error.find("killed by signal 9"), std::string::npos) << error;
  EXPECT_EQ(net::http_call(d.url(), "GET", "/health").status, 200); // queen and hive stay up
  auto again = complete(4);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_NE(worker_pid(), first); // a fresh process
  // A second crash reaches the limit (2): the model is quarantined with a clear error.
  EXPECT_NE(kill_mid_generation().find("killed by signal 9"), std::string::npos);
  auto q = complete(4);
  EXPECT_EQ(q.status, 503);
  EXPECT_NE(q.body.find("quarantined"), std::string::npos) << q.body;
}

TEST_F(WorkerProcess, WorkersEndWithTheServer) {
  ASSERT_EQ(complete(4).status, 200);
  int pid = worker_pid();
  ASSERT_GT(pid, 0);
  d.proc->signal(SIGTERM);
  ASSERT_TRUE(d.proc->wait(5s));
  // Gone, or a zombie waiting for init to reap it (it has exited either way).
  auto exited = [&] {
    if (::kill(pid, 0) != 0) return true;
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string s;
    std::getline(stat, s);
    auto close = s.rfind(')');
    return close != std::string::npos && close + 2 < s.size() && s[close + 2] == 'Z';
  };
  EXPECT_TRUE(eventually(exited, 10s));
}
