// Quantized dot products, compiled once per instruction set (dot_generic.cpp,
// dot_avx2.cpp, dot_avx512.cpp define RBEE_ISA and include this file). Plain
// loops are the portable path; intrinsics take over where the ISA has them.
// Only static functions here: nothing may leak into other translation units.

#include "kernels/cpu/quant_act.hpp"
#include "kernels/types.hpp"

#include <cmath>
#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
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
#endif

static float dot_q8_0(const void* wv, const act_q8_0* x, int nb) {
  auto* w = static_cast<const block_q8_0*>(wv);
#if defined(__AVX2__)
  __m256 acc = _mm256_setzero_ps();
  for (int b = 0; b < nb; ++b) {
    __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[b].qs));
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    __m256i p = dot_u8s8(_mm256_sign_epi8(q, q), _mm256_sign_epi8(a, q)); // |q| * (a * sign(q))
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b].d) * x[b].d), _mm256_cvtepi32_ps(p), acc);
  }
  return hsum(acc);
#else
  float sum = 0;
  for (int b = 0; b < nb; ++b) {
    int s = 0;
    for (int i = 0; i < 32; ++i) s += w[b].qs[i] * x[b].qs[i];
    sum += half(w[b].d) * x[b].d * static_cast<float>(s);
  }
  return sum;
#endif
}

static float dot_q4_0(const void* wv, const act_q8_0* x, int nb) {
  auto* w = static_cast<const block_q4_0*>(wv);
#if defined(__AVX2__)
  __m256 acc = _mm256_setzero_ps();
  const __m256i low = _mm256_set1_epi8(0x0F);
  for (int b = 0; b < nb; ++b) {
    __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[b].qs));
    __m256i q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(raw, 4), raw), low); // 0..15
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    __m256i p = dot_u8s8(q, a);
    // sum((q - 8) * a) = sum(q * a) - 8 * sum(a)
    __m256 f = _mm256_cvtepi32_ps(p);
    acc = _mm256_fmadd_ps(_mm256_set1_ps(half(w[b].d) * x[b].d), f, acc);
    acc = _mm256_add_ps(acc, _mm256_set_ps(0, 0, 0, 0, 0, 0, 0, -8.f * half(w[b].d) * x[b].d * x[b].sum));
  }
  return hsum(acc);
#else
  float sum = 0;
  for (int b = 0; b < nb; ++b) {
    int s = 0;
    for (int i = 0; i < 16; ++i) {
      s += ((w[b].qs[i] & 0xF) - 8) * x[b].qs[i];
      s += ((w[b].qs[i] >> 4) - 8) * x[b].qs[i + 16];
    }
    sum += half(w[b].d) * x[b].d * static_cast<float>(s);
  }
  return sum;
#endif
}

static inline void scales_k4(const uint8_t* q, uint8_t* sc, uint8_t* m) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = q[j] & 63;
    m[j] = q[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    sc[j] = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m[j] = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

static float dot_q4_k(const void* wv, const act_q8_k* x, int nb) {
  auto* w = static_cast<const block_q4_k*>(wv);
  float sum = 0;
  for (int b = 0; b < nb; ++b) {
    uint8_t sc[8], m[8];
    scales_k4(w[b].scales, sc, m);
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
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(dot_u8s8(lo, a0), _mm256_set1_epi32(sc[2 * c])));
      acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(dot_u8s8(hi, a1), _mm256_set1_epi32(sc[2 * c + 1])));
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
    uint8_t sc[8], m[8];
    scales_k4(w[b].scales, sc, m);
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
        __m256i p = dot_u8s8(q[k], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a + 32 * k)));
        // lanes 0-3: elements 0-15 (scale 2k), lanes 4-7: 16-31 (scale 2k+1)
        __m256i s = _mm256_set_epi32(sc[2 * k + 1], sc[2 * k + 1], sc[2 * k + 1], sc[2 * k + 1], sc[2 * k], sc[2 * k],
                                     sc[2 * k], sc[2 * k]);
        acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(p, s));
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

static const kernel_set set = {
  RBEE_ISA_NAME, quantize_q8_0, quantize_q8_k, dot_q8_0, dot_q4_0, dot_q4_k, dot_q5_k, dot_q6_k, dot_f32, dot_f16, dot_bf16,
};

} // namespace RBEE_ISA
} // namespace rbee::kernels::cpu
