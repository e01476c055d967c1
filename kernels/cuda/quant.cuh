#pragma once
// Decoding of the GGUF block types, element by element: each<T> calls
// f(i, value) for the block's elements in any order. The same layouts as
// kernels/types.hpp (read byte-wise: blocks are not aligned). Host and device:
// the host build is tested against the CPU reference where no GPU is.

#include "kernels/status.hpp"
#include "kernels/types.hpp"

#include <cuda_fp16.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

namespace rbee::kernels::cuda {

__host__ __device__ __forceinline__ float bits_float(unsigned u) {
#ifdef __CUDA_ARCH__
  return __uint_as_float(u);
#else
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
#endif
}

__host__ __device__ __forceinline__ float half_at(const uint8_t* p) {
  return __half2float(__ushort_as_half(static_cast<unsigned short>(p[0] | (p[1] << 8))));
}

__host__ __device__ __forceinline__ float bf16_at(const uint8_t* p) {
  return bits_float(static_cast<unsigned>(p[0] | (p[1] << 8)) << 16);
}

/// The 6-bit scale and min of sub-block j (0-7) of a Q4_K/Q5_K super-block.
__host__ __device__ __forceinline__ void scale_min_k4(int j, const uint8_t* q, float& sc, float& m) {
  if (j < 4) {
    sc = static_cast<float>(q[j] & 63);
    m = static_cast<float>(q[j + 4] & 63);
  } else {
    sc = static_cast<float>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = static_cast<float>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// Type ids as in kernels/types.hpp (dtype).
enum : int { t_f32 = 0, t_f16 = 1, t_q4_0 = 2, t_q8_0 = 8, t_q4_k = 12, t_q5_k = 13, t_q6_k = 14, t_bf16 = 30 };

template <int T> struct block;
template <> struct block<t_f32> { static constexpr int elems = 1, bytes = 4; };
template <> struct block<t_f16> { static constexpr int elems = 1, bytes = 2; };
template <> struct block<t_bf16> { static constexpr int elems = 1, bytes = 2; };
template <> struct block<t_q8_0> { static constexpr int elems = 32, bytes = 34; };
template <> struct block<t_q4_0> { static constexpr int elems = 32, bytes = 18; };
template <> struct block<t_q4_k> { static constexpr int elems = 256, bytes = 144; };
template <> struct block<t_q5_k> { static constexpr int elems = 256, bytes = 176; };
template <> struct block<t_q6_k> { static constexpr int elems = 256, bytes = 210; };

template <int T, class F>
__host__ __device__ __forceinline__ void each(const uint8_t* b, F&& f) {
  if constexpr (T == t_f32) {
    f(0, bits_float(static_cast<unsigned>(b[0] | (b[1] << 8) | (b[2] << 16)) | (static_cast<unsigned>(b[3]) << 24)));
  } else if constexpr (T == t_f16) {
    f(0, half_at(b));
  } else if constexpr (T == t_bf16) {
    f(0, bf16_at(b));
  } else if constexpr (T == t_q8_0) {
    float d = half_at(b);
    const int8_t* q = reinterpret_cast<const int8_t*>(b + 2);
#pragma unroll 8
    for (int j = 0; j < 32; ++j) f(j, d * q[j]);
  } else if constexpr (T == t_q4_0) {
    float d = half_at(b);
    const uint8_t* q = b + 2;
#pragma unroll 4
    for (int j = 0; j < 16; ++j) {
      f(j, d * ((q[j] & 0xF) - 8));
      f(j + 16, d * ((q[j] >> 4) - 8));
    }
  } else if constexpr (T == t_q4_k || T == t_q5_k) {
    float d = half_at(b), dmin = half_at(b + 2);
    const uint8_t* scales = b + 4;
    const uint8_t* qh = b + 16;                         // Q5_K only
    const uint8_t* q = b + (T == t_q5_k ? 48 : 16);
    for (int j = 0; j < 4; ++j, q += 32) {
      float s1, m1, s2, m2;
      scale_min_k4(2 * j, scales, s1, m1);
      scale_min_k4(2 * j + 1, scales, s2, m2);
      float d1 = d * s1, n1 = dmin * m1, d2 = d * s2, n2 = dmin * m2;
      for (int l = 0; l < 32; ++l) {
        int lo = q[l] & 0xF, hi = q[l] >> 4;
        if constexpr (T == t_q5_k) {
          lo += (qh[l] >> (2 * j)) & 1 ? 16 : 0;
          hi += (qh[l] >> (2 * j + 1)) & 1 ? 16 : 0;
        }
        f(64 * j + l, d1 * lo - n1);
        f(64 * j + 32 + l, d2 * hi - n2);
      }
    }
  } else if constexpr (T == t_q6_k) {
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192);
    float d = half_at(b + 208);
    for (int h = 0; h < 2; ++h, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        int is = l / 16;
        int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        f(128 * h + l, d * sc[is] * q1);
        f(128 * h + l + 32, d * sc[is + 2] * q2);
        f(128 * h + l + 64, d * sc[is + 4] * q3);
        f(128 * h + l + 96, d * sc[is + 6] * q4);
      }
    }
  }
}

template <int T>
using type_tag = std::integral_constant<int, T>;

/// Calls f(type_tag<T>{}) with T the id above of `t` (host side, to pick a kernel's instance).
template <class F>
void by_type(dtype t, F&& f) {
  switch (t) {
    case dtype::f32: return f(type_tag<t_f32>{});
    case dtype::f16: return f(type_tag<t_f16>{});
    case dtype::bf16: return f(type_tag<t_bf16>{});
    case dtype::q8_0: return f(type_tag<t_q8_0>{});
    case dtype::q4_0: return f(type_tag<t_q4_0>{});
    case dtype::q4_k: return f(type_tag<t_q4_k>{});
    case dtype::q5_k: return f(type_tag<t_q5_k>{});
    case dtype::q6_k: return f(type_tag<t_q6_k>{});
    default: throw kernel_error("tensor type " + std::string(name(t)) + " has no CUDA kernel");
  }
}

} // namespace rbee::kernels::cuda
