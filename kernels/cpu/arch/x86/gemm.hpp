#pragma once
// Packed GEMM tiles with AVX2 + F16C: 8 interleaved rows x NT tokens.
// Part of a kernel set compiled once per instruction set (kernel_set_impl.hpp):
// only internal linkage, in namespace RBEE_ISA.

#include "kernels/cpu/arch/x86/simd.hpp"

#if defined(__AVX2__) && defined(__F16C__)
namespace rbee::kernels::cpu::RBEE_ISA {

namespace x86 {
namespace { // templates: internal linkage, no weak symbols in the SIMD objects (simd_isolation)

/// out[t * 8 + r] = dot(row r of the group, token t), for NT tokens.
template <int NT>
struct gemm_q4_0x8 {
  static void run(const void* group, const act_q8_0* const* x, int nb, float* out) {
    auto* w = static_cast<const block_q4_0x8*>(group);
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
  }
};

template <int NT>
struct gemm_q8_0x8 {
  static void run(const void* group, const act_q8_0* const* x, int nb, float* out) {
    auto* w = static_cast<const block_q8_0x8*>(group);
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
  }
};

/// out[t * 8 + r] for one interleaved group of Q4_K rows and NT tokens.
template <int NT>
struct gemm_q4_kx8 {
  static void run(const void* group, const act_q8_k* const* x, int nb, float* out) {
    auto* w = static_cast<const block_q4_kx8*>(group);
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
  }
};

/// out[t * 8 + r] for one interleaved group of Q6_K rows and NT tokens.
template <int NT>
struct gemm_q6_kx8 {
  static void run(const void* group, const act_q8_k* const* x, int nb, float* out) {
    auto* w = static_cast<const block_q6_kx8*>(group);
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
  }
};

} // namespace
} // namespace x86

} // namespace rbee::kernels::cpu::RBEE_ISA
#endif
