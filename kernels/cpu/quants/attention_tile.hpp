#pragma once
// Attention for a tile of query rows that share one KV head of one sequence: the
// query tokens of a prompt chunk times the heads of a GQA group. Portable code: each
// row on its own (attend_kv), the specification of the SIMD tile, and the kernel on
// CPUs without AVX2. Part of a kernel set compiled once per instruction set.

#include "kernels/cpu/quants/attention.hpp"

namespace rbee::kernels::cpu::RBEE_ISA {

namespace generic {

/// Row m (< rows <= tile_rows) of q attends positions [lo[m], hi[m]) of the cache (K and V
/// rows `stride` elements apart from k and v) into out[m]; scratch: attend_tile_scratch floats.
template <class KV>
static void attend_tile_kv(const float* const* q, float* const* out, const int* lo, const int* hi, int rows, const KV* k,
                           const KV* v, int hd, size_t stride, float scale, float* scratch, const float* sinks) {
  for (int m = 0; m < rows; ++m)
    attend_kv(q[m], k + stride * static_cast<size_t>(lo[m]), v + stride * static_cast<size_t>(lo[m]), hi[m] - lo[m], hd,
              stride, scale, scratch, out[m], sinks ? sinks[m] : -INFINITY);
}

[[maybe_unused]] static void attend_tile(const float* const* q, float* const* out, const int* lo, const int* hi, int rows,
                                         const float* k, const float* v, int hd, size_t stride, float scale, float* s, const float* sinks) {
  attend_tile_kv(q, out, lo, hi, rows, k, v, hd, stride, scale, s, sinks);
}
[[maybe_unused]] static void attend_tile_f16(const float* const* q, float* const* out, const int* lo, const int* hi,
                                             int rows, const uint16_t* k, const uint16_t* v, int hd, size_t stride,
                                             float scale, float* s, const float* sinks) {
  attend_tile_kv(q, out, lo, hi, rows, k, v, hd, stride, scale, s, sinks);
}

} // namespace generic

} // namespace rbee::kernels::cpu::RBEE_ISA
