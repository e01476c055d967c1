#pragma once
// The attention tile with AVX2: up to 16 query rows sharing one KV head read each K
// and V row once. Scores are a (position × 16) block: each K element broadcast times
// the 16 rows' query element (the queries held transposed), so no horizontal sums;
// the softmax runs across positions with the 16 rows in two vectors; V the same way
// into a transposed accumulator. Part of a kernel set compiled once per instruction set.

#include "kernels/cpu/arch/x86/attention.hpp"

#if defined(__AVX2__)
namespace rbee::kernels::cpu::RBEE_ISA {

namespace x86 {

static void row_f32(const float* src, float* dst, int n) { std::memcpy(dst, src, sizeof(float) * static_cast<size_t>(n)); }
static void row_f32(const uint16_t* src, float* dst, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  for (; i < n; ++i) dst[i] = half(src[i]);
}

template <class KV>
static void attend_tile_kv(const float* const* q, float* const* out, const int* lo, const int* hi, int rows, const KV* k,
                           const KV* v, int hd, size_t stride, float scale, float* scratch, const float* sinks) {
  constexpr int T = tile_rows;
  int p0 = lo[0], p1 = hi[0];
  for (int m = 1; m < rows; ++m) p0 = std::min(p0, lo[m]), p1 = std::max(p1, hi[m]);
  const int np = p1 - p0;
  float* qt = scratch;                                // hd x T: the queries, transposed and scaled
  float* acc = qt + static_cast<size_t>(hd) * T;      // hd x T: the output, transposed
  float* row = acc + static_cast<size_t>(hd) * T;     // 4 x hd: four K or V rows as floats
  float* s = row + 4 * hd;                            // np x T: scores, then weights
  for (int i = 0; i < hd; ++i)
    for (int m = 0; m < T; ++m) qt[i * T + m] = m < rows ? q[m][i] * scale : 0.f;
  // Scores, four positions at a time: per query element two loads, four broadcasts, eight FMAs.
  int p = 0;
  for (; p + 4 <= np; p += 4) {
    for (int j = 0; j < 4; ++j) row_f32(k + stride * static_cast<size_t>(p0 + p + j), row + j * hd, hd);
    __m256 a[4][2];
    for (auto& x : a) x[0] = x[1] = _mm256_setzero_ps();
    for (int i = 0; i < hd; ++i) {
      __m256 q0 = _mm256_loadu_ps(qt + i * T), q1 = _mm256_loadu_ps(qt + i * T + 8);
      for (int j = 0; j < 4; ++j) {
        __m256 b = _mm256_broadcast_ss(row + j * hd + i);
        a[j][0] = _mm256_fmadd_ps(b, q0, a[j][0]);
        a[j][1] = _mm256_fmadd_ps(b, q1, a[j][1]);
      }
    }
    for (int j = 0; j < 4; ++j) {
      _mm256_storeu_ps(s + (p + j) * T, a[j][0]);
      _mm256_storeu_ps(s + (p + j) * T + 8, a[j][1]);
    }
  }
  for (; p < np; ++p) {
    row_f32(k + stride * static_cast<size_t>(p0 + p), row, hd);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (int i = 0; i < hd; ++i) {
      __m256 b = _mm256_broadcast_ss(row + i);
      a0 = _mm256_fmadd_ps(b, _mm256_loadu_ps(qt + i * T), a0);
      a1 = _mm256_fmadd_ps(b, _mm256_loadu_ps(qt + i * T + 8), a1);
    }
    _mm256_storeu_ps(s + p * T, a0);
    _mm256_storeu_ps(s + p * T + 8, a1);
  }
  // Each row sees its own positions only (causal, a sliding window); rows past `rows` all.
  for (int m = 0; m < rows; ++m) {
    for (int x = p0; x < lo[m]; ++x) s[(x - p0) * T + m] = -INFINITY;
    for (int x = hi[m]; x < p1; ++x) s[(x - p0) * T + m] = -INFINITY;
  }
  __m256 mx0 = _mm256_set1_ps(-INFINITY), mx1 = mx0;
  for (p = 0; p < np; ++p) {
    mx0 = _mm256_max_ps(mx0, _mm256_loadu_ps(s + p * T));
    mx1 = _mm256_max_ps(mx1, _mm256_loadu_ps(s + p * T + 8));
  }
  // Sinks (gpt-oss) raise the max and join the denominator, not the values.
  alignas(32) float sk[T];
  for (int m = 0; m < T; ++m) sk[m] = sinks && m < rows ? sinks[m] : -INFINITY;
  mx0 = _mm256_max_ps(mx0, _mm256_load_ps(sk));
  mx1 = _mm256_max_ps(mx1, _mm256_load_ps(sk + 8));
  __m256 sum0 = exp8(_mm256_sub_ps(_mm256_load_ps(sk), mx0)), sum1 = exp8(_mm256_sub_ps(_mm256_load_ps(sk + 8), mx1));
  if (!sinks) sum0 = sum1 = _mm256_setzero_ps();
  for (p = 0; p < np; ++p) {
    __m256 e0 = exp8(_mm256_sub_ps(_mm256_loadu_ps(s + p * T), mx0));
    __m256 e1 = exp8(_mm256_sub_ps(_mm256_loadu_ps(s + p * T + 8), mx1));
    _mm256_storeu_ps(s + p * T, e0);
    _mm256_storeu_ps(s + p * T + 8, e1);
    sum0 = _mm256_add_ps(sum0, e0);
    sum1 = _mm256_add_ps(sum1, e1);
  }
  // Weighted values, four positions at a time into the transposed accumulator.
  std::memset(acc, 0, sizeof(float) * static_cast<size_t>(hd) * T);
  for (p = 0; p + 4 <= np; p += 4) {
    for (int j = 0; j < 4; ++j) row_f32(v + stride * static_cast<size_t>(p0 + p + j), row + j * hd, hd);
    __m256 w[4][2];
    for (int j = 0; j < 4; ++j) w[j][0] = _mm256_loadu_ps(s + (p + j) * T), w[j][1] = _mm256_loadu_ps(s + (p + j) * T + 8);
    for (int i = 0; i < hd; ++i) {
      __m256 a0 = _mm256_loadu_ps(acc + i * T), a1 = _mm256_loadu_ps(acc + i * T + 8);
      for (int j = 0; j < 4; ++j) {
        __m256 b = _mm256_broadcast_ss(row + j * hd + i);
        a0 = _mm256_fmadd_ps(b, w[j][0], a0);
        a1 = _mm256_fmadd_ps(b, w[j][1], a1);
      }
      _mm256_storeu_ps(acc + i * T, a0);
      _mm256_storeu_ps(acc + i * T + 8, a1);
    }
  }
  for (; p < np; ++p) {
    row_f32(v + stride * static_cast<size_t>(p0 + p), row, hd);
    __m256 w0 = _mm256_loadu_ps(s + p * T), w1 = _mm256_loadu_ps(s + p * T + 8);
    for (int i = 0; i < hd; ++i) {
      __m256 b = _mm256_broadcast_ss(row + i);
      _mm256_storeu_ps(acc + i * T, _mm256_fmadd_ps(b, w0, _mm256_loadu_ps(acc + i * T)));
      _mm256_storeu_ps(acc + i * T + 8, _mm256_fmadd_ps(b, w1, _mm256_loadu_ps(acc + i * T + 8)));
    }
  }
  alignas(32) float inv[T];
  _mm256_storeu_ps(inv, _mm256_div_ps(_mm256_set1_ps(1.f), sum0));
  _mm256_storeu_ps(inv + 8, _mm256_div_ps(_mm256_set1_ps(1.f), sum1));
  for (int m = 0; m < rows; ++m)
    for (int i = 0; i < hd; ++i) out[m][i] = acc[i * T + m] * inv[m];
}

static void attend_tile(const float* const* q, float* const* out, const int* lo, const int* hi, int rows, const float* k,
                        const float* v, int hd, size_t stride, float scale, float* s, const float* sinks) {
  attend_tile_kv(q, out, lo, hi, rows, k, v, hd, stride, scale, s, sinks);
}
static void attend_tile_f16(const float* const* q, float* const* out, const int* lo, const int* hi, int rows,
                            const uint16_t* k, const uint16_t* v, int hd, size_t stride, float scale, float* s, const float* sinks) {
  attend_tile_kv(q, out, lo, hi, rows, k, v, hd, stride, scale, s, sinks);
}

} // namespace x86

} // namespace rbee::kernels::cpu::RBEE_ISA
#endif
