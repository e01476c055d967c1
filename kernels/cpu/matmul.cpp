// The fast matmul: activations quantized once per call, integer dot products
// per weight row with the best kernel set, rows split across the threads.
#include "kernels/cpu/quant_act.hpp"
#include "kernels/cpu/repack.hpp"
#include "kernels/cpu_features.hpp"
#include "kernels/ops.hpp"
#include "kernels/parallel.hpp"

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace rbee::kernels::cpu {

const kernel_set& best_kernels() {
  static const kernel_set& k = [] () -> const kernel_set& {
    const auto& f = detect_cpu();
    const char* want = std::getenv("RBEE_KERNELS");
    std::string w = want ? want : "";
    bool avx2 = f.avx2 && f.fma;
    bool avx512 = avx2 && f.avx512f && f.avx512bw && f.avx512vnni;
    if (w == "generic") return kernels_generic();
    if (w == "avx2" && avx2) return kernels_avx2();
    if (avx512 && (w.empty() || w == "avx512")) return kernels_avx512();
    if (avx2) return kernels_avx2();
    return kernels_generic();
  }();
  return k;
}

std::vector<const kernel_set*> usable_kernels() {
  const auto& f = detect_cpu();
  std::vector<const kernel_set*> out{&kernels_generic()};
  if (f.avx2 && f.fma) out.push_back(&kernels_avx2());
  if (f.avx2 && f.fma && f.avx512f && f.avx512bw && f.avx512vnni) out.push_back(&kernels_avx512());
  return out;
}

namespace {

template <class Act>
std::vector<Act>& scratch() {
  thread_local std::vector<Act> buf;
  return buf;
}

/// The activations of n_tok tokens quantized to 32-element int8 blocks, once per call.
const act_q8_0* q8_0_acts(const kernel_set& k, const float* x, int n_tok, int cols) {
  const int nb = cols / 32;
  auto& act = scratch<act_q8_0>();
  act.resize(static_cast<size_t>(nb) * n_tok);
  for (int t = 0; t < n_tok; ++t) k.quantize_q8_0(x + static_cast<size_t>(t) * cols, &act[static_cast<size_t>(t) * nb], cols);
  return act.data();
}

/// y (n_tok, rows) from a per-row dot function over per-token activations.
template <class Dot>
void rows_times_tokens(const weight& w, int n_tok, float* y, Dot dot) {
  int n_threads = threads();
  int grain = std::max(1, w.rows / (n_threads * 8));
  parallel_for(0, w.rows, grain, [&](int lo, int hi) {
    for (int r = lo; r < hi; ++r) {
      const uint8_t* row = w.row(r);
      for (int t = 0; t < n_tok; ++t) y[static_cast<size_t>(t) * w.rows + r] = dot(row, t);
    }
  });
}

/// Interleaved weights: groups of `rows` rows in parallel, tiles of up to
/// `tile` tokens per kernel call; the kernel writes out[t * rows + r].
template <class Act, class Gemm>
void packed_gemm(const weight& w, int rows, size_t group_bytes, int tile, Gemm gemm, const Act* a, int nb, int n_tok,
                 float* y) {
  int groups = w.rows / rows;
  int grain = std::max(1, groups / (threads() * 8));
  parallel_for(0, groups, grain, [&](int lo, int hi) {
    float out[16 * 8];
    const Act* xs[8];
    for (int t0 = 0; t0 < n_tok; t0 += tile) {
      int nt = std::min(tile, n_tok - t0);
      for (int i = 0; i < nt; ++i) xs[i] = a + static_cast<size_t>(t0 + i) * nb;
      for (int g = lo; g < hi; ++g) {
        gemm(w.packed + group_bytes * g, xs, nt, nb, out);
        for (int i = 0; i < nt; ++i)
          std::memcpy(y + static_cast<size_t>(t0 + i) * w.rows + static_cast<size_t>(rows) * g, out + rows * i,
                      sizeof(float) * rows);
      }
    }
  });
}

} // namespace

} // namespace rbee::kernels::cpu

namespace rbee::kernels::ops {

void matmul(const weight& w, const float* x, int n_tok, float* y) {
  cpu::matmul_with(cpu::best_kernels(), w, x, n_tok, y);
}

} // namespace rbee::kernels::ops

namespace rbee::kernels::cpu {

using ops::ref_matmul;

void matmul_with(const kernel_set& k, const weight& w, const float* x, int n_tok, float* y) {
  const int cols = w.cols;
  switch (w.type) {
    case dtype::q8_0:
    case dtype::q4_0: {
      int nb = cols / 32;
      const act_q8_0* a = q8_0_acts(k, x, n_tok, cols);
      auto dot = w.type == dtype::q8_0 ? k.dot_q8_0 : k.dot_q4_0;
      auto dot4 = w.type == dtype::q8_0 ? k.dot4_q8_0 : k.dot4_q4_0;
      if (w.packed && w.packed_rows == 16 && k.gemm_q4_0x16) {
        packed_gemm(w, 16, sizeof(block_q4_0x16) * nb, 8, k.gemm_q4_0x16, a, nb, n_tok, y);
        return;
      }
      if (w.packed && w.packed_rows == 8) {
        bool q8 = w.type == dtype::q8_0;
        packed_gemm(w, 8, (q8 ? sizeof(block_q8_0x8) : sizeof(block_q4_0x8)) * nb, 4,
                    q8 ? k.gemm_q8_0x8 : k.gemm_q4_0x8, a, nb, n_tok, y);
        return;
      }
      if (n_tok >= 4) { // tiles of 4 tokens share each unpacked weight block
        int grain = std::max(1, w.rows / (threads() * 8));
        parallel_for(0, w.rows, grain, [&](int lo, int hi) {
          for (int t0 = 0; t0 < n_tok; t0 += 4) {
            int nt = std::min(4, n_tok - t0);
            const act_q8_0* xs[4];
            for (int i = 0; i < 4; ++i) xs[i] = a + static_cast<size_t>(t0 + std::min(i, nt - 1)) * nb;
            for (int r = lo; r < hi; ++r) {
              float out[4];
              dot4(w.row(r), xs, nb, out);
              for (int i = 0; i < nt; ++i) y[static_cast<size_t>(t0 + i) * w.rows + r] = out[i];
            }
          }
        });
        return;
      }
      rows_times_tokens(w, n_tok, y, [&](const uint8_t* row, int t) { return dot(row, a + static_cast<size_t>(t) * nb, nb); });
      return;
    }
    case dtype::iq4_nl:
    case dtype::iq4_xs:
    case dtype::mxfp4: { // 4-bit indices into a table, int8 activations
      int nb = cols / 32;
      const act_q8_0* a = q8_0_acts(k, x, n_tok, cols);
      auto dot = w.type == dtype::mxfp4 ? k.dot_mxfp4 : w.type == dtype::iq4_xs ? k.dot_iq4_xs : k.dot_iq4_nl;
      rows_times_tokens(w, n_tok, y, [&](const uint8_t* row, int t) { return dot(row, a + static_cast<size_t>(t) * nb, nb); });
      return;
    }
    case dtype::q4_k:
    case dtype::q5_k:
    case dtype::q6_k: {
      int nb = cols / 256;
      auto& act = scratch<act_q8_k>();
      act.resize(static_cast<size_t>(nb) * n_tok);
      for (int t = 0; t < n_tok; ++t) k.quantize_q8_k(x + static_cast<size_t>(t) * cols, &act[static_cast<size_t>(t) * nb], cols);
      auto dot = w.type == dtype::q4_k ? k.dot_q4_k : w.type == dtype::q5_k ? k.dot_q5_k : k.dot_q6_k;
      const act_q8_k* a = act.data();
      if (w.packed && w.packed_rows == 8 && (w.type == dtype::q4_k || w.type == dtype::q6_k)) {
        bool q4 = w.type == dtype::q4_k;
        packed_gemm(w, 8, (q4 ? sizeof(block_q4_kx8) : sizeof(block_q6_kx8)) * nb, q4 ? 4 : 2,
                    q4 ? k.gemm_q4_kx8 : k.gemm_q6_kx8, a, nb, n_tok, y);
        return;
      }
      rows_times_tokens(w, n_tok, y, [&](const uint8_t* row, int t) { return dot(row, a + static_cast<size_t>(t) * nb, nb); });
      return;
    }
    case dtype::f32:
    case dtype::f16:
    case dtype::bf16: {
      auto dot = w.type == dtype::f32 ? k.dot_f32 : w.type == dtype::f16 ? k.dot_f16 : k.dot_bf16;
      rows_times_tokens(w, n_tok, y, [&](const uint8_t* row, int t) { return dot(row, x + static_cast<size_t>(t) * cols, cols); });
      return;
    }
    default: { // a type without kernels of its own (Q4_1, Q5_0, Q5_1): each row dequantized
      // once by the reference conversion, then SIMD f32 dots with every token
      if (!info(w.type).supported) return ref_matmul(w, x, n_tok, y); // which names the type
      int grain = std::max(1, w.rows / (threads() * 8));
      parallel_for(0, w.rows, grain, [&](int lo, int hi) {
        thread_local std::vector<float> row;
        row.resize(static_cast<size_t>(cols));
        for (int r = lo; r < hi; ++r) {
          dequantize_row(w.type, w.row(r), row.data(), row.size());
          for (int t = 0; t < n_tok; ++t)
            y[static_cast<size_t>(t) * w.rows + r] = k.dot_f32(row.data(), x + static_cast<size_t>(t) * cols, cols);
        }
      });
    }
  }
}

} // namespace rbee::kernels::cpu
