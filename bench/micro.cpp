// Google Benchmark: the hot paths under the HTTP front.
#include "actors/bridge/event_log.hpp"
#include "messages/json.hpp"

#include <benchmark/benchmark.h>

using namespace rbee;

namespace {

struct null_sink : event_sink {
  size_t bytes = 0;
  bool push(const bridge_event& e, bool) override {
    bytes += e.frame->size();
    return true;
  }
};

void BM_ReadOperation(benchmark::State& st) {
  std::string body = R"({"operation":"infer","model":"org/repo:Q4_K_M","prompt":"Once upon a time","max_tokens":64,"temperature":0.7})";
  for (auto _ : st) benchmark::DoNotOptimize(json::read_operation(body));
}
BENCHMARK(BM_ReadOperation);

void BM_WriteNarration(benchmark::State& st) {
  auto n = narrate("job-0123456789abcdef", "hive", "download", "model.gguf", "downloading 12.5 MiB of 650 MiB");
  n.fields = {{"bytes_done", "13107200", true}, {"bytes_total", "681574400", true}};
  for (auto _ : st) benchmark::DoNotOptimize(json::write(n));
}
BENCHMARK(BM_WriteNarration);

void BM_EventLogFanOut(benchmark::State& st) {
  event_log log{4096};
  std::vector<std::shared_ptr<null_sink>> sinks;
  for (int i = 0; i < st.range(0); ++i) {
    sinks.push_back(std::make_shared<null_sink>());
    log.subscribe({"j", false, 0, sinks.back()});
  }
  std::string data = R"({"job_id":"job-1","seq":1,"actor":"hive","human":"x"})";
  for (auto _ : st) log.append("narration", [&](uint64_t) { return data; });
  st.SetItemsProcessed(st.iterations() * st.range(0));
}
BENCHMARK(BM_EventLogFanOut)->Arg(1)->Arg(100)->Arg(1000);

} // namespace

BENCHMARK_MAIN();
