// The nemesis: a queen and a hive in two processes (workers in their own
// processes), several clients submitting and cancelling infer, model_download and
// worker_install jobs, and a controller that SIGKILLs and SIGSTOP/SIGCONTs worker
// processes and the hive meanwhile. Then a checker reads every job's SSE stream and
// the API: exactly one terminal event per job (the last, agreeing with the job's
// state), strictly increasing event ids, a Last-Event-ID replay equal to the end of
// the uninterrupted stream, no daemon dead that was not killed, and the queen's file
// descriptors and threads back to their level before the load. The history goes to
// a file a person can read: $RBEE_NEMESIS_HISTORY, default nemesis-history.txt in the
// working directory. RBEE_NEMESIS_SECONDS sets the length of the load (default 60).
#include "io/sandbox.hpp"
#include "tests/e2e/e2e.hpp"
#include "tests/kernels/kernels_test_util.hpp"
#include "tests/support/archive_fixture.hpp"
#include "tests/support/hf_server.hpp"

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>

using namespace rbee;
using namespace rbee::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

using clk = std::chrono::steady_clock;

/// The readable record of the run.
class history {
public:
  explicit history(std::string path) : path_(std::move(path)), out_(path_), start_(clk::now()) {}
  void operator()(const std::string& who, const std::string& what) {
    std::lock_guard<std::mutex> g{mtx_};
    char t[32];
    std::snprintf(t, sizeof t, "%8.3f s  ", std::chrono::duration<double>(clk::now() - start_).count());
    out_ << t << who << ": " << what << "\n";
    out_.flush();
  }
  const std::string& path() const { return path_; }

private:
  std::string path_;
  std::ofstream out_;
  std::mutex mtx_;
  clk::time_point start_;
};

struct job {
  std::string id, op;
};

std::string field(const std::string& json, const std::string& key) {
  auto at = json.find("\"" + key + "\":\"");
  if (at == std::string::npos) return "";
  at += key.size() + 4;
  return json.substr(at, json.find('"', at) - at);
}

int count_entries(const std::string& dir) {
  std::error_code ec;
  int n = 0;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) ++n;
  return n;
}

/// A job's whole stream, to its terminal event (or what arrived before `idle`).
std::vector<net::sse_event> read_stream(const net::url& u, const std::string& id, net::headers h = {}) {
  std::vector<net::sse_event> out;
  net::sse_get(u, "/v1/jobs/" + id + "/stream", h, [&](const net::sse_event& e) {
    out.push_back(e);
    return !(e.event == "done" || e.event == "error" || e.event == "cancelled");
  }, 20s);
  return out;
}

} // namespace

TEST(Nemesis, JobsSurviveKillsAndStopsOfWorkersAndTheHive) {
  if (!exists(stories("stories260K-f32.gguf"))) GTEST_SKIP() << "stories260K not found";
  int seconds = std::getenv("RBEE_NEMESIS_SECONDS") ? std::atoi(std::getenv("RBEE_NEMESIS_SECONDS")) : 60;
  history log(std::getenv("RBEE_NEMESIS_HISTORY") ? std::getenv("RBEE_NEMESIS_HISTORY") : "nemesis-history.txt");

  // A Hugging Face stand-in with slow downloads, a signed catalog with a quick recipe.
  hf_server hf;
  std::string model = read_text(stories("stories260K-q8_0.gguf"));
  for (int i = 0; i < 6; ++i) {
    std::string repo = "test/d" + std::to_string(i);
    hf.add_file(repo, "d-Q8_0.gguf", model);
    hf.faults(repo, "d-Q8_0.gguf", {-1, -1, false, 512 << 10});
  }
  auto env = private_env();
  std::string home = fs::path(env[0].substr(env[0].find('=') + 1)).parent_path().string();
  std::string data = home + "/data/rbee";
  fs::create_directories(data + "/models/test/stories");
  fs::copy_file(stories("stories260K-f32.gguf"), data + "/models/test/stories/stories260K-f32.gguf");
  std::string cat = home + "/catalog";
  fs::create_directories(cat + "/sources");
  fs::create_directories(cat + "/workers/hello-worker");
  std::string src = tarball({{"hello-1.0/hello.c", "int main(void){return 0;}\n"}});
  std::ofstream(cat + "/sources/hello-1.0.tar.gz", std::ios::binary) << src;
  std::ofstream(cat + "/workers/hello-worker/PKGBUILD")
    << "pkgname=hello-worker\npkgver=1.0\npkgrel=1\nsource=(\"hello-$pkgver.tar.gz\")\nsha256sums=('" << sha256_hex(src)
    << "')\nbuild() {\n  cd \"$srcdir/hello-$pkgver\"\n  sleep 1\n  cc -O2 -o hello hello.c\n}\npackage() {\n"
    << "  install -Dm755 \"$srcdir/hello-$pkgver/hello\" \"$pkgdir/usr/bin/hello\"\n}\n";
  std::ofstream(cat + "/workers/hello-worker/meta.json")
    << R"({"platforms":["linux"],"architectures":["x86_64","aarch64"],"backend":"cpu","binary":"hello"})";
  ASSERT_EQ(run({rbee_bin(), "catalog", "sign", "--dir", cat}, env).status, 0);
  auto catalog = start_daemon({"catalog", "serve", "--port", "0", "--dir", cat}, env);
  env.push_back("RBEE_CATALOG_URL=" + catalog.base());
  env.push_back("HF_ENDPOINT=" + hf.endpoint());
  env.push_back("RBEE_WORKER_PROCESSES=1");
  env.push_back("RBEE_WORKER_MAX_CRASHES=1000"); // the nemesis kills them on purpose
  env.push_back("RBEE_WORKER_CTX=1024");
  if (!sandbox_available()) env.push_back("RBEE_INSTALL_SANDBOX=0");

  auto queen = start_daemon({"queen", "--port", "0", "--cluster-port", "0"}, env);
  auto line = queen.proc->read_line(10s);
  ASSERT_TRUE(line && line->rfind("cluster on ", 0) == 0);
  std::string cluster = line->substr(11);
  net::url u = queen.url();
  std::mutex hive_mtx;
  std::unique_ptr<process> hive;
  int hive_starts = 0;
  auto hive_env = joined_hive_env("h1", cluster, env, env);
  auto start_hive = [&] {
    hive = std::make_unique<process>(std::vector<std::string>{rbee_bin(), "hive", "--port", "0"}, hive_env);
    ++hive_starts;
  };
  auto hive_online = [&] { return net::http_call(u, "GET", "/v1/hives/h1").body.find("\"state\":\"online\"") != std::string::npos; };
  start_hive();
  ASSERT_TRUE(eventually(hive_online, 20s)) << hive->stderr_text();
  // Warm up once (a worker, a connection), then take the queen's resources as the baseline.
  auto warm = net::http_call(u, "POST", "/v1/jobs", R"({"operation":"infer","hive_id":"h1","model":"test/stories","prompt":"Once","max_tokens":4})");
  ASSERT_EQ(warm.status, 202) << warm.body;
  read_stream(u, field(warm.body, "job_id"));
  std::this_thread::sleep_for(1s);
  std::string proc_dir = "/proc/" + std::to_string(queen.proc->pid());
  int fds_before = count_entries(proc_dir + "/fd"), threads_before = count_entries(proc_dir + "/task");
  log("checker", "queen pid " + std::to_string(queen.proc->pid()) + ": " + std::to_string(fds_before) + " fds, " +
                   std::to_string(threads_before) + " threads before the load");

  std::mutex jobs_mtx;
  std::vector<job> jobs;
  std::atomic<bool> stop{false};
  std::atomic<int> kills{0}, stops{0}, hive_kills{0}, hive_stops{0}, cancels{0}, refused{0};
  auto client = [&](int n) {
    std::mt19937 rng(static_cast<unsigned>(100 + n));
    std::string me = "client" + std::to_string(n);
    while (!stop) {
      int pick = static_cast<int>(rng() % 100);
      std::string op, body;
      if (pick < 55) {
        op = "infer";
        body = R"({"operation":"infer","hive_id":"h1","model":"test/stories","prompt":"Once upon a time","max_tokens":)" +
               std::to_string(20 + rng() % 300) + R"(,"temperature":0.8,"seed":)" + std::to_string(rng() % 1000) + "}";
      } else if (pick < 80) {
        op = "model_download";
        body = R"({"operation":"model_download","hive_id":"h1","model":"test/d)" + std::to_string(rng() % 6) + R"(:Q8_0"})";
      } else {
        op = "worker_install";
        body = R"({"operation":"worker_install","hive_id":"h1","worker_id":"hello-worker"})";
      }
      auto r = net::http_call(u, "POST", "/v1/jobs", body);
      if (r.status != 202) {
        ++refused;
        log(me, "submit " + op + " refused: HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 120));
        std::this_thread::sleep_for(200ms);
        continue;
      }
      std::string id = field(r.body, "job_id");
      log(me, "submit " + op + " " + id);
      {
        std::lock_guard<std::mutex> g{jobs_mtx};
        jobs.push_back({id, op});
      }
      if (rng() % 100 < 30) {
        std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 1000));
        auto c = net::http_call(u, "DELETE", "/v1/jobs/" + id);
        ++cancels;
        log(me, "cancel " + id + ": HTTP " + std::to_string(c.status));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100 + rng() % 600));
      }
    }
  };
  auto controller = [&] {
    std::mt19937 rng(7);
    while (!stop) {
      std::this_thread::sleep_for(std::chrono::milliseconds(800 + rng() % 1500));
      if (stop) break;
      int pick = static_cast<int>(rng() % 100);
      std::vector<int> pids;
      auto w = net::http_call(u, "GET", "/v1/workers").body;
      for (size_t at = 0; (at = w.find("\"pid\":", at)) != std::string::npos; at += 6)
        if (int pid = std::atoi(w.c_str() + at + 6); pid > 0) pids.push_back(pid);
      if (pick < 40 && !pids.empty()) {
        int pid = pids[rng() % pids.size()];
        ::kill(pid, SIGKILL);
        ++kills;
        log("nemesis", "SIGKILL worker pid " + std::to_string(pid));
      } else if (pick < 60 && !pids.empty()) {
        int pid = pids[rng() % pids.size()];
        ::kill(pid, SIGSTOP);
        log("nemesis", "SIGSTOP worker pid " + std::to_string(pid));
        std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
        ::kill(pid, SIGCONT);
        ++stops;
        log("nemesis", "SIGCONT worker pid " + std::to_string(pid));
      } else if (pick < 80) {
        std::lock_guard<std::mutex> g{hive_mtx};
        hive->signal(SIGSTOP);
        log("nemesis", "SIGSTOP hive pid " + std::to_string(hive->pid()));
        std::this_thread::sleep_for(std::chrono::milliseconds(1000 + rng() % 2500));
        hive->signal(SIGCONT);
        ++hive_stops;
        log("nemesis", "SIGCONT hive pid " + std::to_string(hive->pid()));
      } else {
        std::lock_guard<std::mutex> g{hive_mtx};
        log("nemesis", "SIGKILL hive pid " + std::to_string(hive->pid()));
        hive->signal(SIGKILL);
        hive->wait(5s);
        ++hive_kills;
        std::this_thread::sleep_for(500ms);
        start_hive();
        log("nemesis", "restarted the hive: pid " + std::to_string(hive->pid()));
      }
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 3; ++i) threads.emplace_back(client, i);
  threads.emplace_back(controller);
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  log("checker", std::to_string(jobs.size()) + " jobs submitted (" + std::to_string(refused) + " refused), " +
                   std::to_string(cancels) + " cancels; " + std::to_string(kills) + " worker kills, " +
                   std::to_string(stops) + " worker stops, " + std::to_string(hive_kills) + " hive kills, " +
                   std::to_string(hive_stops) + " hive stops");

  // Every job ends, and its stream says so once, last, in order.
  std::map<std::string, int> outcomes;
  for (auto& j : jobs) {
    std::string state;
    bool ended = eventually([&] {
      state = field(net::http_call(u, "GET", "/v1/jobs/" + j.id).body, "state");
      return state == "completed" || state == "failed" || state == "cancelled";
    }, 60s);
    EXPECT_TRUE(ended) << j.op << " " << j.id << " is still " << state;
    auto events = read_stream(u, j.id);
    ASSERT_FALSE(events.empty()) << j.id;
    int terminal = 0;
    uint64_t last_id = 0;
    for (size_t i = 0; i < events.size(); ++i) {
      auto& e = events[i];
      uint64_t id = std::stoull(e.id.empty() ? "0" : e.id);
      EXPECT_GT(id, last_id) << j.id << ": event ids must increase";
      last_id = id;
      bool end = e.event == "done" || e.event == "error" || e.event == "cancelled";
      terminal += end;
      if (end) EXPECT_EQ(i, events.size() - 1) << j.id << ": the terminal event is the last";
    }
    EXPECT_EQ(terminal, 1) << j.id;
    std::string ev = events.back().event;
    std::string want = state == "completed" ? "done" : state == "failed" ? "error" : "cancelled";
    EXPECT_EQ(ev, want) << j.id << " (" << j.op << ") state " << state;
    ++outcomes[j.op + " " + state];
    // Resuming from the middle replays exactly the rest.
    size_t mid = events.size() / 2;
    auto rest = read_stream(u, j.id, {{"Last-Event-ID", events[mid].id}});
    ASSERT_EQ(rest.size(), events.size() - mid - 1) << j.id;
    for (size_t i = 0; i < rest.size(); ++i) {
      EXPECT_EQ(rest[i].id, events[mid + 1 + i].id) << j.id;
      EXPECT_EQ(rest[i].data, events[mid + 1 + i].data) << j.id;
    }
    log("checker", j.id + " " + j.op + ": " + std::to_string(events.size()) + " events, " + ev + " (" + state + ")");
  }
  std::string summary;
  for (auto& [k, n] : outcomes) summary += k + ": " + std::to_string(n) + "; ";
  log("checker", "outcomes: " + summary);

  // Nothing died that was not killed: the queen serves, the hive (its last start) rejoins.
  EXPECT_EQ(::kill(queen.proc->pid(), 0), 0);
  EXPECT_EQ(net::http_call(u, "GET", "/health").status, 200);
  EXPECT_TRUE(eventually(hive_online, 30s)) << "the hive did not come back";
  // The queen's descriptors and threads are back where they were.
  int fds_after = 0, threads_after = 0;
  bool settled = eventually([&] {
    fds_after = count_entries(proc_dir + "/fd");
    threads_after = count_entries(proc_dir + "/task");
    return fds_after <= fds_before && threads_after <= threads_before;
  }, 20s);
  log("checker", "queen after the load: " + std::to_string(fds_after) + " fds, " + std::to_string(threads_after) + " threads");
  EXPECT_TRUE(settled) << "fds " << fds_before << " -> " << fds_after << ", threads " << threads_before << " -> "
                       << threads_after << "; history in " << log.path();
  EXPECT_GT(jobs.size(), 20u);
  std::printf("nemesis: %zu jobs, %d worker kills, %d worker stops, %d hive kills, %d hive stops; history in %s\n",
              jobs.size(), kills.load(), stops.load(), hive_kills.load(), hive_stops.load(), log.path().c_str());
}
