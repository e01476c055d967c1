#pragma once
// Activations quantized for integer dot products with quantized weights.

#include "kernels/model.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rbee::kernels::cpu {

/// 32 activations: x ~ d * qs. `sum` = sum(qs); `bias` holds -8 * sum in its
/// first lane (and zeros), the start value of a Q4_0 integer dot (weights 0..15 - 8).
struct act_q8_0 {
  float d;
  int32_t sum;
  int8_t qs[32];
  int32_t bias[8];
};

/// 256 activations (a K-quant super-block); bsums[i] = sum(qs[16i .. 16i+15]).
struct act_q8_k {
  float d;
  int8_t qs[256];
  int16_t bsums[16];
};

/// Query rows of one attention tile (kernel_set::attend_tile), and its scratch in floats
/// for a head of `hd` over `n_pos` positions.
constexpr int tile_rows = 16;
constexpr size_t attend_tile_scratch(int hd, int n_pos) {
  return static_cast<size_t>(hd) * (2 * tile_rows + 4) + static_cast<size_t>(n_pos) * tile_rows;
}

/// The kernels one instruction set provides (generic, AVX2, AVX-512).
struct kernel_set {
  const char* name;
  void (*quantize_q8_0)(const float* x, act_q8_0* y, int n);
  void (*quantize_q8_k)(const float* x, act_q8_k* y, int n);
  float (*dot_q8_0)(const void* w, const act_q8_0* x, int nb);
  float (*dot_q4_0)(const void* w, const act_q8_0* x, int nb);
  float (*dot_iq4_nl)(const void* w, const act_q8_0* x, int nb);
  float (*dot_iq4_xs)(const void* w, const act_q8_0* x, int nb); ///< nb: q8_0 blocks (8 per IQ4_XS block)
  float (*dot_mxfp4)(const void* w, const act_q8_0* x, int nb);
  float (*dot_q4_k)(const void* w, const act_q8_k* x, int nb);
  float (*dot_q5_k)(const void* w, const act_q8_k* x, int nb);
  float (*dot_q6_k)(const void* w, const act_q8_k* x, int nb);
  float (*dot_f32)(const void* w, const float* x, int n);
  float (*dot_f16)(const void* w, const float* x, int n);
  float (*dot_bf16)(const void* w, const float* x, int n);
  uint64_t (*read_bytes)(const void* p, size_t bytes);
  /// The int8 multiply-accumulate peak's microkernel: returns the MACs done in `rounds`.
  uint64_t (*int8_macs)(uint64_t rounds, int32_t* sink);
  /// One weight row against 4 activation rows (prompt processing).
  void (*dot4_q4_0)(const void* w, const act_q8_0* const* x, int nb, float* out);
  void (*dot4_q8_0)(const void* w, const act_q8_0* const* x, int nb, float* out);
  /// One interleaved group of 8 rows (repack.hpp) against 1-4 tokens: out[t * 8 + r].
  void (*gemm_q4_0x8)(const void* group, const act_q8_0* const* x, int n_tok, int nb, float* out);
  void (*gemm_q8_0x8)(const void* group, const act_q8_0* const* x, int n_tok, int nb, float* out);
  /// gate = silu(gate) * up
  void (*swiglu)(float* gate, const float* up, int n);
  /// gate = gelu(gate) * up (tanh form)
  void (*geglu)(float* gate, const float* up, int n);
  /// One head's attention over n_pos cached positions (rows `stride` floats apart).
  void (*attend)(const float* q, const float* k, const float* v, int n_pos, int hd, size_t stride, float scale,
                 float* scratch, float* out);
  /// The same over an F16 KV cache (the CPU's default, half the memory).
  void (*attend_f16)(const float* q, const uint16_t* k, const uint16_t* v, int n_pos, int hd, size_t stride, float scale,
                     float* scratch, float* out);
  /// Up to tile_rows query rows sharing one KV head (a prompt chunk's tokens x a GQA group):
  /// row m attends positions [lo[m], hi[m]) into out[m], each K and V row read once;
  /// `sinks` (or null): each row's attention-sink logit (gpt-oss).
  void (*attend_tile)(const float* const* q, float* const* out, const int* lo, const int* hi, int rows, const float* k,
                      const float* v, int hd, size_t stride, float scale, float* scratch, const float* sinks);
  void (*attend_tile_f16)(const float* const* q, float* const* out, const int* lo, const int* hi, int rows,
                          const uint16_t* k, const uint16_t* v, int hd, size_t stride, float scale, float* scratch,
                          const float* sinks);
  void (*gemm_q4_kx8)(const void* group, const act_q8_k* const* x, int n_tok, int nb, float* out); ///< 1-4 tokens
  void (*gemm_q6_kx8)(const void* group, const act_q8_k* const* x, int n_tok, int nb, float* out); ///< 1-2 tokens
  /// 16 interleaved Q4_0 rows (512-bit sets only, else null) against 1-8 tokens: out[t * 16 + r].
  void (*gemm_q4_0x16)(const void* group, const act_q8_0* const* x, int n_tok, int nb, float* out);
};

const kernel_set& kernels_generic();
const kernel_set& kernels_avx2();   ///< only call when the CPU has AVX2+FMA+F16C
const kernel_set& kernels_avx512(); ///< only call when the CPU has AVX-512 F/BW/VL/VNNI

/// The best set for this CPU (or the one named by RBEE_KERNELS=generic|avx2|avx512).
const kernel_set& best_kernels();

/// The sets this CPU can run (generic first).
std::vector<const kernel_set*> usable_kernels();

/// ops::matmul with a chosen kernel set (tests compare every set with the reference).
void matmul_with(const kernel_set& k, const weight& w, const float* x, int n_tok, float* y);

} // namespace rbee::kernels::cpu
