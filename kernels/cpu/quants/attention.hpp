#pragma once
// Attention over the KV cache and the SwiGLU activation, portable code.
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

/// out (hd) = softmax(scale * q . K[p]) weighted sum of V[p], p < n_pos; K and V
/// rows `stride` floats apart; `s` is scratch of n_pos floats.
[[maybe_unused]] static void attend(const float* q, const float* k, const float* v, int n_pos, int hd, size_t stride, float scale,
                   float* s, float* out) {
  float max = -INFINITY;
  for (int p = 0; p < n_pos; ++p) {
    float dot = dot_f32(k + stride * p, q, hd) * scale;
    s[p] = dot;
    max = dot > max ? dot : max;
  }
  float sum = 0;
  int p = 0;
  for (; p < n_pos; ++p) sum += s[p] = std::exp(s[p] - max);
  float inv = 1.f / sum;
  for (int i = 0; i < hd; ++i) out[i] = 0;
  for (p = 0; p < n_pos; ++p) {
    const float* vp = v + stride * p;
    float w = s[p] * inv;
    int i = 0;
    for (; i < hd; ++i) out[i] += w * vp[i];
  }
}

} // namespace generic

} // namespace rbee::kernels::cpu::RBEE_ISA
