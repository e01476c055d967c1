// The prompt cache: time to the first token of a chat's second turn after a long
// first turn, with the worker's prompt cache and without it (both prefill the
// first turn once; the second turn then prefills everything again, or only what
// is new). Then the same second turn on a worker with one slot after another
// conversation took it: from the cache kept beyond the slots (prompt_cache_mib), or
// prefilled again. Alternated rounds, medians. The model's tokens are random ids: the
// engine's cost does not depend on what they say.
// Usage: bench_prompt_cache MODEL [first-turn tokens, default 2000] [rounds, default 3]
#include "actors/worker/batcher.hpp"
#include "kernels/parallel.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>

using namespace rbee;
using clk = std::chrono::steady_clock;

namespace {

/// Seconds from adding `prompt` to its first generated token.
double first_token(batcher& b, const std::string& id, std::vector<int32_t> prompt, int* cached) {
  kernels::generate_params p;
  p.max_tokens = 1;
  p.sampling.temperature = 0;
  p.stop_at_eog = false;
  auto t0 = clk::now();
  if (auto refused = b.add(id, std::move(prompt), p)) {
    std::fprintf(stderr, "refused: %s\n", refused->message.c_str());
    std::exit(1);
  }
  double secs = -1;
  while (b.busy())
    for (auto& e : b.step()) {
      if (!e.done && secs < 0) secs = std::chrono::duration<double>(clk::now() - t0).count();
      if (e.done) *cached = e.result.cached_tokens;
    }
  return secs;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODEL [first-turn tokens] [rounds]\n", argv[0]);
    return 2;
  }
  int first = argc > 2 ? std::atoi(argv[2]) : 2000, rounds = argc > 3 ? std::atoi(argv[3]) : 3;
  auto m = kernels::model::load(argv[1]);
  if (!m) {
    std::fprintf(stderr, "%s\n", m.error().c_str());
    return 1;
  }
  auto tok = kernels::tokenizer::from_gguf((*m)->file());
  if (!tok) {
    std::fprintf(stderr, "%s\n", tok.error().c_str());
    return 1;
  }
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> id(3, (*m)->hp().n_vocab - 1);
  std::vector<int32_t> turn1(static_cast<size_t>(first)), turn2 = turn1;
  for (auto& t : turn1) t = id(rng);
  turn2 = turn1;
  for (int i = 0; i < 40; ++i) turn2.push_back(id(rng)); // the answer and the next question
  std::vector<int32_t> other(static_cast<size_t>(first)); // another conversation
  for (auto& t : other) t = id(rng);
  std::vector<double> with, without, kept, lost;
  int cached_with = 0, cached_without = 0, cached_kept = 0, cached_lost = 0;
  for (int r = 0; r < rounds; ++r)
    for (bool cache : {true, false}) {
      batcher::options o;
      o.slots = 4;
      o.n_ctx = first + 256;
      o.prompt_cache = cache;
      auto b = batcher::create(*m, *tok, o);
      if (!b) {
        std::fprintf(stderr, "%s\n", b.error().c_str());
        return 1;
      }
      int ignored = 0;
      first_token(**b, "turn1", turn1, &ignored);
      double s = first_token(**b, "turn2", turn2, cache ? &cached_with : &cached_without);
      (cache ? with : without).push_back(s);
      // One slot, another conversation in between: the store beyond the slots, or nothing.
      o.slots = 1;
      o.prompt_cache = true;
      o.prompt_cache_mib = cache ? 4096 : 0;
      auto one = batcher::create(*m, *tok, o);
      first_token(**one, "turn1", turn1, &ignored);
      first_token(**one, "other", other, &ignored);
      double t = first_token(**one, "turn2", turn2, cache ? &cached_kept : &cached_lost);
      (cache ? kept : lost).push_back(t);
    }
  double a = median(with), b = median(without);
  std::printf("model %s, %d threads: second chat turn after a %d-token first turn, time to first token\n", argv[1],
              kernels::threads(), first);
  std::printf("  with the prompt cache    %8.1f ms (%d of %zu prompt tokens from the cache)\n", a * 1e3, cached_with,
              turn2.size());
  std::printf("  without                  %8.1f ms (%d)\n", b * 1e3, cached_without);
  std::printf("  %.1fx faster (medians of %d alternated rounds)\n", b / a, rounds);
  double c = median(kept), d = median(lost);
  std::printf("one slot, another %d-token conversation in between:\n", first);
  std::printf("  kept beyond the slots    %8.1f ms (%d from the cache)\n", c * 1e3, cached_kept);
  std::printf("  not kept                 %8.1f ms (%d)\n", d * 1e3, cached_lost);
  std::printf("  %.1fx faster\n", d / c);
  return 0;
}
