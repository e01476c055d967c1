#pragma once
// Choosing the next token from logits: greedy, or temperature with top-k,
// top-p and min-p, after repetition/frequency/presence penalties; seeded.

#include <cstdint>
#include <random>
#include <vector>

namespace rbee::kernels {

struct sampling_params {
  float temperature = 0.8f;      ///< 0: greedy
  int top_k = 40;                ///< 0: all
  float top_p = 0.95f;           ///< 1: off
  float min_p = 0.05f;           ///< 0: off
  float repetition_penalty = 1.f; ///< 1: off (llama.cpp's repeat_penalty)
  float frequency_penalty = 0.f;
  float presence_penalty = 0.f;
  int penalty_last_n = 64;
  uint64_t seed = 0xdecafbad;
};

class sampler {
public:
  explicit sampler(sampling_params p);

  /// Picks a token from `logits` (n_vocab, modified in place by penalties).
  int32_t sample(float* logits, int n_vocab);

  /// Records a token (prompt or generated) for the penalties.
  void accept(int32_t id);

  const sampling_params& params() const { return p_; }

private:
  sampling_params p_;
  std::mt19937_64 rng_;
  std::vector<int32_t> recent_;
  struct cand {
    int32_t id;
    float logit;
  };
  std::vector<cand> cands_;
};

} // namespace rbee::kernels
