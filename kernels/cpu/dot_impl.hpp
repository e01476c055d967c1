// Quantized dot products, compiled once per instruction set (dot_generic.cpp,
// dot_avx2.cpp, dot_avx512.cpp define RBEE_ISA and include this file). Plain
// loops are the portable path; intrinsics take over where the ISA has them.
// Only static functions here: nothing may leak into other translation units.

#include "kernels/cpu/quant_act.hpp"
#include "kernels/cpu/repack.hpp"
#include "kernels/k_scales.hpp"
#include "kernels/types.hpp"

#include <cmath>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif
#ifndef RBEE_PREFETCH
#define RBEE_PREFETCH 4096 // bytes ahead; the hardware prefetchers alone leave decode latency-bound
#endif

namespace rbee::kernels::cpu {
namespace RBEE_ISA {

static inline float half(uint16_t h) {
#if defined(__F16C__)
  return _cvtsh_ss(h);
#else
  return f16_to_f32(h);
#endif
}

static inline float fmax_abs(const float* x, int n) {
  float m = 0;
  for (int i = 0; i < n; ++i) m = std::fabs(x[i]) > m ? std::fabs(x[i]) : m;
  return m;
}

static void quantize_q8_0(const float* x, act_q8_0* y, int n) {
  for (int b = 0; b < n / 32; ++b, x += 32) {
    float amax = fmax_abs(x, 32);
    float d = amax / 127.f, id = d ? 1.f / d : 0.f;
    int sum = 0;
    for (int i = 0; i < 32; ++i) {
      int q = static_cast<int>(std::nearbyint(x[i] * id));
      y[b].qs[i] = static_cast<int8_t>(q);
      sum += q;
    }
    y[b].d = d;
    y[b].sum = sum;
    y[b].bias[0] = -8 * sum;
    for (int i = 1; i < 8; ++i) y[b].bias[i] = 0;
  }
}

static void quantize_q8_k(const float* x, act_q8_k* y, int n) {
  for (int b = 0; b < n / 256; ++b, x += 256) {
    float amax = fmax_abs(x, 256);
    float d = amax / 127.f, id = d ? 1.f / d : 0.f;
    for (int i = 0; i < 256; ++i) y[b].qs[i] = static_cast<int8_t>(std::nearbyint(x[i] * id));
    for (int g = 0; g < 16; ++g) {
      int s = 0;
      for (int i = 0; i < 16; ++i) s += y[b].qs[16 * g + i];
      y[b].bsums[g] = static_cast<int16_t>(s);
    }
    y[b].d = d;
  }
}

/// Asks for the cache lines `bytes` from p, RBEE_PREFETCH bytes ahead.
static inline void prefetch_ahead(const void* p, int bytes) {
#if defined(__AVX2__)
  auto* c = static_cast<const char*>(p) + RBEE_PREFETCH;
  for (int i = 0; i < bytes; i += 64) _mm_prefetch(c + i, _MM_HINT_T0);
#else
  (void)p;
  (void)bytes;
#endif
}

#if defined(__AVX2__)
static inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}
/// u8 (a) x s8 (b) -> 8 int32 sums of 4 products.
static inline __m256i dot_u8s8(__m256i a, __m256i b) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), a, b);
#else
  return _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1));
#endif
}
/// acc + u8 (a) x s8 (b), as dot_u8s8.
static inline __m256i dot_u8s8_acc(__m256i acc, __m256i a, __m256i b) {
#if defined(__AVX512VNNI__) && defined(__AVX512VL__)
  return _mm256_dpbusd_epi32(acc, a, b);
#else
  return _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1)));
#endif
}
#endif

#if defined(__AVX2__)
/// The integer dot of one Q8_0 weight block with one activation block, as 8 floats.
static inline __m256 block_q8_0_f(const block_q8_0& w, const act_q8_0& x) {
  __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.qs));
  __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs));
  return _mm256_cvtepi32_ps(dot_u8s8(_mm256_sign_epi8(q, q), _mm256_sign_epi8(a, q))); // |q| * (a * sign(q))
}
/// The same for Q4_0: weights 0..15 against the activations, started from -8 * sum(a).
static inline __m256 block_q4_0_f(const block_q4_0& w, const act_q8_0& x) {
  __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w.qs));
  __m256i q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), _mm256_set1_epi8(0x0F));
  __m256i bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.bias));
  return _mm256_cvtepi32_ps(dot_u8s8_acc(bias, q, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x.qs))));
}
#endif

static float dot_q8_0(const void* wv, const act_q8_0* x, int nb) {
  auto* w = static_cast<const block_q8_0*>(wv);
  int b = 0;
  float sum = 0;
#if defined(__AVX2__)
  // Four independent accumulators: the FMA latency, not the loads, bounds one chain.
  __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  for (; b + 4 <= nb; b += 4) {
    prefetch_ahead(w + b, 4 * sizeof(block_q8_0));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b].d) * x[b].d), block_q8_0_f(w[b], x[b]), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b + 1].d) * x[b + 1].d), block_q8_0_f(w[b + 1], x[b + 1]), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b + 2].d) * x[b + 2].d), block_q8_0_f(w[b + 2], x[b + 2]), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b + 3].d) * x[b + 3].d), block_q8_0_f(w[b + 3], x[b + 3]), acc3);
  }
  for (; b < nb; ++b) acc0 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b].d) * x[b].d), block_q8_0_f(w[b], x[b]), acc0);
  sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
#endif
  for (; b < nb; ++b) {
    int s = 0;
    for (int i = 0; i < 32; ++i) s += w[b].qs[i] * x[b].qs[i];
    sum += half(w[b].d) * x[b].d * static_cast<float>(s);
  }
  return sum;
}

static float dot_q4_0(const void* wv, const act_q8_0* x, int nb) {
  auto* w = static_cast<const block_q4_0*>(wv);
  int b = 0;
  float sum = 0;
#if defined(__AVX2__)
  __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  for (; b + 4 <= nb; b += 4) {
    prefetch_ahead(w + b, 4 * sizeof(block_q4_0));
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b].d) * x[b].d), block_q4_0_f(w[b], x[b]), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b + 1].d) * x[b + 1].d), block_q4_0_f(w[b + 1], x[b + 1]), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b + 2].d) * x[b + 2].d), block_q4_0_f(w[b + 2], x[b + 2]), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b + 3].d) * x[b + 3].d), block_q4_0_f(w[b + 3], x[b + 3]), acc3);
  }
  for (; b < nb; ++b) acc0 = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b].d) * x[b].d), block_q4_0_f(w[b], x[b]), acc0);
  sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
#endif
  for (; b < nb; ++b) {
    int s = 0;
    for (int i = 0; i < 16; ++i) {
      s += ((w[b].qs[i] & 0xF) - 8) * x[b].qs[i];
      s += ((w[b].qs[i] >> 4) - 8) * x[b].qs[i + 16];
    }
    sum += half(w[b].d) * x[b].d * static_cast<float>(s);
  }
  return sum;
}

static float dot_q4_k(const void* wv, const act_q8_k* x, int nb) {
  auto* w = static_cast<const block_q4_k*>(wv);
  float sum = 0;
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q4_k));
    uint8_t sc[8], m[8];
    unpack_scales_k4(w[b].scales, sc, m);
    int summ = 0;
    for (int j = 0; j < 8; ++j) summ += m[j] * (x[b].bsums[2 * j] + x[b].bsums[2 * j + 1]);
    int isum = 0;
#if defined(__AVX2__)
    const __m256i low = _mm256_set1_epi8(0x0F);
    __m256i acc = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) {
      __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs + 32 * c));
      __m256i lo = _mm256_and_si256(q, low), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low);
      __m256i a0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs + 64 * c));
      __m256i a1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs + 64 * c + 32));
      // u8 x s8 pairs to int16 (at most 2 x 15 x 127), then x scale and pairs summed to int32
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(lo, a0), _mm256_set1_epi16(sc[2 * c])));
      acc = _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(hi, a1), _mm256_set1_epi16(sc[2 * c + 1])));
    }
    isum = hsum_i32(acc);
#else
    for (int c = 0; c < 4; ++c) {
      int s0 = 0, s1 = 0;
      for (int l = 0; l < 32; ++l) {
        s0 += (w[b].qs[32 * c + l] & 0xF) * x[b].qs[64 * c + l];
        s1 += (w[b].qs[32 * c + l] >> 4) * x[b].qs[64 * c + 32 + l];
      }
      isum += s0 * sc[2 * c] + s1 * sc[2 * c + 1];
    }
#endif
    sum += x[b].d * (half(w[b].d) * static_cast<float>(isum) - half(w[b].dmin) * static_cast<float>(summ));
  }
  return sum;
}

static float dot_q5_k(const void* wv, const act_q8_k* x, int nb) {
  auto* w = static_cast<const block_q5_k*>(wv);
  float sum = 0;
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q5_k));
    uint8_t sc[8], m[8];
    unpack_scales_k4(w[b].scales, sc, m);
    int summ = 0;
    for (int j = 0; j < 8; ++j) summ += m[j] * (x[b].bsums[2 * j] + x[b].bsums[2 * j + 1]);
    int isum = 0;
    for (int c = 0; c < 4; ++c) {
      int s0 = 0, s1 = 0;
      for (int l = 0; l < 32; ++l) {
        int q0 = (w[b].qs[32 * c + l] & 0xF) | ((w[b].qh[l] >> (2 * c)) & 1) << 4;
        int q1 = (w[b].qs[32 * c + l] >> 4) | ((w[b].qh[l] >> (2 * c + 1)) & 1) << 4;
        s0 += q0 * x[b].qs[64 * c + l];
        s1 += q1 * x[b].qs[64 * c + 32 + l];
      }
      isum += s0 * sc[2 * c] + s1 * sc[2 * c + 1];
    }
    sum += x[b].d * (half(w[b].d) * static_cast<float>(isum) - half(w[b].dmin) * static_cast<float>(summ));
  }
  return sum;
}

static float dot_q6_k(const void* wv, const act_q8_k* x, int nb) {
  auto* w = static_cast<const block_q6_k*>(wv);
  float sum = 0;
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q6_k));
    // The -32 offset: sum_s scale_s * 32 * bsum_s.
    int off = 0;
    for (int s = 0; s < 16; ++s) off += w[b].scales[s] * x[b].bsums[s];
    int isum = 0;
#if defined(__AVX2__)
    const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3);
    __m256i acc = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = w[b].ql + 64 * h;
      const uint8_t* qh = w[b].qh + 32 * h;
      const int8_t* sc = w[b].scales + 8 * h;
      const int8_t* a = x[b].qs + 128 * h;
      __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
      __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
      __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(qh));
      __m256i q[4] = {
        _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_slli_epi16(_mm256_and_si256(hb, m2), 4)),
        _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), m2), 4)),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                        _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), m2), 4)),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                        _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), m2), 4)),
      };
      for (int k = 0; k < 4; ++k) {
        // u8 (0..63) x s8 pairs to int16 (at most 2 x 63 x 127); low 128 bits are
        // elements 0-15 (scale 2k), high 128 bits elements 16-31 (scale 2k+1)
        __m256i p = _mm256_maddubs_epi16(q[k], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 32 * k)));
        __m256i s = _mm256_set_m128i(_mm_set1_epi16(sc[2 * k + 1]), _mm_set1_epi16(sc[2 * k]));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(p, s));
      }
    }
    isum = hsum_i32(acc);
#else
    for (int h = 0; h < 2; ++h) {
      const uint8_t* ql = w[b].ql + 64 * h;
      const uint8_t* qh = w[b].qh + 32 * h;
      const int8_t* sc = w[b].scales + 8 * h;
      const int8_t* a = x[b].qs + 128 * h;
      for (int l = 0; l < 32; ++l) {
        int is = l / 16;
        int q1 = (ql[l] & 0xF) | ((qh[l] >> 0) & 3) << 4;
        int q2 = (ql[l + 32] & 0xF) | ((qh[l] >> 2) & 3) << 4;
        int q3 = (ql[l] >> 4) | ((qh[l] >> 4) & 3) << 4;
        int q4 = (ql[l + 32] >> 4) | ((qh[l] >> 6) & 3) << 4;
        isum += sc[is] * q1 * a[l] + sc[is + 2] * q2 * a[l + 32] + sc[is + 4] * q3 * a[l + 64] + sc[is + 6] * q4 * a[l + 96];
      }
    }
#endif
    sum += half(w[b].d) * x[b].d * static_cast<float>(isum - 32 * off);
  }
  return sum;
}

static float dot_f32(const void* wv, const float* x, int n) {
  auto* w = static_cast<const float*>(wv);
  int i = 0;
  float sum = 0;
#if defined(__AVX2__)
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    prefetch_ahead(w + i, 64);
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), a1);
  }
  sum = hsum(_mm256_add_ps(a0, a1));
#endif
  for (; i < n; ++i) sum += w[i] * x[i];
  return sum;
}

static float dot_f16(const void* wv, const float* x, int n) {
  auto* w = static_cast<const uint16_t*>(wv);
  int i = 0;
  float sum = 0;
#if defined(__AVX2__) && defined(__F16C__)
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  for (; i + 16 <= n; i += 16) {
    prefetch_ahead(w + i, 32);
    __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
    __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i + 8)));
    a0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), a0);
    a1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), a1);
  }
  sum = hsum(_mm256_add_ps(a0, a1));
#endif
  for (; i < n; ++i) sum += half(w[i]) * x[i];
  return sum;
}

static float dot_bf16(const void* wv, const float* x, int n) {
  auto* w = static_cast<const uint16_t*>(wv);
  int i = 0;
  float sum = 0;
#if defined(__AVX2__)
  __m256 a0 = _mm256_setzero_ps();
  for (; i + 8 <= n; i += 8) {
    __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
    a0 = _mm256_fmadd_ps(_mm256_castsi256_ps(_mm256_slli_epi32(h, 16)), _mm256_loadu_ps(x + i), a0);
  }
  sum = hsum(a0);
#endif
  for (; i < n; ++i) sum += bf16_to_f32(w[i]) * x[i];
  return sum;
}

/// One Q4_0 weight row against 4 activation rows (prompt processing): each
/// weight block is unpacked once for the 4 tokens. out[t] = dot(w, x[t]).
static void dot4_q4_0(const void* wv, const act_q8_0* const* x, int nb, float* out) {
  auto* w = static_cast<const block_q4_0*>(wv);
#if defined(__AVX2__)
  __m256 acc0 = _mm256_setzero_ps(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  const __m256i low = _mm256_set1_epi8(0x0F);
  const act_q8_0 *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  auto one = [](__m256i q, const act_q8_0& a) {
    __m256i bias = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bias));
    return _mm256_cvtepi32_ps(dot_u8s8_acc(bias, q, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs))));
  };
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q4_0));
    __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
    __m256i q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), low);
    float dw = half(w[b].d);
    acc0 = _mm256_fmadd_ps(_mm256_set1_ps(dw * x0[b].d), one(q, x0[b]), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_set1_ps(dw * x1[b].d), one(q, x1[b]), acc1);
    acc2 = _mm256_fmadd_ps(_mm256_set1_ps(dw * x2[b].d), one(q, x2[b]), acc2);
    acc3 = _mm256_fmadd_ps(_mm256_set1_ps(dw * x3[b].d), one(q, x3[b]), acc3);
  }
  out[0] = hsum(acc0);
  out[1] = hsum(acc1);
  out[2] = hsum(acc2);
  out[3] = hsum(acc3);
#else
  for (int t = 0; t < 4; ++t) out[t] = dot_q4_0(wv, x[t], nb);
#endif
}

/// One Q8_0 weight row against 4 activation rows.
static void dot4_q8_0(const void* wv, const act_q8_0* const* x, int nb, float* out) {
  auto* w = static_cast<const block_q8_0*>(wv);
#if defined(__AVX2__)
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q8_0));
    __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    __m256i aq = _mm256_sign_epi8(q, q);
    float dw = half(w[b].d);
    for (int t = 0; t < 4; ++t) {
      __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[t][b].qs));
      __m256 p = _mm256_cvtepi32_ps(dot_u8s8(aq, _mm256_sign_epi8(a, q)));
      acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(dw * x[t][b].d), p, acc[t]);
    }
  }
  for (int t = 0; t < 4; ++t) out[t] = hsum(acc[t]);
#else
  for (int t = 0; t < 4; ++t) out[t] = dot_q8_0(wv, x[t], nb);
#endif
}

// -- interleaved weights (repack.hpp): 8 rows x NT tokens per call -----------------

#if defined(__AVX2__)
static inline __m256i bcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}
#endif

/// out[t * 8 + r] = dot(row r of the group, token t), for NT tokens.
template <int NT>
static void gemm_q4_0x8_n(const void* group, const act_q8_0* const* x, int nb, float* out) {
  auto* w = static_cast<const block_q4_0x8*>(group);
#if defined(__AVX2__) && defined(__F16C__)
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  const __m256i low = _mm256_set1_epi8(0x0F);
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q4_0x8));
    // Two accumulation chains per token (low and high nibbles): the dpbusd
    // latency, not its throughput, bounds a single chain.
    __m256i isum[NT], isum2[NT];
    for (int t = 0; t < NT; ++t) {
      isum[t] = _mm256_set1_epi32(-8 * x[t][b].sum); // weights are q - 8
      isum2[t] = _mm256_setzero_si256();
    }
    for (int k = 0; k < 4; ++k) {
      __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs + 32 * k));
      __m256i lo = _mm256_and_si256(q, low), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low);
      for (int t = 0; t < NT; ++t) {
        isum[t] = dot_u8s8_acc(isum[t], lo, bcast4(x[t][b].qs + 4 * k));        // elements 4k..4k+3
        isum2[t] = dot_u8s8_acc(isum2[t], hi, bcast4(x[t][b].qs + 16 + 4 * k)); // elements 16+4k..
      }
    }
    for (int t = 0; t < NT; ++t) isum[t] = _mm256_add_epi32(isum[t], isum2[t]);
    __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].d)));
    for (int t = 0; t < NT; ++t)
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(dw, _mm256_set1_ps(x[t][b].d)), acc[t]);
  }
  for (int t = 0; t < NT; ++t) _mm256_storeu_ps(out + 8 * t, acc[t]);
#else
  for (int t = 0; t < NT; ++t)
    for (int r = 0; r < 8; ++r) {
      float sum = 0;
      for (int b = 0; b < nb; ++b) {
        int s = 0;
        for (int k = 0; k < 4; ++k)
          for (int i = 0; i < 4; ++i) {
            uint8_t byte = w[b].qs[32 * k + 4 * r + i];
            s += ((byte & 0xF) - 8) * x[t][b].qs[4 * k + i] + ((byte >> 4) - 8) * x[t][b].qs[16 + 4 * k + i];
          }
        sum += half(w[b].d[r]) * x[t][b].d * static_cast<float>(s);
      }
      out[8 * t + r] = sum;
    }
#endif
}

template <int NT>
static void gemm_q8_0x8_n(const void* group, const act_q8_0* const* x, int nb, float* out) {
  auto* w = static_cast<const block_q8_0x8*>(group);
#if defined(__AVX2__) && defined(__F16C__)
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q8_0x8));
    __m256i isum[NT];
    for (int t = 0; t < NT; ++t) isum[t] = _mm256_setzero_si256();
    for (int k = 0; k < 8; ++k) {
      __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs + 32 * k));
      __m256i qa = _mm256_sign_epi8(q, q); // |q|; the sign moves to the activations
      for (int t = 0; t < NT; ++t)
        isum[t] = dot_u8s8_acc(isum[t], qa, _mm256_sign_epi8(bcast4(x[t][b].qs + 4 * k), q));
    }
    __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].d)));
    for (int t = 0; t < NT; ++t)
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(dw, _mm256_set1_ps(x[t][b].d)), acc[t]);
  }
  for (int t = 0; t < NT; ++t) _mm256_storeu_ps(out + 8 * t, acc[t]);
#else
  for (int t = 0; t < NT; ++t)
    for (int r = 0; r < 8; ++r) {
      float sum = 0;
      for (int b = 0; b < nb; ++b) {
        int s = 0;
        for (int k = 0; k < 8; ++k)
          for (int i = 0; i < 4; ++i) s += w[b].qs[32 * k + 4 * r + i] * x[t][b].qs[4 * k + i];
        sum += half(w[b].d[r]) * x[t][b].d * static_cast<float>(s);
      }
      out[8 * t + r] = sum;
    }
#endif
}

static void gemm_q4_0x8(const void* g, const act_q8_0* const* x, int n_tok, int nb, float* out) {
  switch (n_tok) {
    case 1: return gemm_q4_0x8_n<1>(g, x, nb, out);
    case 2: return gemm_q4_0x8_n<2>(g, x, nb, out);
    case 3: return gemm_q4_0x8_n<3>(g, x, nb, out);
    default: return gemm_q4_0x8_n<4>(g, x, nb, out);
  }
}

static void gemm_q8_0x8(const void* g, const act_q8_0* const* x, int n_tok, int nb, float* out) {
  switch (n_tok) {
    case 1: return gemm_q8_0x8_n<1>(g, x, nb, out);
    case 2: return gemm_q8_0x8_n<2>(g, x, nb, out);
    case 3: return gemm_q8_0x8_n<3>(g, x, nb, out);
    default: return gemm_q8_0x8_n<4>(g, x, nb, out);
  }
}

/// out[t * 8 + r] for one interleaved group of Q4_K rows and NT tokens.
template <int NT>
static void gemm_q4_kx8_n(const void* group, const act_q8_k* const* x, int nb, float* out) {
  auto* w = static_cast<const block_q4_kx8*>(group);
#if defined(__AVX2__) && defined(__F16C__)
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  const __m256i low = _mm256_set1_epi8(0x0F);
  for (int b = 0; b < nb; ++b) {
    __m256i isum[NT];
    for (int t = 0; t < NT; ++t) isum[t] = _mm256_setzero_si256();
    for (int c = 0; c < 4; ++c) { // 64 elements: sub-blocks 2c (low nibbles) and 2c+1 (high)
      prefetch_ahead(w[b].qs + 256 * c, 256);
      __m256i plo[NT], phi[NT];
      for (int t = 0; t < NT; ++t) plo[t] = phi[t] = _mm256_setzero_si256();
      for (int kk = 0; kk < 8; ++kk) {
        __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs + 32 * (8 * c + kk)));
        __m256i lo = _mm256_and_si256(q, low), hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low);
        for (int t = 0; t < NT; ++t) {
          plo[t] = dot_u8s8_acc(plo[t], lo, bcast4(x[t][b].qs + 64 * c + 4 * kk));
          phi[t] = dot_u8s8_acc(phi[t], hi, bcast4(x[t][b].qs + 64 * c + 32 + 4 * kk));
        }
      }
      __m256i slo = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w[b].sc[2 * c])));
      __m256i shi = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w[b].sc[2 * c + 1])));
      for (int t = 0; t < NT; ++t)
        isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(_mm256_mullo_epi32(plo[t], slo), _mm256_mullo_epi32(phi[t], shi)));
    }
    __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].d)));
    __m256 dm = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].dmin)));
    for (int t = 0; t < NT; ++t) {
      // mins: sum_j m_j[row] * (bsums[2j] + bsums[2j+1])
      __m256i ms = _mm256_setzero_si256();
      for (int j = 0; j < 8; ++j) {
        __m256i mj = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w[b].m[j])));
        ms = _mm256_add_epi32(ms, _mm256_mullo_epi32(mj, _mm256_set1_epi32(x[t][b].bsums[2 * j] + x[t][b].bsums[2 * j + 1])));
      }
      __m256 dx = _mm256_set1_ps(x[t][b].d);
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[t]), _mm256_mul_ps(dw, dx), acc[t]);
      acc[t] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(ms), _mm256_mul_ps(dm, dx), acc[t]);
    }
  }
  for (int t = 0; t < NT; ++t) _mm256_storeu_ps(out + 8 * t, acc[t]);
#else
  for (int t = 0; t < NT; ++t)
    for (int r = 0; r < 8; ++r) {
      float sum = 0;
      for (int b = 0; b < nb; ++b) {
        int isum = 0, ms = 0;
        for (int c = 0; c < 4; ++c) {
          int s0 = 0, s1 = 0;
          for (int kk = 0; kk < 8; ++kk)
            for (int i = 0; i < 4; ++i) {
              uint8_t q = w[b].qs[32 * (8 * c + kk) + 4 * r + i];
              s0 += (q & 0xF) * x[t][b].qs[64 * c + 4 * kk + i];
              s1 += (q >> 4) * x[t][b].qs[64 * c + 32 + 4 * kk + i];
            }
          isum += s0 * w[b].sc[2 * c][r] + s1 * w[b].sc[2 * c + 1][r];
        }
        for (int j = 0; j < 8; ++j) ms += w[b].m[j][r] * (x[t][b].bsums[2 * j] + x[t][b].bsums[2 * j + 1]);
        sum += x[t][b].d * (half(w[b].d[r]) * static_cast<float>(isum) - half(w[b].dmin[r]) * static_cast<float>(ms));
      }
      out[8 * t + r] = sum;
    }
#endif
}

static void gemm_q4_kx8(const void* g, const act_q8_k* const* x, int n_tok, int nb, float* out) {
  switch (n_tok) {
    case 1: return gemm_q4_kx8_n<1>(g, x, nb, out);
    case 2: return gemm_q4_kx8_n<2>(g, x, nb, out);
    case 3: return gemm_q4_kx8_n<3>(g, x, nb, out);
    default: return gemm_q4_kx8_n<4>(g, x, nb, out);
  }
}

/// out[t * 8 + r] for one interleaved group of Q6_K rows and NT tokens.
template <int NT>
static void gemm_q6_kx8_n(const void* group, const act_q8_k* const* x, int nb, float* out) {
  auto* w = static_cast<const block_q6_kx8*>(group);
#if defined(__AVX2__) && defined(__F16C__)
  __m256 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0F), m30 = _mm256_set1_epi8(0x30);
  for (int b = 0; b < nb; ++b) {
    __m256i isum[NT];
    for (int t = 0; t < NT; ++t) isum[t] = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      prefetch_ahead(w[b].ql + 512 * h, 512);
      prefetch_ahead(w[b].qh + 256 * h, 256);
      for (int qd = 0; qd < 2; ++qd) { // l in [16 qd, 16 qd + 16): one sub-block of each quarter
        __m256i p[NT][4];
        for (int t = 0; t < NT; ++t)
          for (int j = 0; j < 4; ++j) p[t][j] = _mm256_setzero_si256();
        for (int kq = 4 * qd; kq < 4 * qd + 4; ++kq) {
          __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].ql + 32 * (16 * h + kq)));
          __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].ql + 32 * (16 * h + 8 + kq)));
          __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qh + 32 * (8 * h + kq)));
          __m256i q[4] = {
            _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 4), m30)),
            _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(hb, 2), m30)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(hb, m30)),
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4), _mm256_and_si256(_mm256_srli_epi16(hb, 2), m30)),
          };
          for (int t = 0; t < NT; ++t) {
            const int8_t* a = x[t][b].qs + 128 * h + 4 * kq;
            for (int j = 0; j < 4; ++j) p[t][j] = dot_u8s8_acc(p[t][j], q[j], bcast4(a + 32 * j));
          }
        }
        for (int j = 0; j < 4; ++j) {
          __m256i sc = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w[b].sc[8 * h + 2 * j + qd])));
          for (int t = 0; t < NT; ++t) isum[t] = _mm256_add_epi32(isum[t], _mm256_mullo_epi32(p[t][j], sc));
        }
      }
    }
    __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].d)));
    for (int t = 0; t < NT; ++t) {
      __m256i off = _mm256_setzero_si256(); // the -32 of every quant: 32 * sum_s sc_s * bsum_s
      for (int s = 0; s < 16; ++s) {
        __m256i sc = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(w[b].sc[s])));
        off = _mm256_add_epi32(off, _mm256_mullo_epi32(sc, _mm256_set1_epi32(x[t][b].bsums[s])));
      }
      __m256i total = _mm256_sub_epi32(isum[t], _mm256_slli_epi32(off, 5));
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_mul_ps(dw, _mm256_set1_ps(x[t][b].d)), acc[t]);
    }
  }
  for (int t = 0; t < NT; ++t) _mm256_storeu_ps(out + 8 * t, acc[t]);
#else
  for (int t = 0; t < NT; ++t)
    for (int r = 0; r < 8; ++r) {
      float sum = 0;
      for (int b = 0; b < nb; ++b) {
        int isum = 0;
        for (int h = 0; h < 2; ++h)
          for (int kq = 0; kq < 8; ++kq)
            for (int i = 0; i < 4; ++i) {
              int l = 4 * kq + i;
              uint8_t ql0 = w[b].ql[32 * (16 * h + kq) + 4 * r + i], ql1 = w[b].ql[32 * (16 * h + 8 + kq) + 4 * r + i];
              uint8_t qh = w[b].qh[32 * (8 * h + kq) + 4 * r + i];
              int q[4] = {((ql0 & 0xF) | ((qh & 3) << 4)) - 32, ((ql1 & 0xF) | (((qh >> 2) & 3) << 4)) - 32,
                          ((ql0 >> 4) | (((qh >> 4) & 3) << 4)) - 32, ((ql1 >> 4) | (((qh >> 6) & 3) << 4)) - 32};
              for (int j = 0; j < 4; ++j)
                isum += w[b].sc[8 * h + 2 * j + l / 16][r] * q[j] * x[t][b].qs[128 * h + 32 * j + l];
            }
        sum += half(w[b].d[r]) * x[t][b].d * static_cast<float>(isum);
      }
      out[8 * t + r] = sum;
    }
#endif
}

static void gemm_q6_kx8(const void* g, const act_q8_k* const* x, int n_tok, int nb, float* out) {
  if (n_tok == 1) return gemm_q6_kx8_n<1>(g, x, nb, out);
  return gemm_q6_kx8_n<2>(g, x, nb, out);
}

#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
/// 16 interleaved Q4_0 rows x NT tokens with 512-bit registers: out[t * 16 + r].
template <int NT>
static void gemm_q4_0x16_n(const void* group, const act_q8_0* const* x, int nb, float* out) {
  auto* w = static_cast<const block_q4_0x16*>(group);
  __m512 acc[NT];
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  const __m512i low = _mm512_set1_epi8(0x0F);
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q4_0x16));
    __m512i isum[NT], isum2[NT];
    for (int t = 0; t < NT; ++t) {
      isum[t] = _mm512_set1_epi32(-8 * x[t][b].sum); // weights are q - 8
      isum2[t] = _mm512_setzero_si512();
    }
    for (int k = 0; k < 4; ++k) {
      __m512i q = _mm512_loadu_si512(w[b].qs + 64 * k);
      __m512i lo = _mm512_and_si512(q, low), hi = _mm512_and_si512(_mm512_srli_epi16(q, 4), low);
      for (int t = 0; t < NT; ++t) {
        int32_t a0, a1;
        std::memcpy(&a0, x[t][b].qs + 4 * k, 4);
        std::memcpy(&a1, x[t][b].qs + 16 + 4 * k, 4);
        isum[t] = _mm512_dpbusd_epi32(isum[t], lo, _mm512_set1_epi32(a0));
        isum2[t] = _mm512_dpbusd_epi32(isum2[t], hi, _mm512_set1_epi32(a1));
      }
    }
    __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].d)));
    for (int t = 0; t < NT; ++t)
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(isum[t], isum2[t])),
                               _mm512_mul_ps(dw, _mm512_set1_ps(x[t][b].d)), acc[t]);
  }
  for (int t = 0; t < NT; ++t) _mm512_storeu_ps(out + 16 * t, acc[t]);
}

static void gemm_q4_0x16(const void* g, const act_q8_0* const* x, int n_tok, int nb, float* out) {
  switch (n_tok) {
    case 1: return gemm_q4_0x16_n<1>(g, x, nb, out);
    case 2: return gemm_q4_0x16_n<2>(g, x, nb, out);
    case 3: return gemm_q4_0x16_n<3>(g, x, nb, out);
    case 4: return gemm_q4_0x16_n<4>(g, x, nb, out);
    case 5: return gemm_q4_0x16_n<5>(g, x, nb, out);
    case 6: return gemm_q4_0x16_n<6>(g, x, nb, out);
    case 7: return gemm_q4_0x16_n<7>(g, x, nb, out);
    default: return gemm_q4_0x16_n<8>(g, x, nb, out);
  }
}
#define RBEE_GEMM_Q4_0X16 gemm_q4_0x16
#else
#define RBEE_GEMM_Q4_0X16 nullptr
#endif

// -- attention and activations -----------------------------------------------------

#if defined(__AVX2__)
/// e^x for 8 floats (Cephes-style: 2^n x polynomial), relative error ~2e-7.
static inline __m256 exp8(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  __m256 t = _mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f));
  __m256 n = _mm256_round_ps(t, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.f)));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}
#endif

/// gate = silu(gate) * up                                        (n,)
static void swiglu(float* g, const float* u, int n) {
  int i = 0;
#if defined(__AVX2__)
  for (; i + 8 <= n; i += 8) {
    __m256 x = _mm256_loadu_ps(g + i);
    __m256 sig = _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_add_ps(_mm256_set1_ps(1.f), exp8(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_mul_ps(x, sig), _mm256_loadu_ps(u + i)));
  }
#endif
  for (; i < n; ++i) g[i] = g[i] / (1.f + std::exp(-g[i])) * u[i];
}

/// out (hd) = softmax(scale * q . K[p]) weighted sum of V[p], p < n_pos; K and V
/// rows `stride` floats apart; `s` is scratch of n_pos floats.
static void attend(const float* q, const float* k, const float* v, int n_pos, int hd, size_t stride, float scale,
                   float* s, float* out) {
  float max = -INFINITY;
  for (int p = 0; p < n_pos; ++p) {
    float dot = dot_f32(k + stride * p, q, hd) * scale;
    s[p] = dot;
    max = dot > max ? dot : max;
  }
  float sum = 0;
  int p = 0;
#if defined(__AVX2__)
  __m256 vs = _mm256_setzero_ps(), vm = _mm256_set1_ps(max);
  for (; p + 8 <= n_pos; p += 8) {
    __m256 e = exp8(_mm256_sub_ps(_mm256_loadu_ps(s + p), vm));
    _mm256_storeu_ps(s + p, e);
    vs = _mm256_add_ps(vs, e);
  }
  sum = hsum(vs);
#endif
  for (; p < n_pos; ++p) sum += s[p] = std::exp(s[p] - max);
  float inv = 1.f / sum;
  for (int i = 0; i < hd; ++i) out[i] = 0;
  for (p = 0; p < n_pos; ++p) {
    const float* vp = v + stride * p;
    float w = s[p] * inv;
    int i = 0;
#if defined(__AVX2__)
    __m256 vw = _mm256_set1_ps(w);
    for (; i + 8 <= hd; i += 8) _mm256_storeu_ps(out + i, _mm256_fmadd_ps(vw, _mm256_loadu_ps(vp + i), _mm256_loadu_ps(out + i)));
#endif
    for (; i < hd; ++i) out[i] += w * vp[i];
  }
}

/// Reads `bytes` (a multiple of 128) as fast as possible; returns a checksum.
static uint64_t read_bytes(const void* p, size_t bytes) {
  auto* c = static_cast<const uint8_t*>(p);
#if defined(__AVX2__)
  __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
  for (size_t i = 0; i + 128 <= bytes; i += 128) {
    _mm_prefetch(reinterpret_cast<const char*>(c + i) + RBEE_PREFETCH, _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + i) + RBEE_PREFETCH + 64, _MM_HINT_T0);
    a0 = _mm256_xor_si256(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i)));
    a1 = _mm256_xor_si256(a1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i + 32)));
    a2 = _mm256_xor_si256(a2, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i + 64)));
    a3 = _mm256_xor_si256(a3, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i + 96)));
  }
  __m256i x = _mm256_xor_si256(_mm256_xor_si256(a0, a1), _mm256_xor_si256(a2, a3));
  return static_cast<uint64_t>(_mm256_extract_epi64(x, 0) ^ _mm256_extract_epi64(x, 3));
#else
  uint64_t s = 0, v;
  for (size_t i = 0; i + 8 <= bytes; i += 8) {
    std::memcpy(&v, c + i, 8);
    s ^= v;
  }
  return s;
#endif
}

static const kernel_set set = {
  RBEE_ISA_NAME, quantize_q8_0, quantize_q8_k, dot_q8_0, dot_q4_0, dot_q4_k, dot_q5_k, dot_q6_k, dot_f32, dot_f16, dot_bf16, read_bytes, dot4_q4_0, dot4_q8_0, gemm_q4_0x8, gemm_q8_0x8, swiglu, attend, gemm_q4_kx8, gemm_q6_kx8, RBEE_GEMM_Q4_0X16,
};

} // namespace RBEE_ISA
} // namespace rbee::kernels::cpu
