#include "kernels/cpu/moe.hpp"

#include "kernels/ops.hpp"

#include <cstring>

namespace rbee::kernels::cpu {

namespace {

/// Adds expert e's bias (its `cols` values of an expert-major table; none when empty) to `rows` rows.
void add_bias(const std::vector<float>& b, int e, int cols, float* y, int rows) {
  if (b.empty()) return;
  const float* be = b.data() + static_cast<size_t>(e) * cols;
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < cols; ++i) y[static_cast<size_t>(r) * cols + i] += be[i];
}

} // namespace

void moe_ffn::run(const layer_weights& L, const hparams& h, const float* x, int n, float* out, matmul_fn matmul,
                  bool reference) {
  const int d = h.n_embd, k = h.n_expert_used, ff = h.n_ff_exp;
  const size_t nk = static_cast<size_t>(n) * k;
  logits_.resize(static_cast<size_t>(n) * h.n_expert);
  chosen_.resize(nk);
  weights_.resize(nk);
  matmul(L.router, x, n, logits_.data());
  for (int t = 0; t < n; ++t) { // the router: the one reference, a tiny share of a step
    float* lg = &logits_[static_cast<size_t>(t) * h.n_expert];
    if (!L.router_b.empty())
      for (int e = 0; e < h.n_expert; ++e) lg[e] += L.router_b[static_cast<size_t>(e)];
    ops::ref_route(lg, h.n_expert, k, h.expert_gating, &chosen_[static_cast<size_t>(t) * k], &weights_[static_cast<size_t>(t) * k]);
  }
  std::memset(out, 0, sizeof(float) * static_cast<size_t>(n) * d);
  in_.resize(nk * d);
  gate_.resize(nk * ff);
  up_.resize(nk * ff);
  down_.resize(nk * d);
  // Each expert once, over the (token, slot) pairs that chose it.
  for (int e = 0; e < h.n_expert; ++e) {
    rows_.clear();
    for (size_t i = 0; i < nk; ++i)
      if (chosen_[i] == e) rows_.push_back(static_cast<int>(i));
    if (rows_.empty()) continue;
    const int m = static_cast<int>(rows_.size());
    for (int r = 0; r < m; ++r)
      std::memcpy(&in_[static_cast<size_t>(r) * d], x + static_cast<size_t>(rows_[r] / k) * d, sizeof(float) * d);
    matmul(L.gate_exps[static_cast<size_t>(e)], in_.data(), m, gate_.data());
    matmul(L.up_exps[static_cast<size_t>(e)], in_.data(), m, up_.data());
    add_bias(L.gate_exps_b, e, ff, gate_.data(), m);
    add_bias(L.up_exps_b, e, ff, up_.data(), m);
    for (int r = 0; r < m; ++r) {
      float* g = &gate_[static_cast<size_t>(r) * ff];
      const float* u = &up_[static_cast<size_t>(r) * ff];
      if (h.swiglu_oai) ops::ref_swiglu_oai(g, u, ff);
      else (reference ? ops::ref_swiglu : ops::swiglu)(g, u, ff);
    }
    matmul(L.down_exps[static_cast<size_t>(e)], gate_.data(), m, down_.data());
    add_bias(L.down_exps_b, e, d, down_.data(), m);
    for (int r = 0; r < m; ++r) {
      float w = weights_[static_cast<size_t>(rows_[r])];
      float* o = out + static_cast<size_t>(rows_[r] / k) * d;
      const float* y = &down_[static_cast<size_t>(r) * d];
      for (int i = 0; i < d; ++i) o[i] += w * y[i];
    }
  }
}

} // namespace rbee::kernels::cpu
