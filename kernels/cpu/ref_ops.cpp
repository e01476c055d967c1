// The scalar reference of every op: readable, and the specification the fast
// paths are tested against.
#include "kernels/ops.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace rbee::kernels::ops {

void ref_rmsnorm(float* out, const float* x, const float* w, int n, float eps) {
  double ss = 0;
  for (int i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  float scale = 1.f / std::sqrt(static_cast<float>(ss / n) + eps);
  for (int i = 0; i < n; ++i) out[i] = x[i] * scale * w[i];
}

void ref_softmax(float* x, int n) {
  float max = x[0];
  for (int i = 1; i < n; ++i) max = std::max(max, x[i]);
  double sum = 0;
  for (int i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  for (int i = 0; i < n; ++i) x[i] = static_cast<float>(x[i] / sum);
}

void ref_swiglu(float* gate, const float* up, int n) {
  for (int i = 0; i < n; ++i) gate[i] = gate[i] / (1.f + std::exp(-gate[i])) * up[i];
}

void ref_geglu(float* gate, const float* up, int n) {
  constexpr float k = 0.7978845608028654f; // sqrt(2 / pi)
  for (int i = 0; i < n; ++i) {
    float x = gate[i];
    gate[i] = 0.5f * x * (1.f + std::tanh(k * (x + 0.044715f * x * x * x))) * up[i];
  }
}

void ref_swiglu_oai(float* gate, const float* up, int n) {
  constexpr float alpha = 1.702f, limit = 7.f;
  for (int i = 0; i < n; ++i) {
    float x = std::min(gate[i], limit), y = std::clamp(up[i], -limit, limit);
    gate[i] = x / (1.f + std::exp(-alpha * x)) * (y + 1.f);
  }
}

void ref_route(const float* logits, int n_expert, int k, hparams::gating g, int* chosen, float* weights) {
  std::vector<float> p(logits, logits + n_expert);
  if (g == hparams::gating::sigmoid)
    for (auto& x : p) x = 1.f / (1.f + std::exp(-x));
  else if (g == hparams::gating::softmax)
    ref_softmax(p.data(), n_expert);
  std::vector<int> order(static_cast<size_t>(n_expert));
  std::iota(order.begin(), order.end(), 0);
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) { return p[a] > p[b] || (p[a] == p[b] && a < b); });
  for (int i = 0; i < k; ++i) chosen[i] = order[i];
  if (g == hparams::gating::softmax_weight) { // the chosen logits' own softmax
    for (int i = 0; i < k; ++i) weights[i] = p[order[i]];
    ref_softmax(weights, k);
    return;
  }
  float sum = 0;
  for (int i = 0; i < k; ++i) sum += p[order[i]];
  for (int i = 0; i < k; ++i) weights[i] = sum > 0 ? p[order[i]] / sum : 1.f / static_cast<float>(k);
}

void ref_rope(float* x, int n_heads, int head_dim, float pos, const rope_spec& r) {
  const int n_rot = r.n_rot > 0 ? r.n_rot : head_dim, half = n_rot / 2;
  for (int i = 0; i < half; ++i) {
    // theta_i = pos * base^(-2i/n_rot) / factor_i
    float theta = pos * std::pow(r.base, -2.f * i / n_rot);
    if (r.freq_factors) theta /= r.freq_factors[i];
    float ms = r.mscale;
    if (r.yarn) { // as ggml's rope_yarn: interpolated and extrapolated angles mixed along a ramp
      float ramp = 1.f - std::clamp((static_cast<float>(i) - r.corr_low) / std::max(0.001f, r.corr_high - r.corr_low), 0.f, 1.f);
      theta = r.freq_scale * theta * (1.f - ramp) + theta * ramp;
      ms *= 1.f + 0.1f * std::log(1.f / r.freq_scale);
    }
    float c = std::cos(theta) * ms, s = std::sin(theta) * ms;
    for (int h = 0; h < n_heads; ++h) {
      float* v = x + h * head_dim;
      int a = r.style == rope_style::normal ? 2 * i : i;
      int b = r.style == rope_style::normal ? 2 * i + 1 : i + half;
      float x0 = v[a], x1 = v[b];
      v[a] = x0 * c - x1 * s;
      v[b] = x0 * s + x1 * c;
    }
  }
}

void ref_matmul(const weight& w, const float* x, int n_tok, float* y) {
  std::vector<float> row(static_cast<size_t>(w.cols));
  for (int r = 0; r < w.rows; ++r) {
    dequantize_row(w.type, w.row(r), row.data(), row.size());
    for (int t = 0; t < n_tok; ++t) {
      const float* xt = x + static_cast<size_t>(t) * w.cols;
      double acc = 0;
      for (int i = 0; i < w.cols; ++i) acc += static_cast<double>(row[i]) * xt[i];
      y[static_cast<size_t>(t) * w.rows + r] = static_cast<float>(acc);
    }
  }
}

namespace {
float value(float x) { return x; }
float value(uint16_t h) { return f16_to_f32(h); }

template <class KV>
void attend_ref(const float* q, const KV* k, const KV* v, int n_pos, int hd, size_t stride, float scale, float* s,
                float* out, float sink) {
  float max = sink;
  for (int p = 0; p < n_pos; ++p) {
    float dot = 0;
    for (int i = 0; i < hd; ++i) dot += q[i] * value(k[stride * p + i]);
    s[p] = dot * scale;
    max = std::max(max, s[p]);
  }
  double sum = std::isinf(sink) ? 0.0 : std::exp(sink - max); // a sink weighs in the denominator only
  for (int p = 0; p < n_pos; ++p) sum += s[p] = std::exp(s[p] - max);
  for (int p = 0; p < n_pos; ++p) s[p] = static_cast<float>(s[p] / sum);
  for (int i = 0; i < hd; ++i) out[i] = 0;
  for (int p = 0; p < n_pos; ++p)
    for (int i = 0; i < hd; ++i) out[i] += s[p] * value(v[stride * p + i]);
}
} // namespace

void ref_attend(const float* q, const float* k, const float* v, int n_pos, int hd, size_t stride, float scale,
                float* s, float* out, float sink) {
  attend_ref(q, k, v, n_pos, hd, stride, scale, s, out, sink);
}

void ref_attend_f16(const float* q, const uint16_t* k, const uint16_t* v, int n_pos, int hd, size_t stride, float scale,
                    float* s, float* out, float sink) {
  attend_ref(q, k, v, n_pos, hd, stride, scale, s, out, sink);
}

void embed(const weight& w, int id, float* out) {
  dequantize_row(w.type, w.row(id), out, static_cast<size_t>(w.cols));
}

} // namespace rbee::kernels::ops
