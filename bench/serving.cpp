// Serving end to end: aggregate decode t/s of 1, 2, 4, 8 concurrent OpenAI
// streams against one worker (continuous batching), and one stream through
// HTTP SSE against the engine alone.
// Usage: bench_serving MODEL [tokens=64] [http://HOST:PORT]   (RBEE_BENCH_ROUNDS: alternated rounds, 5)
// With a URL, the streams go to that server (e.g. a `rbee serve` process of its
// own) instead of one started in this process.
#include "bench/bench_server.hpp"
#include "kernels/context.hpp"
#include "kernels/parallel.hpp"
#include "net/http_client.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

extern char** environ;

using namespace rbee;
using clk = std::chrono::steady_clock;

namespace {

/// One streamed completion: decode t/s from its first to its last token.
struct stream_figures {
  int tokens = 0;
  clk::time_point first, last;
};

stream_figures stream_once(const net::url& u, const std::string& model, int n) {
  stream_figures f;
  std::string body = R"({"model":")" + model + R"(","prompt":"Once upon a time","max_tokens":)" + std::to_string(n) +
                     R"(,"temperature":0,"stream":true,"stream_options":{"include_usage":true}})";
  net::sse_request(u, "POST", "/v1/completions", body, {}, [&](const net::sse_event& e) {
    if (e.data == "[DONE]") return false;
    auto at = e.data.find("\"completion_tokens\":");
    if (at != std::string::npos) { // the usage chunk: the true token count
      f.tokens = std::atoi(e.data.c_str() + at + 20);
      return true;
    }
    if (f.first == clk::time_point{}) f.first = clk::now();
    f.last = clk::now();
    return true;
  }, std::chrono::minutes(5));
  return f;
}

/// The engine alone as users run it: `rbee bench -p 0 -n N --json` in its own process (no
/// server threads beside it); 0 when that binary is not found.
double engine_process(const std::string& rbee, const std::string& path, int n) {
  std::string cmd = "'" + rbee + "' bench --model '" + path + "' -p 0 -n " + std::to_string(n) + " --json 2>/dev/null";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return 0;
  char buf[4096];
  std::string out;
  while (size_t got = std::fread(buf, 1, sizeof(buf), p)) out.append(buf, got);
  ::pclose(p);
  auto at = out.find("\"decode_tps\":");
  return at == std::string::npos ? 0 : std::atof(out.c_str() + at + 13);
}

/// The engine alone, in the worker's configuration (slots, context, batch).
double engine_alone(const std::string& path, int n, const config::settings& s) {
  auto m = kernels::model::load(path);
  kernels::context_params cp;
  cp.n_slots = s.worker_slots;
  cp.n_ctx = s.worker_ctx;
  cp.n_batch = 512;
  auto c = kernels::context::create(*m, cp);
  int32_t t = 5;
  (*c)->decode(&t, 1);
  auto t0 = clk::now();
  for (int i = 0; i < n; ++i) (*c)->decode(&t, 1);
  return n / std::chrono::duration<double>(clk::now() - t0).count();
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL.gguf [tokens]\n", argv[0]);
    return 2;
  }
  std::string path = std::filesystem::absolute(argv[1]).string();
  int n = argc > 2 ? std::atoi(argv[2]) : 64;
  config::settings s;
  s.log_level = "off";
  s.worker_slots = 8;
  s.worker_ctx = 512;
  s.data_dir = "/tmp/rbee-bench-serving";
  if (auto err = config::apply_env(s, environ)) { // RBEE_* variables tune the server under test
    std::fprintf(stderr, "%s\n", err->to_string().c_str());
    return 2;
  }
  std::unique_ptr<bench::server> srv;
  net::url u;
  if (argc > 3) {
    std::string err;
    auto parsed = net::parse_url(argv[3], err);
    if (!parsed) {
      std::fprintf(stderr, "bench_serving: %s\n", err.c_str());
      return 2;
    }
    u = *parsed;
  } else {
    srv = std::make_unique<bench::server>(s);
    u = net::url{"127.0.0.1", std::to_string(srv->port())};
  }
  stream_once(u, path, 4); // load the model
  double single = 0;
  for (int streams : {1, 2, 4, 8}) {
    std::vector<stream_figures> figs(static_cast<size_t>(streams));
    std::vector<std::thread> ts;
    auto t0 = clk::now();
    for (int i = 0; i < streams; ++i) ts.emplace_back([&, i] { figs[i] = stream_once(u, path, n); });
    for (auto& t : ts) t.join();
    double secs = std::chrono::duration<double>(clk::now() - t0).count();
    int total = 0;
    for (auto& f : figs) total += f.tokens;
    double agg = total / secs;
    if (streams == 1) {
      single = (figs[0].tokens - 1) / std::chrono::duration<double>(figs[0].last - figs[0].first).count();
      std::printf("1 stream over HTTP SSE: decode %.1f t/s (first to last token)\n", single);
    }
    std::printf("streams %d: %d tokens in %.2f s = %.1f t/s aggregate\n", streams, total, secs, agg);
  }
  // One stream against the engine alone, alternated (this machine's speed drifts), medians. Both
  // load the model afresh each round: where its pages land moves decode speed by several percent
  // from one load to the next, and a worker loaded once would carry one draw through every round.
  const char* r_env = std::getenv("RBEE_BENCH_ROUNDS");
  const int rounds = std::max(1, r_env ? std::atoi(r_env) : 5);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  };
  auto report = [&](const char* other, const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<double> ratio;
    for (size_t i = 0; i < a.size(); ++i) ratio.push_back(b[i] > 0 ? a[i] / b[i] : 0);
    std::printf("one stream, %d alternated rounds, medians: HTTP SSE %.1f t/s, %s %.1f t/s = %.1f%% (median of the "
                "rounds' ratios %.1f%%)\n",
                rounds, median(a), other, median(b), median(b) > 0 ? 100 * median(a) / median(b) : 0, 100 * median(ratio));
  };
  std::vector<double> sse, eng;
  for (int round = 0; round < rounds; ++round) {
    net::http_call(u, "POST", "/v1/jobs",
                   R"({"operation":"worker_stop","hive_id":"localhost","model":")" + path + "\"}");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    stream_once(u, path, 2); // load it again (not timed)
    auto f = stream_once(u, path, n);
    sse.push_back((f.tokens - 1) / std::chrono::duration<double>(f.last - f.first).count());
    eng.push_back(engine_alone(path, n, s));
  }
  report("engine alone (this process)", sse, eng);
  // The same against `rbee bench` in its own process, alternated with the stream.
  std::string rbee = (std::filesystem::path(argv[0]).parent_path().parent_path() / "rbee").string();
  if (const char* b = std::getenv("RBEE_BIN")) rbee = b;
  if (std::filesystem::exists(rbee)) {
    std::vector<double> sse2, cli;
    for (int round = 0; round < rounds; ++round) {
      auto f = stream_once(u, path, n);
      sse2.push_back((f.tokens - 1) / std::chrono::duration<double>(f.last - f.first).count());
      cli.push_back(engine_process(rbee, path, n));
    }
    report("`rbee bench`", sse2, cli);
  }
  (void)single;
  return 0;
}
