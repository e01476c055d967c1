// End-to-end: POST /v1/jobs -> first SSE event of the job, and -> its `done`
// event, over real HTTP on loopback against an in-process queen.
// Usage: bench_job_latency [jobs=300]
#include "bench/bench_server.hpp"
#include "net/http_client.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace rbee;
using clk = std::chrono::steady_clock;

namespace {

double us(clk::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

void report(const char* what, std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  double sum = 0;
  for (double x : xs) sum += x;
  std::printf("%-34s n=%zu  mean %8.1f us  p50 %8.1f us  p99 %8.1f us  max %8.1f us\n", what, xs.size(),
              sum / xs.size(), xs[xs.size() / 2], xs[xs.size() * 99 / 100], xs.back());
}

} // namespace

int main(int argc, char** argv) {
  int jobs = argc > 1 ? std::atoi(argv[1]) : 300;
  config::settings s;
  s.log_level = "off";
  bench::server srv(s);
  net::url u{"127.0.0.1", std::to_string(srv.port())};
  std::vector<double> first, done, submit;
  for (const char* op : {R"({"operation":"status"})", R"({"operation":"hive_get","hive_id":"localhost"})"}) {
    first.clear();
    done.clear();
    submit.clear();
    for (int i = 0; i < jobs; ++i) {
      auto t0 = clk::now();
      auto r = net::http_call(u, "POST", "/v1/jobs", op);
      auto t1 = clk::now();
      if (r.status != 202) {
        std::fprintf(stderr, "submit failed: %d %s\n", r.status, r.body.c_str());
        return 1;
      }
      auto at = r.body.find("/v1/jobs/");
      std::string url = r.body.substr(at, r.body.rfind('"') - at);
      bool got_first = false;
      net::sse_get(u, url, {}, [&](const net::sse_event& e) {
        if (!got_first) {
          first.push_back(us(clk::now() - t0));
          got_first = true;
        }
        if (e.event == "done") {
          done.push_back(us(clk::now() - t0));
          return false;
        }
        return true;
      });
      submit.push_back(us(t1 - t0));
    }
    std::printf("operation %s\n", op);
    report("  POST /v1/jobs answered", submit);
    report("  submit -> first SSE event", first);
    report("  submit -> done event", done);
  }
  return 0;
}
