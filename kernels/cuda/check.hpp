#pragma once
// The CUDA ops on host memory, for the tests that hold each against its CPU
// reference. In builds without CUDA, available() says so and the rest throw.

#include "kernels/model.hpp"

#include <string>

namespace rbee::kernels::cuda_check {

/// Whether CUDA ops can run here (a CUDA build and a usable GPU); `why` says why not.
bool available(std::string& why);

/// Whether this build has the CUDA backend (it may still have no GPU to run on).
bool built();
/// The GPU kernels' block decoders run on the host: y = n values of `src`, decoded a block
/// at a time (quant.cuh) or a chunk at a time as the matrix-vector kernels do (chunks.cuh).
void host_dequantize(dtype t, const void* src, float* y, size_t n, bool by_chunks = false);
/// The matrix-vector kernels' per-lane loop (chunks.cuh) on the host, the 32 lanes of each
/// row's warp run one after another: y (n_tok, w.rows) = x W^T. Misaligned loads throw.
void host_matvec(const weight& w, const float* x, int n_tok, float* y);

void rmsnorm(float* out, const float* x, const float* w, int n, int d, float eps);
void softmax(float* x, int n, int d);
void swiglu(float* gate, const float* up, int n);
void rope(float* x, int n_tok, int n_heads, int head_dim, const int* pos, float pos_scale, rope_style style, float base,
          const float* freq_factors);
/// y (n_tok, w.rows) = x W^T: the matrix-vector kernels (prefill = false) or dequantize + cuBLAS.
void matmul(const weight& w, const float* x, int n_tok, float* y, bool prefill);
/// The decode step's fused products: y (n_tok, w.rows) += x W^T; out = silu(x G^T) * (x U^T);
/// y[p] = x W[p]^T for the weights in one launch.
void matvec_add(const weight& w, const float* x, int n_tok, float* y);
void matvec_swiglu(const weight& gate, const weight& up, const float* x, int n_tok, float* out);
void matvec_parts(const weight* const* w, int parts, const float* x, int n_tok, float* const* y);
/// One query (hd) against n_pos positions of K and V (n_pos, hd), stored as halves.
void attend(const float* q, const float* k, const float* v, int n_pos, int hd, float scale, float* out);
void embed(const weight& w, int token, float* out);

/// Device-to-device copy bandwidth of GPU `device` in bytes/s (read + write), 0 without one.
double copy_bandwidth(int device);

} // namespace rbee::kernels::cuda_check
