#pragma once
// How the matrix-vector kernels read a weight row: in chunks of 4-8 values,
// consecutive lanes of a warp taking consecutive chunks, so that a warp reads
// one contiguous stretch of the row per step with 2-, 4-, 8- or 16-byte loads
// (each<T> of quant.cuh reads a whole block per lane, byte by byte).
//
// A unit is a quantization block (or 4 values of a plain type); each_chunk<T>
// calls f(i, value) for chunk c of a unit, i the value's index in the unit.
// Small integers become floats through the exponent trick (exact, and no
// int-to-float conversion, which runs at a quarter of the FMA rate).
// Host and device: on the host, the loads check the alignment the GPU needs,
// and the tests run the lanes of a warp one after another (check.cu).

#include "kernels/cuda/quant.cuh"

#include <cstdint>
#include <stdexcept>

namespace rbee::kernels::cuda {

template <class V>
__host__ __device__ __forceinline__ V load_aligned(const uint8_t* p) {
#ifdef __CUDA_ARCH__
  return *reinterpret_cast<const V*>(p);
#else
  if (reinterpret_cast<uintptr_t>(p) % sizeof(V) != 0) throw std::logic_error("misaligned load in a CUDA chunk decoder");
  V v;
  memcpy(&v, p, sizeof v);
  return v;
#endif
}

/// u (< 2^23) as a float, exactly.
__host__ __device__ __forceinline__ float small_float(unsigned u) {
  return bits_float(0x4B000000u | u) - 8388608.f;
}

__host__ __device__ __forceinline__ float half_bits(unsigned h) {
  return __half2float(__ushort_as_half(static_cast<unsigned short>(h)));
}

template <int T> struct unit {
  static constexpr int elems = block<T>::elems, bytes = block<T>::bytes;
  static constexpr int chunks = T == t_q4_0 || T == t_q8_0 ? 4 : 32;
};
template <> struct unit<t_f32> { static constexpr int elems = 4, bytes = 16, chunks = 1; };
template <> struct unit<t_f16> { static constexpr int elems = 4, bytes = 8, chunks = 1; };
template <> struct unit<t_bf16> { static constexpr int elems = 4, bytes = 8, chunks = 1; };

template <int T, class F>
__host__ __device__ __forceinline__ void each_chunk(const uint8_t* b, int c, F&& f) {
  if constexpr (T == t_f32) {
    float4 v = load_aligned<float4>(b);
    f(0, v.x), f(1, v.y), f(2, v.z), f(3, v.w);
  } else if constexpr (T == t_f16 || T == t_bf16) {
    uint2 v = load_aligned<uint2>(b);
    unsigned h[4] = {v.x & 0xFFFF, v.x >> 16, v.y & 0xFFFF, v.y >> 16};
#pragma unroll
    for (int k = 0; k < 4; ++k) f(k, T == t_f16 ? half_bits(h[k]) : bits_float(h[k] << 16));
  } else if constexpr (T == t_q4_0) {  // chunk c: bytes 4c..4c+3 = values 4c..4c+3 and 16+4c..16+4c+3
    float d = half_bits(load_aligned<uint16_t>(b));
    unsigned q = load_aligned<uint16_t>(b + 2 + 4 * c) | (unsigned(load_aligned<uint16_t>(b + 4 + 4 * c)) << 16);
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      unsigned byte = (q >> (8 * k)) & 0xFF;
      f(4 * c + k, d * (small_float(byte & 0xF) - 8.f));
      f(16 + 4 * c + k, d * (small_float(byte >> 4) - 8.f));
    }
  } else if constexpr (T == t_q8_0) {  // chunk c: values 8c..8c+7
    float d = half_bits(load_aligned<uint16_t>(b));
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      unsigned two = load_aligned<uint16_t>(b + 2 + 8 * c + 2 * k);
      f(8 * c + 2 * k, d * (small_float((two & 0xFF) ^ 0x80) - 128.f));
      f(8 * c + 2 * k + 1, d * (small_float((two >> 8) ^ 0x80) - 128.f));
    }
  } else if constexpr (T == t_q4_k || T == t_q5_k) {
    // chunk c: group j = c / 8 of 64 values, bytes l..l+3 (l = 4 (c % 8)) of its 32: the low
    // nibbles are values 64j+l.., the high ones 64j+32+l.. (Q5_K: bits 2j, 2j+1 of qh[l..] on top).
    int j = c >> 3, l = 4 * (c & 7);
    unsigned dd = load_aligned<uint32_t>(b);
    float d = half_bits(dd & 0xFFFF), dmin = half_bits(dd >> 16);
    float s1, m1, s2, m2;
    scale_min_k4(2 * j, b + 4, s1, m1);
    scale_min_k4(2 * j + 1, b + 4, s2, m2);
    float d1 = d * s1, n1 = dmin * m1, d2 = d * s2, n2 = dmin * m2;
    unsigned q = load_aligned<uint32_t>(b + (T == t_q5_k ? 48 : 16) + 32 * j + l);
    unsigned qh = T == t_q5_k ? load_aligned<uint32_t>(b + 16 + l) >> (2 * j) : 0;
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      unsigned byte = (q >> (8 * k)) & 0xFF, h = qh >> (8 * k);
      f(64 * j + l + k, d1 * small_float((byte & 0xF) | ((h & 1) << 4)) - n1);
      f(64 * j + 32 + l + k, d2 * small_float((byte >> 4) | ((h & 2) << 3)) - n2);
    }
  } else if constexpr (T == t_q6_k) {
    // chunk c: half h = c / 16, positions l, l+1 (l = 2 (c % 16)) of its 32, four values each.
    int h = c >> 4, l = 2 * (c & 15), is = l / 16;
    const uint8_t* ql = b + 64 * h;
    const int8_t* sc = reinterpret_cast<const int8_t*>(b + 192 + 8 * h);
    float d = half_bits(load_aligned<uint16_t>(b + 208));
    unsigned lo = load_aligned<uint16_t>(ql + l), hi = load_aligned<uint16_t>(ql + l + 32);
    unsigned qh = load_aligned<uint16_t>(b + 128 + 32 * h + l);
    float d1 = d * sc[is], d2 = d * sc[is + 2], d3 = d * sc[is + 4], d4 = d * sc[is + 6];
#pragma unroll
    for (int k = 0; k < 2; ++k) {
      unsigned a = (lo >> (8 * k)) & 0xFF, e = (hi >> (8 * k)) & 0xFF, g = (qh >> (8 * k)) & 0xFF;
      int i = 128 * h + l + k;
      f(i, d1 * (small_float((a & 0xF) | ((g & 3) << 4)) - 32.f));
      f(i + 32, d2 * (small_float((e & 0xF) | (((g >> 2) & 3) << 4)) - 32.f));
      f(i + 64, d3 * (small_float((a >> 4) | (((g >> 4) & 3) << 4)) - 32.f));
      f(i + 96, d4 * (small_float((e >> 4) | (((g >> 6) & 3) << 4)) - 32.f));
    }
  }
}

/// Lane `lane` of a warp: acc[t] += its share of row . x_t for NT tokens (x: NT rows of `cols`).
/// The warp's sum over lanes is the full dot product. Needs cols % unit<T>::elems == 0.
template <int T, int NT>
__host__ __device__ __forceinline__ void lane_dot(const uint8_t* __restrict__ row, int cols, const float* __restrict__ x,
                                                  int lane, float (&acc)[NT]) {
  using U = unit<T>;
  int total = cols / U::elems * U::chunks;
#pragma unroll(NT == 1 ? 2 : 1)  // two steps in flight where registers allow
  for (int idx = lane; idx < total; idx += 32) {
    int u = idx / U::chunks, c = idx % U::chunks;
    const float* xu = x + static_cast<size_t>(u) * U::elems;
    each_chunk<T>(row + static_cast<size_t>(u) * U::bytes, c, [&](int i, float v) {
#pragma unroll
      for (int t = 0; t < NT; ++t) acc[t] += v * xu[static_cast<size_t>(t) * cols + i];
    });
  }
}

} // namespace rbee::kernels::cuda
