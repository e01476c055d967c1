// auto_run end to end: `rbee serve` with a loopback Hugging Face server and a
// `rbee catalog serve` whose rbee-worker-cpu recipe packages the rbee-worker
// built beside the tests — download, install (sandboxed build), spawn of the
// installed binary, first token; again with every step skipped; each step's
// failure; cancel mid-step.
#include "io/sandbox.hpp"
#include "tests/e2e/e2e.hpp"
#include "tests/kernels/kernels_test_util.hpp"
#include "tests/support/archive_fixture.hpp"
#include "tests/support/hf_server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

class AutoRun : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    s = new suite;
    if (!fs::exists(stories("stories260K-q8_0.gguf"))) return;
    s->hf.add_file("test/tiny", "tiny-Q8_0.gguf", read_text(stories("stories260K-q8_0.gguf")));
    s->hf.add_file("test/bad", "bad-Q8_0.gguf", "GGUF but not really a model");
    s->env = private_env();
    s->home = fs::path(s->env[0].substr(s->env[0].find('=') + 1)).parent_path().string();
    std::string cat = s->home + "/catalog";
    fs::create_directories(cat + "/sources");
    std::string worker_bin = (fs::path(rbee_bin()).parent_path() / "rbee-worker").string();
    std::string src = tarball({{"rw-1.0/rbee-worker", read_text(worker_bin)}});
    std::ofstream(cat + "/sources/rw-1.0.tar.gz", std::ios::binary) << src;
    auto recipe = [&](const std::string& id, const std::string& build) {
      fs::create_directories(cat + "/workers/" + id);
      std::ofstream(cat + "/workers/" + id + "/PKGBUILD")
        << "pkgname=" << id << "\npkgver=1.0\npkgrel=1\nsource=(\"rw-$pkgver.tar.gz\")\nsha256sums=('" << sha256_hex(src)
        << "')\nbuild() {\n" << build << "\n}\npackage() {\n  install -Dm755 \"$srcdir/rw-$pkgver/rbee-worker\" \"$pkgdir/usr/bin/rbee-worker\"\n}\n";
      std::ofstream(cat + "/workers/" + id + "/meta.json")
        << R"({"platforms":["linux"],"architectures":["x86_64","aarch64"],"backend":"cpu","binary":"rbee-worker"})";
    };
    recipe("rbee-worker-cpu", "  echo '[cc] compile : linking rbee-worker'\n  echo 'c++ -O2 -o rbee-worker ...'");
    recipe("broken-worker", "  echo 'error: no rule to make target' >&2\n  exit 2");
    recipe("slow-worker", "  echo started-slow\n  sleep 121");
    auto signed_ = run({rbee_bin(), "catalog", "sign", "--dir", cat}, s->env); // the user's key, which serve trusts
    ASSERT_EQ(signed_.status, 0) << signed_.err;
    s->catalog = start_daemon({"catalog", "serve", "--port", "0", "--dir", cat}, s->env);
    s->env.push_back("RBEE_CATALOG_URL=" + s->catalog.base());
    s->env.push_back("HF_ENDPOINT=" + s->hf.endpoint());
    if (!sandbox_available()) s->env.push_back("RBEE_INSTALL_SANDBOX=0");
    s->serve = start_daemon({"serve", "--port", "0"}, s->env);
  }
  static void TearDownTestSuite() { delete s; }
  void SetUp() override {
    if (!s->serve.proc) GTEST_SKIP() << "stories260K not found";
    keeper = s->env;
    keeper.push_back("RBEE_QUEEN_URL=" + s->serve.base());
  }
  run_result auto_run(const std::string& fields) {
    return run({rbee_bin(), "job", "submit", R"({"operation":"auto_run")" + fields + "}"}, keeper, 120s);
  }
  struct suite {
    hf_server hf;
    std::vector<std::string> env;
    std::string home;
    rbee_daemon catalog, serve;
  };
  static suite* s;
  std::vector<std::string> keeper;
};
AutoRun::suite* AutoRun::s = nullptr;

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

} // namespace

TEST_F(AutoRun, FromNothingToTokensThenEveryStepSkipped) {
  auto r = auto_run(R"(,"model":"test/tiny:Q8_0")");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  // One stream, every step in order; no GPU and no CPU worker installed: the
  // engine built into rbee serves at once (building rbee-worker-cpu would compile the same).
  auto at = [&](const char* s) { return r.out.find(s); };
  ASSERT_NE(at("[1/5 hive]"), std::string::npos) << r.out;
  EXPECT_LT(at("[1/5 hive]"), at("[2/5 model] test/tiny:Q8_0 is not in the store; downloading"));
  EXPECT_LT(at("[2/5 model] test/tiny:Q8_0 is not"), at("verified"));
  EXPECT_LT(at("verified"), at("[3/5 worker] the CPU engine built into rbee"));
  EXPECT_NE(at("no usable GPU"), std::string::npos) << "the choice says why";
  EXPECT_EQ(at("installing"), std::string::npos) << r.out;
  EXPECT_LT(at("[3/5 worker]"), at("[5/5 spawn]"));
  EXPECT_NE(at("\"endpoint\": \"/v1/chat/completions\""), std::string::npos) << r.out;
  EXPECT_NE(at("\"worker\": \"builtin\""), std::string::npos) << r.out;
  ASSERT_EQ(run({rbee_bin(), "stop", "test/tiny:Q8_0"}, keeper).status, 0);
  ASSERT_TRUE(eventually([&] { return net::http_call(s->serve.url(), "GET", "/v1/workers", {}).body == R"({"workers":[]})"; }, 5s));

  // Asked for the CPU worker: the catalog's is built, installed and spawned in the same job.
  r = auto_run(R"(,"model":"test/tiny:Q8_0","worker":"cpu")");
  ASSERT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_LT(at("[3/5 worker] rbee-worker-cpu"), at("[4/5 install] installing rbee-worker-cpu")) << r.out;
  EXPECT_LT(at("[4/5 install] installing"), at("linking rbee-worker")) << "the build streams in the same job";
  EXPECT_LT(at("linking rbee-worker"), at("[5/5 spawn]"));
  EXPECT_NE(at("\"worker\": \"rbee-worker-cpu\""), std::string::npos);
  // The worker runs the installed binary, in its own process.
  auto w = net::http_call(s->serve.url(), "GET", "/v1/workers", {});
  auto pid_at = w.body.find("\"pid\":");
  ASSERT_NE(pid_at, std::string::npos) << w.body;
  int pid = std::stoi(w.body.substr(pid_at + 6));
  ASSERT_GT(pid, 0) << w.body;
  auto exe = fs::read_symlink("/proc/" + std::to_string(pid) + "/exe").string();
  EXPECT_NE(exe.find("/rbee/workers/rbee-worker-cpu/"), std::string::npos) << exe;
  EXPECT_NE(w.body.find("\"hive_id\":\"localhost\""), std::string::npos) << "a worker process carries its hive: " << w.body;
  // First token through the OpenAI endpoint the job named.
  auto chat = net::http_call(s->serve.url(), "POST", "/v1/chat/completions",
                             R"({"model":"test/tiny:Q8_0","max_tokens":8,"temperature":0,"messages":[{"role":"user","content":"Once upon a time"}]})");
  EXPECT_EQ(chat.status, 200) << chat.body;
  EXPECT_NE(chat.body.find("\"completion_tokens\":8"), std::string::npos) << chat.body;
  // Again: nothing to do at any step.
  auto again = auto_run(R"(,"model":"test/tiny:Q8_0","hive_id":"localhost")");
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to download"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("rbee-worker-cpu 1.0-1 is installed"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("reusing it"), std::string::npos) << again.out;
  EXPECT_EQ(count(again.out, "verified"), 0u);
  EXPECT_EQ(count(again.out, "linking"), 0u);
}

TEST_F(AutoRun, EachFailingStepIsNamed) {
  struct expect_fail {
    std::string fields, step, cause;
  };
  fs::create_directories(s->home + "/data/rbee/models/local/broken");
  std::ofstream(s->home + "/data/rbee/models/local/broken/broken-Q8_0.gguf") << "GGUF\x03";
  for (auto& [fields, step, cause] : std::vector<expect_fail>{
         {R"(,"model":"test/tiny","hive_id":"nowhere")", "step 'hive'", "no hive 'nowhere'"},
         {R"(,"model":"test/none")", "step 'model'", "no repository"},
         {R"(,"model":"/no/such/file.gguf")", "step 'model'", "no GGUF file"},
         {R"(,"model":"test/tiny:Q8_0","worker":"cuda")", "step 'worker'", "rbee-worker-cuda"},
         {R"(,"model":"test/tiny:Q8_0","worker":"rbee-worker-metal")", "step 'worker'", "no worker 'rbee-worker-metal'"},
         {R"(,"model":"test/tiny:Q8_0","worker":"broken-worker")", "step 'install'", "no rule to make target"},
         {R"(,"model":"local/broken","worker":"cpu")", "step 'spawn'", "could not load"}}) {
    auto r = auto_run(fields);
    EXPECT_EQ(r.status, 1) << fields;
    EXPECT_NE(r.err.find(step), std::string::npos) << fields << "\n" << r.err;
    EXPECT_NE(r.err.find(cause), std::string::npos) << fields << "\n" << r.err;
  }
  // Hostile names: refused at the model step (or by the API), nothing written outside the store.
  for (std::string bad : {R"(,"model":"a/..")", R"(,"model":"../../etc/passwd")", R"(,"model":"a/b;rm -rf x")",
                          R"(,"model":"test/tiny:../../x")"}) {
    auto r = auto_run(bad);
    EXPECT_EQ(r.status, 1) << bad << "\n" << r.out;
  }
  EXPECT_FALSE(fs::exists(s->home + "/data/rbee/models/a"));
  EXPECT_FALSE(fs::exists(s->home + "/data/rbee/x"));
  EXPECT_FALSE(fs::exists(s->home + "/data/rbee/workers/broken-worker"));
  // The daemon is fine afterwards.
  EXPECT_EQ(net::http_call(s->serve.url(), "GET", "/health", {}).status, 200);
}

TEST_F(AutoRun, CancelStopsTheStepThatRuns) {
  auto r = net::http_call(s->serve.url(), "POST", "/v1/jobs",
                          R"({"operation":"auto_run","model":"test/tiny:Q8_0","worker":"slow-worker"})");
  ASSERT_EQ(r.status, 202) << r.body;
  std::string id = r.body.substr(r.body.find("job-"), 20);
  bool building = false, cancelled = false;
  auto st = net::sse_get(s->serve.url(), "/v1/jobs/" + id + "/stream", {}, [&](const net::sse_event& e) {
    if (!building && e.data.find("started-slow") != std::string::npos) {
      building = true;
      EXPECT_EQ(net::http_call(s->serve.url(), "DELETE", "/v1/jobs/" + id, {}).status, 200);
    }
    if (e.event == "cancelled") cancelled = true;
    return e.event != "cancelled" && e.event != "done" && e.event != "error";
  }, 60s);
  EXPECT_TRUE(building);
  EXPECT_TRUE(cancelled);
  // The build was stopped: the worker never appears, and the sleeping recipe is gone.
  EXPECT_TRUE(eventually([&] { return run({"/usr/bin/pgrep", "-f", "sleep 121"}).status != 0; }, 5s));
  EXPECT_FALSE(fs::exists(s->home + "/data/rbee/workers/slow-worker"));
}

// A catalog that accepts connections and never answers: auto_run waits at its
// worker step, but the hive keeps answering (heartbeats, other jobs) meanwhile.
TEST(AutoRunBlackhole, ASilentCatalogDoesNotStallTheHive) {
  if (!fs::exists(stories("stories260K-q8_0.gguf"))) GTEST_SKIP() << "stories260K not found";
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(::listen(fd, 16), 0); // never accepted: requests sit in the backlog unanswered
  socklen_t n = sizeof(a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
  auto env = private_env();
  env.push_back("RBEE_CATALOG_URL=http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
  auto d = start_daemon({"serve", "--port", "0"}, env);
  ASSERT_GT(d.port, 0);
  auto r = net::http_call(d.url(), "POST", "/v1/jobs",
                          R"({"operation":"auto_run","model":")" + stories("stories260K-q8_0.gguf") + "\"}");
  ASSERT_EQ(r.status, 202) << r.body;
  std::string id = r.body.substr(r.body.find("job-"), 20);
  std::this_thread::sleep_for(7s); // longer than the hive's lease (5 s)
  auto hives = net::http_call(d.url(), "GET", "/v1/hives", {});
  EXPECT_NE(hives.body.find("\"state\":\"online\""), std::string::npos) << hives.body;
  // Another job on the same hive completes meanwhile (it used to wait for the catalog's timeout).
  auto get = run({rbee_bin(), "job", "submit", R"({"operation":"hive_get","hive_id":"localhost"})", "--queen", d.base()}, env, 20s);
  EXPECT_EQ(get.status, 0) << get.err;
  auto job = net::http_call(d.url(), "GET", "/v1/jobs/" + id, {});
  EXPECT_NE(job.body.find("\"state\":\"running\""), std::string::npos) << job.body;
  EXPECT_EQ(net::http_call(d.url(), "DELETE", "/v1/jobs/" + id, {}).status, 200);
  ::close(fd);
}
