#pragma once
// The engine's operations on a CUDA GPU: the same names as the CPU ops of
// kernels/ops.hpp, on device memory, queued on a stream (no synchronisation).
// Built only with nvcc (RBEE_HAVE_CUDA). Private to kernels/.

#include "kernels/model.hpp"

#include <cuda_fp16.h>
#include <cuda_runtime.h>

namespace rbee::kernels::cuda {

/// A weight in device memory, in its GGUF layout.
struct dweight {
  dtype type = dtype::f32;
  const uint8_t* data = nullptr;
  int rows = 0, cols = 0;
  size_t row_bytes = 0;
};

/// out (n, d) = x / rms(x) * w, row by row.
void rmsnorm(float* out, const float* x, const float* w, int n, int d, float eps, cudaStream_t s);
/// x (n, d) = softmax(x) row by row.
void softmax(float* x, int n, int d, cudaStream_t s);
/// gate = silu(gate) * up over n values.
void swiglu(float* gate, const float* up, size_t n, cudaStream_t s);
/// Rotates x (n_tok, n_heads, head_dim), token t at position pos[t] * pos_scale.
void rope(float* x, int n_tok, int n_heads, int head_dim, const int* pos, float pos_scale, rope_style style, float base,
          const float* freq_factors, cudaStream_t s);
/// y (n_tok, w.rows) = x (n_tok, w.cols) @ W^T (or y += that, for a residual), one warp per row;
/// n_tok <= 8 per launch.
void matvec(const dweight& w, const float* x, int n_tok, float* y, cudaStream_t s, bool accumulate = false);
/// y[p] = x @ W[p]^T for several weights (Q, K, V): one launch for each run of up to three
/// neighbours of one type.
void matvec_parts(const dweight* const* w, float* const* y, int parts, const float* x, int n_tok, cudaStream_t s);
/// out (n_tok, gate.rows) = silu(x @ gate^T) * (x @ up^T) in one launch where the two weights
/// have one type and shape; else two products and swiglu (`scratch`: n_tok * up.rows floats).
void matvec_swiglu(const dweight& gate, const dweight& up, const float* x, int n_tok, float* out, float* scratch,
                   cudaStream_t s);
/// out (w.rows, w.cols) = W as halves, for cuBLAS.
void dequantize_f16(const dweight& w, __half* out, cudaStream_t s);
/// out = half(x), n values.
void to_f16(const float* x, __half* out, size_t n, cudaStream_t s);
/// x (n_tok, w.cols): the rows of `tokens`.
void embed(const dweight& w, const int* tokens, int n_tok, float* x, cudaStream_t s);
/// x (n, d) += b (d) for each row.
void add_bias(float* x, const float* b, int n, int d, cudaStream_t s);
/// x += y over n values.
void add(float* x, const float* y, size_t n, cudaStream_t s);
/// Stores k, v (n_tok, kv_dim) as halves at (slot[t], pos[t]) of the layer's caches (slot, n_ctx, kv_dim).
void kv_store(const float* k, const float* v, int n_tok, int kv_dim, const int* slot, const int* pos, int n_ctx,
              __half* kc, __half* vc, cudaStream_t s);
/// out (n_tok, n_head, hd) = softmax(scale * q K^T) V over positions <= pos[t] of slot[t]; GQA by
/// n_head / n_head_kv. Needs n_ctx floats of shared memory per block.
void attend(const float* q, const __half* kc, const __half* vc, int n_tok, int n_head, int n_head_kv, int hd,
            const int* slot, const int* pos, int n_ctx, float scale, float* out, cudaStream_t s);
/// Lets attend() use n_ctx floats of shared memory; kernel_error when the GPU has too little.
void attend_prepare(int n_ctx);
/// dst (n, d) = the rows `rows` of src.
void gather_rows(const float* src, const int* rows, int n, int d, float* dst, cudaStream_t s);

/// Throws kernel_error("what: <CUDA's message>") when rc is an error.
void check(cudaError_t rc, const char* what);

} // namespace rbee::kernels::cuda
