#pragma once
// Helpers of every kernel: half floats, max |x|, prefetching. Part of a kernel set
// compiled once per instruction set (kernel_set_impl.hpp): only static functions,
// in namespace RBEE_ISA.

#include "kernels/cpu/quant_act.hpp"
#include "kernels/cpu/repack.hpp"
#include "kernels/k_scales.hpp"
#include "kernels/types.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__AVX2__)
// GCC 12's AVX-512 intrinsics start from `__m512 __Y = __Y;` (an undefined
// value on purpose) and -Wmaybe-uninitialized then fires inside them when they
// are inlined at -O3 (GCC bug 105593, fixed in the headers of GCC 13).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#endif
#ifndef RBEE_PREFETCH
#define RBEE_PREFETCH 4096 // bytes ahead; the hardware prefetchers alone leave decode latency-bound
#endif

namespace rbee::kernels::cpu::RBEE_ISA {

static inline float half(uint16_t h) {
#if defined(__F16C__)
  return _cvtsh_ss(h);
#else
  return f16_to_f32(h);
#endif
}

/// The tables of the 4-bit non-linear types: IQ4_NL's, and MXFP4's FP4 values doubled (its
/// E8M0 scale is halved to match, as ggml does).
alignas(16) static constexpr int8_t iq4nl_table[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
alignas(16) static constexpr int8_t mxfp4_table[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

/// MXFP4's scale, halved: 2^(e - 128), from its bits (denormal below e = 2).
static inline float e8m0_half(uint8_t e) {
  uint32_t bits = e < 2 ? 0x00200000u << e : static_cast<uint32_t>(e - 1) << 23;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

static inline float fmax_abs(const float* x, int n) {
  float m = 0;
  for (int i = 0; i < n; ++i) m = std::fabs(x[i]) > m ? std::fabs(x[i]) : m;
  return m;
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

} // namespace rbee::kernels::cpu::RBEE_ISA
