// `rbee queen` + `rbee hive` as two processes joined over CAF's network layer.
#include "tests/e2e/cluster_fixture.hpp"
#include "tests/kernels/kernels_test_util.hpp"

#include <filesystem>
#include <map>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;


TEST_F(Cluster, HiveJoinsAndRunsJobs) {
  auto hive = start_hive("h1");
  ASSERT_TRUE(eventually([&] { return hive_state("h1") == "online"; }, 10s)) << hive->stderr_text();
  auto info = hive_json("h1");
  EXPECT_NE(info.find("\"cpu_model\""), std::string::npos);
  EXPECT_NE(info.find("\"local\":false"), std::string::npos);
  auto r = run({rbee_bin(), "job", "submit", R"({"operation":"hive_get","hive_id":"h1"})"}, env);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("routing hive_get to hive h1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[hive"), std::string::npos);
}

TEST_F(Cluster, KilledHiveIsLostAndRejoins) {
  auto hive = start_hive("h2");
  ASSERT_TRUE(eventually([&] { return hive_state("h2") == "online"; }, 10s));
  hive->signal(SIGKILL);
  auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return hive_state("h2") == "lost"; }, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - killed, 5s);
  auto r = run({rbee_bin(), "job", "submit", R"({"operation":"hive_get","hive_id":"h2"})"}, env);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("hive_lost"), std::string::npos) << r.err;
  // A restarted hive rejoins under the same id, with a new epoch.
  auto again = start_hive("h2");
  ASSERT_TRUE(eventually([&] { return hive_state("h2") == "online"; }, 10s));
  EXPECT_NE(hive_json("h2").find("\"epoch\":2"), std::string::npos);
}

TEST_F(Cluster, HungHiveIsLostWithin10Seconds) {
  auto hive = start_hive("h3");
  ASSERT_TRUE(eventually([&] { return hive_state("h3") == "online"; }, 10s));
  hive->signal(SIGSTOP);
  auto stopped = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return hive_state("h3") == "lost"; }, 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, 10s);
  hive->signal(SIGCONT);
  EXPECT_TRUE(eventually([&] { return hive_state("h3") == "online"; }, 15s)) << hive->stderr_text();
}

TEST_F(Cluster, JobInFlightFailsWhenItsHiveHangs) {
  auto hive = start_hive("h4");
  ASSERT_TRUE(eventually([&] { return hive_state("h4") == "online"; }, 10s));
  hive->signal(SIGSTOP);
  // Submitted while the hive is hung but not yet declared lost: the job is
  // routed, then fails with hive_lost when the connection times out.
  auto r = run({rbee_bin(), "job", "submit", R"({"operation":"hive_get","hive_id":"h4"})"}, env, 20s);
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("hive_lost"), std::string::npos) << r.err << r.out;
  hive->signal(SIGCONT);
}

TEST_F(Cluster, HiveWithoutCredentialsABadIdOrAddressIsAUsageError) {
  auto none = run({rbee_bin(), "hive", "--queen", cluster}, private_env(), 10s);
  EXPECT_EQ(none.status, 2);
  EXPECT_NE(none.err.find("rbee cluster add-hive"), std::string::npos) << none.err;
  auto henv = hive_env("h9");
  auto other = run({rbee_bin(), "hive", "--id", "../evil"}, henv, 10s);
  EXPECT_EQ(other.status, 2);
  EXPECT_NE(other.err.find("are for hive 'h9'"), std::string::npos) << other.err;
  auto addr = run({rbee_bin(), "hive", "--queen", "nowhere"}, henv, 10s);
  EXPECT_EQ(addr.status, 2);
  auto bad_name = run({rbee_bin(), "cluster", "add-hive", "../evil"}, env, 10s);
  EXPECT_EQ(bad_name.status, 2);
  auto bad_token = run({rbee_bin(), "hive", "join", "rbee-join-AAAA"}, private_env(), 10s);
  EXPECT_EQ(bad_token.status, 2);
  EXPECT_NE(bad_token.err.find("not a valid join token"), std::string::npos) << bad_token.err;
}

TEST_F(Cluster, GarbageOnTheClusterPortDoesNotHurtTheQueen) {
  auto port = std::stoi(cluster.substr(cluster.rfind(':') + 1));
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  std::string junk(4096, '\xff');
  for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>(i * 131 + 7);
  ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
  std::this_thread::sleep_for(300ms);
  close(fd);
  EXPECT_EQ(net::http_call(queen.url(), "GET", "/health").status, 200);
  auto hive = start_hive("h5"); // and hives still join
  EXPECT_TRUE(eventually([&] { return hive_state("h5") == "online"; }, 10s));
}

TEST_F(Cluster, InferGoesToTheHiveThatHasTheModel) {
  if (!exists(stories("stories260K-f32.gguf"))) GTEST_SKIP() << "stories260K not found";
  auto empty = temp_dir(), full = temp_dir();
  std::filesystem::create_directories(full + "/models/test/stories");
  std::filesystem::copy_file(stories("stories260K-f32.gguf"), full + "/models/test/stories/m.gguf");
  auto a = start_hive("bare", empty);
  auto b = start_hive("stocked", full);
  ASSERT_TRUE(eventually([&] { return hive_state("bare") == "online" && hive_state("stocked") == "online"; }, 10s));
  for (int i = 0; i < 2; ++i) { // first: the store decides; second: the loaded worker does
    auto r = run({rbee_bin(), "job", "submit", R"({"operation":"infer","model":"test/stories","prompt":"Once","max_tokens":4})"}, env);
    EXPECT_EQ(r.status, 0) << r.err;
    EXPECT_NE(r.out.find("routing infer to hive stocked"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(i == 0 ? "test/stories in its store" : "test/stories is loaded there"), std::string::npos) << r.out;
  }
  auto none = run({rbee_bin(), "job", "submit", R"({"operation":"infer","model":"nobody/has","prompt":"x"})"}, env);
  EXPECT_EQ(none.status, 1);
  EXPECT_NE(none.err.find("no hive has the model"), std::string::npos) << none.err;
}

// A hive that offers 2 MiB for models (hive_memory_mb) holds one stories260K f32
// worker: another model there first stops the least recently used idle worker,
// and the job says so.
TEST_F(Cluster, AFullHiveStopsItsLeastRecentlyUsedIdleWorker) {
  if (!exists(stories("stories260K-f32.gguf"))) GTEST_SKIP() << "stories260K not found";
  auto data = temp_dir();
  for (auto m : {"a", "b"}) {
    std::filesystem::create_directories(data + "/models/test/" + m);
    std::filesystem::copy_file(stories("stories260K-f32.gguf"), data + "/models/test/" + m + "/m.gguf");
  }
  hive_env("small");
  hive_envs["small"].push_back("RBEE_HIVE_MEMORY_MB=2");
  auto h = start_hive("small", data);
  ASSERT_TRUE(eventually([&] { return hive_state("small") == "online"; }, 10s));
  auto offered = [&] {
    auto j = hive_json("small");
    auto at = j.find("\"ram_available\":");
    return at == std::string::npos ? uint64_t{0} : std::stoull(j.substr(at + 16));
  };
  EXPECT_LE(offered(), 2ull << 20) << hive_json("small");
  auto a = run({rbee_bin(), "job", "submit", R"({"operation":"infer","model":"test/a","prompt":"Once","max_tokens":4})"}, env);
  ASSERT_EQ(a.status, 0) << a.err;
  EXPECT_NE(a.out.find("test/a in its store"), std::string::npos) << a.out;
  // Its worker's memory is no longer offered (heartbeats carry it).
  ASSERT_TRUE(eventually([&] { return offered() < 1'200'000; }, 10s)) << hive_json("small");
  auto b = run({rbee_bin(), "job", "submit", R"({"operation":"infer","model":"test/b","prompt":"Once","max_tokens":4})"}, env);
  ASSERT_EQ(b.status, 0) << b.out << b.err;
  EXPECT_NE(b.out.find("free once its least recently used idle worker stops"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("(test/a:m.gguf, "), std::string::npos) << "the evicted worker is named: " << b.out;
  EXPECT_NE(b.out.find("least recently used"), std::string::npos) << b.out;
  auto workers = net::http_call(queen.url(), "GET", "/v1/workers").body;
  EXPECT_EQ(workers.find("\"model\":\"test/a:m.gguf\""), std::string::npos) << workers;
  EXPECT_NE(workers.find("\"model\":\"test/b:m.gguf\""), std::string::npos) << workers;
}

// The hive's own HTTP port: the hive-level subset of the API.
TEST_F(Cluster, TheHiveServesItsSubsetOfTheApi) {
  process hive({rbee_bin(), "hive", "--port", "0", "--data-dir", temp_dir()}, hive_env("h1"));
  auto line = hive.read_line(10s);
  ASSERT_TRUE(line) << hive.stderr_text();
  int port = port_of(*line);
  ASSERT_GT(port, 0) << *line;
  net::url u{"127.0.0.1", std::to_string(port)};
  EXPECT_EQ(net::http_call(u, "GET", "/health").status, 200);
  auto caps = net::http_call(u, "GET", "/v1/capabilities");
  EXPECT_EQ(caps.status, 200);
  EXPECT_NE(caps.body.find("\"cores\":"), std::string::npos) << caps.body;
  EXPECT_EQ(net::http_call(u, "GET", "/v1/workers").body, R"({"workers":[]})");
  EXPECT_EQ(net::http_call(u, "GET", "/v1/models").body, R"({"models":[]})");
  EXPECT_EQ(net::http_call(u, "GET", "/v1/jobs").status, 404) << "jobs go through the queen";
  EXPECT_EQ(net::http_call(u, "POST", "/v1/capabilities", "{}").status, 405);
  EXPECT_EQ(net::http_call(u, "GET", "/v1/capabilities/../../etc").status, 404);
}

// A queen killed and started again (same state, same ports) gets its hives back,
// with the workers they kept loaded.
TEST_F(Cluster, ARestartedQueenGetsItsHivesBackWithTheirWorkers) {
  if (!exists(stories("stories260K-f32.gguf"))) GTEST_SKIP() << "stories260K not found";
  auto data = temp_dir();
  std::filesystem::create_directories(data + "/models/test/stories");
  std::filesystem::copy_file(stories("stories260K-f32.gguf"), data + "/models/test/stories/m.gguf");
  auto hive = start_hive("h6", data);
  ASSERT_TRUE(eventually([&] { return hive_state("h6") == "online"; }, 10s)) << hive->stderr_text();
  auto r = run({rbee_bin(), "job", "submit", R"({"operation":"infer","model":"test/stories","prompt":"Once","max_tokens":2})"}, env);
  ASSERT_EQ(r.status, 0) << r.err;
  std::string http = std::to_string(queen.port), port = cluster.substr(cluster.rfind(':') + 1);
  queen.proc->signal(SIGKILL);
  queen.proc->wait(5s);
  queen = start_daemon({"queen", "--port", http, "--cluster-port", port}, env);
  ASSERT_GT(queen.port, 0);
  EXPECT_TRUE(eventually([&] { return hive_state("h6") == "online"; }, 20s)) << hive->stderr_text();
  auto workers = net::http_call(queen.url(), "GET", "/v1/workers").body;
  EXPECT_NE(workers.find("\"model\":\"test/stories:m.gguf\""), std::string::npos) << workers;
  EXPECT_NE(workers.find("\"hive_id\":\"h6\""), std::string::npos) << workers;
}

// LAN copy: a hive that needs a model another hive has copies it from that hive
// over the cluster's TLS links (verified, into place), instead of downloading it.
TEST_F(Cluster, AModelIsCopiedFromTheHiveThatHasIt) {
  if (!exists(stories("stories260K-f32.gguf"))) GTEST_SKIP() << "stories260K not found";
  auto full = temp_dir(), empty = temp_dir();
  std::filesystem::create_directories(full + "/models/test/stories");
  std::filesystem::copy_file(stories("stories260K-f32.gguf"), full + "/models/test/stories/m.gguf");
  auto src = start_hive("src", full);
  auto dst = start_hive("dst", empty);
  ASSERT_TRUE(eventually([&] { return hive_state("src") == "online" && hive_state("dst") == "online"; }, 10s));
  // The hives' HF_ENDPOINT points nowhere: only the copy can succeed.
  auto r = run({rbee_bin(), "job", "submit", R"({"operation":"model_download","hive_id":"dst","model":"test/stories"})"}, env, 60s);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("hive src has test/stories: copying it over the cluster link"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("SHA-256 verified"), std::string::npos) << r.out;
  std::string copied = empty + "/models/test/stories/m.gguf";
  ASSERT_TRUE(exists(copied));
  EXPECT_EQ(read_text(copied), read_text(stories("stories260K-f32.gguf")));
  EXPECT_FALSE(exists(copied + ".incomplete"));
  // And the copy is usable: an inference on dst loads it.
  auto infer = run({rbee_bin(), "job", "submit", R"({"operation":"infer","hive_id":"dst","model":"test/stories","prompt":"Once","max_tokens":2})"}, env);
  EXPECT_EQ(infer.status, 0) << infer.err;
  // A model no hive has: the hive downloads it itself (and here fails: no Hugging Face).
  auto none = run({rbee_bin(), "job", "submit", R"({"operation":"model_download","hive_id":"dst","model":"nobody/has"})"}, env, 60s);
  EXPECT_NE(none.status, 0);
  EXPECT_NE(none.out.find("no other hive has nobody/has"), std::string::npos) << none.out;
}

// SIGTERM stops a hive that holds loaded workers (they are stopped with it):
// `rbee hive uninstall` and systemd rely on it.
TEST_F(Cluster, AHiveWithALoadedWorkerStopsOnSigterm) {
  auto data = temp_dir();
  std::filesystem::create_directories(data + "/models/test/synth");
  ASSERT_EQ(run({rbee_bin(), "model", "synth", "--shape", "stories15m", "--type", "q8_0", "--out",
                 data + "/models/test/synth/m.gguf"}, {}, 120s).status, 0);
  auto h = start_hive("busy", data);
  ASSERT_TRUE(eventually([&] { return hive_state("busy") == "online"; }, 10s));
  // Several streams at once, as a chat server sees them.
  std::vector<std::unique_ptr<process>> jobs;
  for (int i = 0; i < 6; ++i)
    jobs.push_back(std::make_unique<process>(
      std::vector<std::string>{rbee_bin(), "job", "submit", R"({"operation":"infer","model":"test/synth","prompt":"Once","max_tokens":16})"}, env));
  for (auto& j : jobs) EXPECT_EQ(j->wait(60s), 0);
  ASSERT_NE(net::http_call(queen.url(), "GET", "/v1/workers").body.find("test/synth"), std::string::npos);
  h->signal(SIGTERM);
  // Within the bounded shutdown (exit_after): usually at once; under load a reference CAF keeps to a
  // worker after remote streams can hold the actor system's destructor, and the bound ends it.
  EXPECT_EQ(h->wait(15s), 0) << "the hive exits, its worker with it: " << h->stderr_text();
}
