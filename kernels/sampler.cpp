#include "kernels/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

namespace rbee::kernels {

sampler::sampler(sampling_params p) : p_(p), rng_(p.seed) {
}

void sampler::accept(int32_t id) {
  recent_.push_back(id);
  if (p_.penalty_last_n >= 0 && recent_.size() > static_cast<size_t>(std::max(p_.penalty_last_n, 0)) * 4 + 64)
    recent_.erase(recent_.begin(), recent_.end() - std::max(p_.penalty_last_n, 0));
}

int32_t sampler::sample(float* logits, int n_vocab) {
  // Penalties over the last tokens (as llama.cpp: divide positive logits,
  // multiply negative ones; then subtract frequency and presence terms).
  bool penalize = p_.repetition_penalty != 1.f || p_.frequency_penalty != 0.f || p_.presence_penalty != 0.f;
  if (penalize && p_.penalty_last_n != 0) {
    std::unordered_map<int32_t, int> counts;
    size_t n = std::min(recent_.size(), static_cast<size_t>(std::max(p_.penalty_last_n, 0)));
    for (size_t i = recent_.size() - n; i < recent_.size(); ++i) ++counts[recent_[i]];
    for (auto [id, c] : counts) {
      if (id < 0 || id >= n_vocab) continue;
      float& l = logits[id];
      l = l > 0 ? l / p_.repetition_penalty : l * p_.repetition_penalty;
      l -= c * p_.frequency_penalty + p_.presence_penalty;
    }
  }
  if (p_.temperature <= 0.f) return static_cast<int32_t>(std::max_element(logits, logits + n_vocab) - logits);

  cands_.resize(static_cast<size_t>(n_vocab));
  for (int i = 0; i < n_vocab; ++i) cands_[i] = {i, logits[i] / p_.temperature};
  auto by_logit = [](const cand& a, const cand& b) { return a.logit > b.logit; };
  size_t keep = cands_.size();
  if (p_.top_k > 0 && static_cast<size_t>(p_.top_k) < keep) {
    keep = static_cast<size_t>(p_.top_k);
    std::partial_sort(cands_.begin(), cands_.begin() + static_cast<long>(keep), cands_.end(), by_logit);
  } else {
    std::sort(cands_.begin(), cands_.end(), by_logit);
  }
  cands_.resize(keep);
  // Softmax over the survivors.
  float max = cands_[0].logit;
  std::vector<float> prob(keep);
  double sum = 0;
  for (size_t i = 0; i < keep; ++i) sum += prob[i] = std::exp(cands_[i].logit - max);
  for (auto& p : prob) p = static_cast<float>(p / sum);
  // min-p: drop tokens below min_p x the best probability.
  if (p_.min_p > 0.f) {
    float floor = p_.min_p * prob[0];
    size_t n = 1;
    while (n < keep && prob[n] >= floor) ++n;
    keep = n;
  }
  // top-p: the smallest prefix whose mass reaches top_p.
  if (p_.top_p < 1.f) {
    double mass = 0;
    size_t n = 0;
    while (n < keep) {
      mass += prob[n++];
      if (mass >= p_.top_p) break;
    }
    keep = std::max<size_t>(n, 1);
  }
  double total = 0;
  for (size_t i = 0; i < keep; ++i) total += prob[i];
  std::uniform_real_distribution<double> u(0.0, total);
  double r = u(rng_), acc = 0;
  for (size_t i = 0; i < keep; ++i) {
    acc += prob[i];
    if (r < acc) return cands_[i].id;
  }
  return cands_[keep - 1].id;
}

} // namespace rbee::kernels
