#pragma once
// The Q4_0 GEMM tile with 512-bit registers and VNNI: 16 interleaved rows x NT tokens.
// Part of a kernel set compiled once per instruction set (kernel_set_impl.hpp):
// only internal linkage, in namespace RBEE_ISA.

#include "kernels/cpu/arch/x86/simd.hpp"

#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
namespace rbee::kernels::cpu::RBEE_ISA {

namespace x86 {
namespace { // templates: internal linkage, no weak symbols in the SIMD objects (simd_isolation)

/// 16 interleaved Q4_0 rows x NT tokens with 512-bit registers: out[t * 16 + r].
template <int NT>
struct gemm_q4_0x16 {
  static void run(const void* group, const act_q8_0* const* x, int nb, float* out) {
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
};

} // namespace
} // namespace x86

} // namespace rbee::kernels::cpu::RBEE_ISA
#endif
