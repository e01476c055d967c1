#pragma once
// Activation quantization (Q8_0, Q8_K blocks with their sums), portable C++.
// Part of a kernel set compiled once per instruction set (kernel_set_impl.hpp):
// only static functions, in namespace RBEE_ISA.

#include "kernels/cpu/quants/common.hpp"

namespace rbee::kernels::cpu::RBEE_ISA {

static void quantize_q8_0(const float* x, act_q8_0* y, int n) {
  for (int b = 0; b < n / 32; ++b, x += 32) {
    float amax = fmax_abs(x, 32);
    float d = amax / 127.f, id = d ? 1.f / d : 0.f;
    int sum = 0;
    for (int i = 0; i < 32; ++i) {
      int q = static_cast<int>(std::nearbyint(x[i] * id));
      y[b].qs[i] = static_cast<int8_t>(q);
      sum += q;
    }
    y[b].d = d;
    y[b].sum = sum;
    y[b].bias[0] = -8 * sum;
    for (int i = 1; i < 8; ++i) y[b].bias[i] = 0;
  }
}

static void quantize_q8_k(const float* x, act_q8_k* y, int n) {
  for (int b = 0; b < n / 256; ++b, x += 256) {
    float amax = fmax_abs(x, 256);
    float d = amax / 127.f, id = d ? 1.f / d : 0.f;
    for (int i = 0; i < 256; ++i) y[b].qs[i] = static_cast<int8_t>(std::nearbyint(x[i] * id));
    for (int g = 0; g < 16; ++g) {
      int s = 0;
      for (int i = 0; i < 16; ++i) s += y[b].qs[16 * g + i];
      y[b].bsums[g] = static_cast<int16_t>(s);
    }
    y[b].d = d;
  }
}

} // namespace rbee::kernels::cpu::RBEE_ISA
