#pragma once
// AVX2 building blocks: horizontal sums, u8 x s8 dots (VNNI where the set has it),
// block dots, e^x.
// Part of a kernel set compiled once per instruction set (kernel_set_impl.hpp):
// only static functions, in namespace RBEE_ISA.

#include "kernels/cpu/quants/common.hpp"

#if defined(__AVX2__)
namespace rbee::kernels::cpu::RBEE_ISA {

namespace x86 {

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

static inline __m256i bcast4(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

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

} // namespace x86

} // namespace rbee::kernels::cpu::RBEE_ISA
#endif
