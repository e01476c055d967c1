// One kernel set, compiled once per instruction set: dot_generic.cpp,
// dot_avx2.cpp and dot_avx512.cpp define RBEE_ISA (and RBEE_ISA_NAME) and include
// this file. The kernels live by concern, as ggml keeps ggml-cpu/quants.c beside
// arch/x86/quants.c: quants/ holds the portable code (namespace generic, the
// reference every ISA version is tested against), arch/x86/ the AVX2 / AVX-512
// versions (namespace x86). Only static functions: nothing may leak into other
// translation units (the simd_isolation test).

#include "kernels/cpu/quants/act.hpp"
#include "kernels/cpu/quants/attention.hpp"
#include "kernels/cpu/quants/attention_tile.hpp"
#include "kernels/cpu/quants/dots.hpp"
#include "kernels/cpu/quants/gemm.hpp"

#include "kernels/cpu/arch/x86/attention.hpp"
#include "kernels/cpu/arch/x86/attention_tile.hpp"
#include "kernels/cpu/arch/x86/dots.hpp"
#include "kernels/cpu/arch/x86/gemm.hpp"
#include "kernels/cpu/arch/x86/gemm_avx512.hpp"

#include <utility>

namespace rbee::kernels::cpu::RBEE_ISA {

#if defined(__AVX2__) && defined(__F16C__)
namespace isa = x86; // what this instruction set has
#else
namespace isa = generic;
#endif

/// Runs Tile<NT>::run for n_tok tokens, NT = n_tok up to Max (more tokens: Max).
template <template <int> class Tile, class Act, int... N>
static void tile_for(std::integer_sequence<int, N...>, const void* g, const Act* const* x, int n_tok, int nb,
                     float* out) {
  constexpr int max = sizeof...(N);
  int nt = n_tok < 1 ? max : n_tok > max ? max : n_tok;
  (void)((nt == N + 1 ? (Tile<N + 1>::run(g, x, nb, out), true) : false) || ...);
}

template <template <int> class Tile, int Max, class Act>
static void by_tokens(const void* g, const Act* const* x, int n_tok, int nb, float* out) {
  tile_for<Tile>(std::make_integer_sequence<int, Max>{}, g, x, n_tok, nb, out);
}

static const kernel_set set = {
  RBEE_ISA_NAME,
  quantize_q8_0,
  quantize_q8_k,
  isa::dot_q8_0,
  isa::dot_q4_0,
  isa::dot_iq4_nl,
  isa::dot_iq4_xs,
  isa::dot_mxfp4,
  isa::dot_q4_k,
  isa::dot_q5_k,
  isa::dot_q6_k,
  isa::dot_f32,
  isa::dot_f16,
  isa::dot_bf16,
  isa::read_bytes,
  isa::int8_macs,
  isa::dot4_q4_0,
  isa::dot4_q8_0,
  by_tokens<isa::gemm_q4_0x8, 4, act_q8_0>,
  by_tokens<isa::gemm_q8_0x8, 4, act_q8_0>,
  isa::swiglu,
  isa::geglu,
  isa::attend,
  isa::attend_f16,
  isa::attend_tile,
  isa::attend_tile_f16,
  by_tokens<isa::gemm_q4_kx8, 4, act_q8_k>,
  by_tokens<isa::gemm_q6_kx8, 2, act_q8_k>,
#if defined(__AVX512F__) && defined(__AVX512VNNI__) && defined(__AVX512BW__)
  by_tokens<x86::gemm_q4_0x16, 8, act_q8_0>,
#else
  nullptr,
#endif
};

} // namespace rbee::kernels::cpu::RBEE_ISA
