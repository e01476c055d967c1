// Continuous batching in the engine: aggregate decode t/s with 1, 2, 4, 8
// sequences decoded together (one forward step per token of every sequence).
// Usage: bench_batch_decode MODEL [threads] [steps]
#include "kernels/context.hpp"
#include "kernels/parallel.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>

using namespace rbee::kernels;

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL [threads] [steps]\n", argv[0]);
    return 2;
  }
  set_threads(argc > 2 ? std::atoi(argv[2]) : 0);
  int steps = argc > 3 ? std::atoi(argv[3]) : 32;
  auto m = model::load(argv[1]);
  if (!m) {
    std::fprintf(stderr, "%s\n", m.error().c_str());
    return 1;
  }
  double single = 0;
  for (int slots : {1, 2, 4, 8}) {
    context_params cp;
    cp.n_slots = slots;
    cp.n_ctx = 64 + steps;
    auto c = context::create(*m, cp);
    std::vector<batch_entry> batch;
    for (int s = 0; s < slots; ++s)
      for (int i = 0; i < 16; ++i) batch.push_back({s, 100 + i + s, i == 15});
    (*c)->decode_batch(batch); // prompts
    batch.assign(static_cast<size_t>(slots), batch_entry{});
    for (int s = 0; s < slots; ++s) batch[s] = {s, 200 + s, true};
    (*c)->decode_batch(batch); // warm-up step
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) (*c)->decode_batch(batch);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double tps = slots * steps / secs;
    if (slots == 1) single = tps;
    std::printf("streams %d: aggregate decode %.1f t/s (%.2fx one stream)\n", slots, tps, tps / single);
  }
  return 0;
}
