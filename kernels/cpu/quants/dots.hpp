#pragma once
// Vector dot products of each weight type with quantized or float activations:
// the portable code (generic::), the reference the ISA versions are held to.
// Part of a kernel set compiled once per instruction set (kernel_set_impl.hpp):
// only static functions, in namespace RBEE_ISA.

#include "kernels/cpu/quants/common.hpp"

namespace rbee::kernels::cpu::RBEE_ISA {

namespace generic {

[[maybe_unused]] static float dot_q8_0(const void* wv, const act_q8_0* x, int nb) {
  auto* w = static_cast<const block_q8_0*>(wv);
  float sum = 0;
  for (int b = 0; b < nb; ++b) {
    int s = 0;
    for (int i = 0; i < 32; ++i) s += w[b].qs[i] * x[b].qs[i];
    sum += half(w[b].d) * x[b].d * static_cast<float>(s);
  }
  return sum;
}

[[maybe_unused]] static float dot_q4_0(const void* wv, const act_q8_0* x, int nb) {
  auto* w = static_cast<const block_q4_0*>(wv);
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
}

/// 4-bit indices into a signed table (IQ4_NL with an f16 scale, MXFP4 with an E8M0 one)
/// against int8 activations: 32 of them, the integer sum.
[[maybe_unused]] static int table4_sum(const uint8_t* qs, const int8_t* table, const int8_t* x) {
  int s = 0;
  for (int i = 0; i < 16; ++i) s += table[qs[i] & 0xF] * x[i] + table[qs[i] >> 4] * x[i + 16];
  return s;
}

[[maybe_unused]] static float dot_iq4_nl(const void* wv, const act_q8_0* x, int nb) {
  auto* w = static_cast<const block_iq4_nl*>(wv);
  float sum = 0;
  for (int b = 0; b < nb; ++b) sum += half(w[b].d) * x[b].d * static_cast<float>(table4_sum(w[b].qs, iq4nl_table, x[b].qs));
  return sum;
}

/// IQ4_XS: IQ4_NL's table in 256-element blocks, a 6-bit scale per 32 (activations in q8_0 blocks).
[[maybe_unused]] static float dot_iq4_xs(const void* wv, const act_q8_0* x, int nb) {
  auto* w = static_cast<const block_iq4_xs*>(wv);
  float sum = 0;
  for (int b = 0; b < nb / 8; ++b) {
    float d = half(w[b].d);
    for (int ib = 0; ib < 8; ++ib) {
      const act_q8_0& a = x[8 * b + ib];
      int ls = ((w[b].scales_l[ib / 2] >> 4 * (ib % 2)) & 0xF) | ((w[b].scales_h >> 2 * ib) & 3) << 4;
      sum += d * static_cast<float>(ls - 32) * a.d * static_cast<float>(table4_sum(w[b].qs + 16 * ib, iq4nl_table, a.qs));
    }
  }
  return sum;
}

[[maybe_unused]] static float dot_mxfp4(const void* wv, const act_q8_0* x, int nb) {
  auto* w = static_cast<const block_mxfp4*>(wv);
  float sum = 0;
  for (int b = 0; b < nb; ++b) sum += e8m0_half(w[b].e) * x[b].d * static_cast<float>(table4_sum(w[b].qs, mxfp4_table, x[b].qs));
  return sum;
}

[[maybe_unused]] static float dot_q4_k(const void* wv, const act_q8_k* x, int nb) {
  auto* w = static_cast<const block_q4_k*>(wv);
  float sum = 0;
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q4_k));
    uint8_t sc[8], m[8];
    unpack_scales_k4(w[b].scales, sc, m);
    int summ = 0;
    for (int j = 0; j < 8; ++j) summ += m[j] * (x[b].bsums[2 * j] + x[b].bsums[2 * j + 1]);
    int isum = 0;
    for (int c = 0; c < 4; ++c) {
      int s0 = 0, s1 = 0;
      for (int l = 0; l < 32; ++l) {
        s0 += (w[b].qs[32 * c + l] & 0xF) * x[b].qs[64 * c + l];
        s1 += (w[b].qs[32 * c + l] >> 4) * x[b].qs[64 * c + 32 + l];
      }
      isum += s0 * sc[2 * c] + s1 * sc[2 * c + 1];
    }
    sum += x[b].d * (half(w[b].d) * static_cast<float>(isum) - half(w[b].dmin) * static_cast<float>(summ));
  }
  return sum;
}

[[maybe_unused]] static float dot_q5_k(const void* wv, const act_q8_k* x, int nb) {
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

[[maybe_unused]] static float dot_q6_k(const void* wv, const act_q8_k* x, int nb) {
  auto* w = static_cast<const block_q6_k*>(wv);
  float sum = 0;
  for (int b = 0; b < nb; ++b) {
    prefetch_ahead(w + b, sizeof(block_q6_k));
    // The -32 offset: sum_s scale_s * 32 * bsum_s.
    int off = 0;
    for (int s = 0; s < 16; ++s) off += w[b].scales[s] * x[b].bsums[s];
    int isum = 0;
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
    sum += half(w[b].d) * x[b].d * static_cast<float>(isum - 32 * off);
  }
  return sum;
}

[[maybe_unused]] static float dot_f32(const void* wv, const float* x, int n) {
  auto* w = static_cast<const float*>(wv);
  float sum = 0;
  for (int i = 0; i < n; ++i) sum += w[i] * x[i];
  return sum;
}

[[maybe_unused]] static float dot_f16(const void* wv, const float* x, int n) {
  auto* w = static_cast<const uint16_t*>(wv);
  float sum = 0;
  for (int i = 0; i < n; ++i) sum += half(w[i]) * x[i];
  return sum;
}

[[maybe_unused]] static float dot_bf16(const void* wv, const float* x, int n) {
  auto* w = static_cast<const uint16_t*>(wv);
  float sum = 0;
  for (int i = 0; i < n; ++i) sum += bf16_to_f32(w[i]) * x[i];
  return sum;
}

/// One Q4_0 weight row against 4 activation rows (prompt processing): each
/// weight block is unpacked once for the 4 tokens. out[t] = dot(w, x[t]).
[[maybe_unused]] static void dot4_q4_0(const void* wv, const act_q8_0* const* x, int nb, float* out) {
  for (int t = 0; t < 4; ++t) out[t] = dot_q4_0(wv, x[t], nb);
}

/// One Q8_0 weight row against 4 activation rows.
[[maybe_unused]] static void dot4_q8_0(const void* wv, const act_q8_0* const* x, int nb, float* out) {
  for (int t = 0; t < 4; ++t) out[t] = dot_q8_0(wv, x[t], nb);
}

/// Reads `bytes` (a multiple of 128) as fast as possible; returns a checksum.
/// The int8 multiply-accumulate peak's microkernel: `rounds` rounds of independent int8
/// dot products with no memory traffic; returns the MACs done (and a value to keep).
[[maybe_unused]] static uint64_t int8_macs(uint64_t rounds, int32_t* sink) {
  int32_t acc[8] = {};
  int8_t a[8][4], b[4] = {1, 2, 3, 4};
  for (int j = 0; j < 8; ++j)
    for (int i = 0; i < 4; ++i) a[j][i] = static_cast<int8_t>(j + i);
  for (uint64_t r = 0; r < rounds; ++r)
    for (int j = 0; j < 8; ++j)
      for (int i = 0; i < 4; ++i) acc[j] += a[j][i] * b[i];
  int32_t x = 0;
  for (int32_t v : acc) x ^= v;
  *sink = x;
  return rounds * 32;
}

[[maybe_unused]] static uint64_t read_bytes(const void* p, size_t bytes) {
  auto* c = static_cast<const uint8_t*>(p);
  uint64_t s = 0, v;
  for (size_t i = 0; i + 8 <= bytes; i += 8) {
    std::memcpy(&v, c + i, 8);
    s ^= v;
  }
  return s;
}

} // namespace generic

} // namespace rbee::kernels::cpu::RBEE_ISA
