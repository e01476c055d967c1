#pragma once
// Attention, SwiGLU and GeGLU with AVX2.
// Part of a kernel set compiled once per instruction set (kernel_set_impl.hpp):
// only static functions, in namespace RBEE_ISA.

#include "kernels/cpu/arch/x86/dots.hpp"

#if defined(__AVX2__)
namespace rbee::kernels::cpu::RBEE_ISA {

namespace x86 {

/// gate = silu(gate) * up                                        (n,)
static void swiglu(float* g, const float* u, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 x = _mm256_loadu_ps(g + i);
    __m256 sig = _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_add_ps(_mm256_set1_ps(1.f), exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_mul_ps(x, sig), _mm256_loadu_ps(u + i)));
  }
  for (; i < n; ++i) g[i] = g[i] / (1.f + std::exp(-g[i])) * u[i];
}

/// gate = gelu(gate) * up (Gemma's FFN): GELU's tanh form as x * sigmoid(2y), y = sqrt(2/pi)(x + 0.044715x^3)
static void geglu(float* g, const float* u, int n) {
  const __m256 k2 = _mm256_set1_ps(1.5957691216057308f), c = _mm256_set1_ps(0.044715f), one = _mm256_set1_ps(1.f);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 x = _mm256_loadu_ps(g + i);
    __m256 y = _mm256_mul_ps(k2, _mm256_fmadd_ps(_mm256_mul_ps(c, x), _mm256_mul_ps(x, x), x));
    __m256 sig = _mm256_div_ps(one, _mm256_add_ps(one, exp8(_mm256_sub_ps(_mm256_setzero_ps(), y))));
    _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_mul_ps(x, sig), _mm256_loadu_ps(u + i)));
  }
  for (; i < n; ++i) {
    float x = g[i], y = 1.5957691216057308f * (x + 0.044715f * x * x * x);
    g[i] = x / (1.f + std::exp(-y)) * u[i];
  }
}

/// The cache's rows: floats, or halves widened by F16C.
static float kv_dot(const float* k, const float* q, int hd) { return dot_f32(k, q, hd); }
static float kv_dot(const uint16_t* k, const float* q, int hd) { return dot_f16(k, q, hd); }
static __m256 kv_load8(const float* v) { return _mm256_loadu_ps(v); }
static __m256 kv_load8(const uint16_t* v) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(v))); }
static float kv_value(float x) { return x; }
static float kv_value(uint16_t h) { return half(h); }

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
  float sum = 0;
  int p = 0;
  __m256 vs = _mm256_setzero_ps(), vm = _mm256_set1_ps(max);
  for (; p + 8 <= n_pos; p += 8) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(s + p), vm));
    _mm256_storeu_ps(s + p, e);
    vs = _mm256_add_ps(vs, e);
  }
  sum = hsum(vs) + (sink == -INFINITY ? 0.f : std::exp(sink - max));
  for (; p < n_pos; ++p) sum += s[p] = std::exp(s[p] - max);
  float inv = 1.f / sum;
  for (int i = 0; i < hd; ++i) out[i] = 0;
  for (p = 0; p < n_pos; ++p) {
    const KV* vp = v + stride * p;
    float w = s[p] * inv;
    int i = 0;
    __m256 vw = _mm256_set1_ps(w);
    for (; i + 8 <= hd; i += 8) _mm256_storeu_ps(out + i, _mm256_fmadd_ps(vw, kv_load8(vp + i), _mm256_loadu_ps(out + i)));
    for (; i < hd; ++i) out[i] += w * kv_value(vp[i]);
  }
}

static void attend(const float* q, const float* k, const float* v, int n_pos, int hd, size_t stride, float scale, float* s,
                   float* out) {
  attend_kv(q, k, v, n_pos, hd, stride, scale, s, out);
}
static void attend_f16(const float* q, const uint16_t* k, const uint16_t* v, int n_pos, int hd, size_t stride, float scale,
                       float* s, float* out) {
  attend_kv(q, k, v, n_pos, hd, stride, scale, s, out);
}

} // namespace x86

} // namespace rbee::kernels::cpu::RBEE_ISA
#endif
