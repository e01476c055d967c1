#pragma once
// Attention over the KV cache and the SwiGLU and GeGLU activations, portable code.
// Part of a kernel set compiled once per instruction set (kernel_set_impl.hpp):
// only static functions, in namespace RBEE_ISA.

#include "kernels/cpu/quants/dots.hpp"

namespace rbee::kernels::cpu::RBEE_ISA {

namespace generic {

/// gate = silu(gate) * up                                        (n,)
[[maybe_unused]] static void swiglu(float* g, const float* u, int n) {
  int i = 0;
  for (; i < n; ++i) g[i] = g[i] / (1.f + std::exp(-g[i])) * u[i];
}

/// gate = gelu(gate) * up, GELU's tanh form written as x * sigmoid(2y), y = sqrt(2/pi)(x + 0.044715x^3)
[[maybe_unused]] static void geglu(float* g, const float* u, int n) {
  for (int i = 0; i < n; ++i) {
    float x = g[i], y = 1.5957691216057308f * (x + 0.044715f * x * x * x);
    g[i] = x / (1.f + std::exp(-y)) * u[i];
  }
}

/// Attention over a KV cache of floats or halves (uint16_t): the cache's rows as floats.
[[maybe_unused]] static float kv_dot(const float* k, const float* q, int hd) { return dot_f32(k, q, hd); }
[[maybe_unused]] static float kv_dot(const uint16_t* k, const float* q, int hd) { return dot_f16(k, q, hd); }
[[maybe_unused]] static float kv_value(float x) { return x; }
[[maybe_unused]] static float kv_value(uint16_t h) { return half(h); }

/// out (hd) = softmax(scale * q . K[p]) weighted sum of V[p], p < n_pos; K and V
/// rows `stride` elements apart; `s` is scratch of n_pos floats.
template <class KV>
static void attend_kv(const float* q, const KV* k, const KV* v, int n_pos, int hd, size_t stride, float scale, float* s,
                      float* out, float sink = -INFINITY) {
  float max = sink; // a sink (gpt-oss) joins the denominator only
  for (int p = 0; p < n_pos; ++p) {
    float dot = kv_dot(k + stride * p, q, hd) * scale;
    s[p] = dot;
    max = dot > max ? dot : max;
  }
  float sum = sink == -INFINITY ? 0.f : std::exp(sink - max);
  int p = 0;
  for (; p < n_pos; ++p) sum += s[p] = std::exp(s[p] - max);
  float inv = 1.f / sum;
  for (int i = 0; i < hd; ++i) out[i] = 0;
  for (p = 0; p < n_pos; ++p) {
    const KV* vp = v + stride * p;
    float w = s[p] * inv;
    for (int i = 0; i < hd; ++i) out[i] += w * kv_value(vp[i]);
  }
}

[[maybe_unused]] static void attend(const float* q, const float* k, const float* v, int n_pos, int hd, size_t stride,
                                    float scale, float* s, float* out) {
  attend_kv(q, k, v, n_pos, hd, stride, scale, s, out);
}
[[maybe_unused]] static void attend_f16(const float* q, const uint16_t* k, const uint16_t* v, int n_pos, int hd,
                                        size_t stride, float scale, float* s, float* out) {
  attend_kv(q, k, v, n_pos, hd, stride, scale, s, out);
}

} // namespace generic

} // namespace rbee::kernels::cpu::RBEE_ISA
