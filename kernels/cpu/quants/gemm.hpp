#pragma once
// Packed GEMM tiles (repack.hpp): 8 interleaved rows x NT tokens, portable code.
// Part of a kernel set compiled once per instruction set (kernel_set_impl.hpp):
// only internal linkage, in namespace RBEE_ISA.

#include "kernels/cpu/quants/common.hpp"

namespace rbee::kernels::cpu::RBEE_ISA {

namespace generic {
namespace { // templates: internal linkage, no weak symbols in the SIMD objects (simd_isolation)

/// out[t * 8 + r] = dot(row r of the group, token t), for NT tokens.
template <int NT>
struct gemm_q4_0x8 {
  static void run(const void* group, const act_q8_0* const* x, int nb, float* out) {
    auto* w = static_cast<const block_q4_0x8*>(group);
    for (int t = 0; t < NT; ++t)
      for (int r = 0; r < 8; ++r) {
        float sum = 0;
        for (int b = 0; b < nb; ++b) {
          int s = 0;
          for (int k = 0; k < 4; ++k)
            for (int i = 0; i < 4; ++i) {
              uint8_t byte = w[b].qs[32 * k + 4 * r + i];
              s += ((byte & 0xF) - 8) * x[t][b].qs[4 * k + i] + ((byte >> 4) - 8) * x[t][b].qs[16 + 4 * k + i];
            }
          sum += half(w[b].d[r]) * x[t][b].d * static_cast<float>(s);
        }
        out[8 * t + r] = sum;
      }
  }
};

template <int NT>
struct gemm_q8_0x8 {
  static void run(const void* group, const act_q8_0* const* x, int nb, float* out) {
    auto* w = static_cast<const block_q8_0x8*>(group);
    for (int t = 0; t < NT; ++t)
      for (int r = 0; r < 8; ++r) {
        float sum = 0;
        for (int b = 0; b < nb; ++b) {
          int s = 0;
          for (int k = 0; k < 8; ++k)
            for (int i = 0; i < 4; ++i) s += w[b].qs[32 * k + 4 * r + i] * x[t][b].qs[4 * k + i];
          sum += half(w[b].d[r]) * x[t][b].d * static_cast<float>(s);
        }
        out[8 * t + r] = sum;
      }
  }
};

/// out[t * 8 + r] for one interleaved group of Q4_K rows and NT tokens.
template <int NT>
struct gemm_q4_kx8 {
  static void run(const void* group, const act_q8_k* const* x, int nb, float* out) {
    auto* w = static_cast<const block_q4_kx8*>(group);
    for (int t = 0; t < NT; ++t)
      for (int r = 0; r < 8; ++r) {
        float sum = 0;
        for (int b = 0; b < nb; ++b) {
          int isum = 0, ms = 0;
          for (int c = 0; c < 4; ++c) {
            int s0 = 0, s1 = 0;
            for (int kk = 0; kk < 8; ++kk)
              for (int i = 0; i < 4; ++i) {
                uint8_t q = w[b].qs[32 * (8 * c + kk) + 4 * r + i];
                s0 += (q & 0xF) * x[t][b].qs[64 * c + 4 * kk + i];
                s1 += (q >> 4) * x[t][b].qs[64 * c + 32 + 4 * kk + i];
              }
            isum += s0 * w[b].sc[2 * c][r] + s1 * w[b].sc[2 * c + 1][r];
          }
          for (int j = 0; j < 8; ++j) ms += w[b].m[j][r] * (x[t][b].bsums[2 * j] + x[t][b].bsums[2 * j + 1]);
          sum += x[t][b].d * (half(w[b].d[r]) * static_cast<float>(isum) - half(w[b].dmin[r]) * static_cast<float>(ms));
        }
        out[8 * t + r] = sum;
      }
  }
};

/// out[t * 8 + r] for one interleaved group of Q6_K rows and NT tokens.
template <int NT>
struct gemm_q6_kx8 {
  static void run(const void* group, const act_q8_k* const* x, int nb, float* out) {
    auto* w = static_cast<const block_q6_kx8*>(group);
    for (int t = 0; t < NT; ++t)
      for (int r = 0; r < 8; ++r) {
        float sum = 0;
        for (int b = 0; b < nb; ++b) {
          int isum = 0;
          for (int h = 0; h < 2; ++h)
            for (int kq = 0; kq < 8; ++kq)
              for (int i = 0; i < 4; ++i) {
                int l = 4 * kq + i;
                uint8_t ql0 = w[b].ql[32 * (16 * h + kq) + 4 * r + i], ql1 = w[b].ql[32 * (16 * h + 8 + kq) + 4 * r + i];
                uint8_t qh = w[b].qh[32 * (8 * h + kq) + 4 * r + i];
                int q[4] = {((ql0 & 0xF) | ((qh & 3) << 4)) - 32, ((ql1 & 0xF) | (((qh >> 2) & 3) << 4)) - 32,
                            ((ql0 >> 4) | (((qh >> 4) & 3) << 4)) - 32, ((ql1 >> 4) | (((qh >> 6) & 3) << 4)) - 32};
                for (int j = 0; j < 4; ++j)
                  isum += w[b].sc[8 * h + 2 * j + l / 16][r] * q[j] * x[t][b].qs[128 * h + 32 * j + l];
              }
          sum += half(w[b].d[r]) * x[t][b].d * static_cast<float>(isum);
        }
        out[8 * t + r] = sum;
      }
  }
};

} // namespace
} // namespace generic

} // namespace rbee::kernels::cpu::RBEE_ISA
