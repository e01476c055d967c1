// The CUDA kernels that read weights: dequantizing matrix-vector products
// (one warp per row, up to 8 tokens per weight read), dequantization to halves
// for cuBLAS, and embedding rows — for every supported tensor type.
#include "kernels/cuda/chunks.cuh"
#include "kernels/cuda/ops.hpp"
#include "kernels/cuda/quant.cuh"
#include "kernels/cuda/reduce.cuh"

#include <string>
#include <type_traits>

namespace rbee::kernels::cuda {

namespace {

constexpr int max_tok = 8;

/// One warp per output row; lanes take consecutive chunks of the row (chunks.cuh).
template <int T, int NT>
__global__ void matvec_k(const uint8_t* __restrict__ w, size_t row_bytes, int rows, int cols, const float* __restrict__ x,
                         float* __restrict__ y) {
  int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  int lane = threadIdx.x & 31;
  if (row >= rows) return;
  float acc[NT];
#pragma unroll
  for (int t = 0; t < NT; ++t) acc[t] = 0.f;
  lane_dot<T, NT>(w + static_cast<size_t>(row) * row_bytes, cols, x, lane, acc);
#pragma unroll
  for (int t = 0; t < NT; ++t) {
    float s = warp_sum(acc[t]);
    if (lane == 0) y[static_cast<size_t>(t) * rows + row] = s;
  }
}

/// For rows of a plain type whose length is no multiple of 4: lanes take the row's values in turn.
template <int T>
__global__ void matvec_any_k(const uint8_t* w, size_t row_bytes, int rows, int cols, const float* x, float* y) {
  int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  int lane = threadIdx.x & 31;
  if (row >= rows) return;
  const uint8_t* r = w + static_cast<size_t>(row) * row_bytes;
  float acc = 0.f;
  for (int i = lane; i < cols; i += 32) each<T>(r + static_cast<size_t>(i) * block<T>::bytes, [&](int, float v) { acc += v * x[i]; });
  float s = warp_sum(acc);
  if (lane == 0) y[row] = s;
}

/// One thread per block of the matrix.
template <int T>
__global__ void dequant_f16_k(const uint8_t* w, size_t row_bytes, int rows, int cols, __half* out) {
  constexpr int E = block<T>::elems, B = block<T>::bytes;
  size_t per_row = cols / E;
  size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i >= per_row * rows) return;
  size_t row = i / per_row, b = i % per_row;
  __half* o = out + row * cols + b * E;
  each<T>(w + row * row_bytes + b * B, [&](int j, float v) { o[j] = __float2half(v); });
}

template <int T>
__global__ void embed_k(const uint8_t* w, size_t row_bytes, int cols, const int* tokens, float* x) {
  constexpr int E = block<T>::elems, B = block<T>::bytes;
  int t = blockIdx.y;
  const uint8_t* r = w + static_cast<size_t>(tokens[t]) * row_bytes;
  float* o = x + static_cast<size_t>(t) * cols;
  for (int b = blockIdx.x * blockDim.x + threadIdx.x; b < cols / E; b += gridDim.x * blockDim.x)
    each<T>(r + static_cast<size_t>(b) * B, [&](int j, float v) { o[b * E + j] = v; });
}

unsigned blocks_of(size_t n, unsigned per = 256) {
  return static_cast<unsigned>((n + per - 1) / per);
}

template <int T>
using type_tag = std::integral_constant<int, T>;

/// Calls f(type_tag<T>{}) for the weight's type.
template <class F>
void by_type(dtype t, F&& f) {
  switch (t) {
    case dtype::f32: return f(type_tag<t_f32>{});
    case dtype::f16: return f(type_tag<t_f16>{});
    case dtype::bf16: return f(type_tag<t_bf16>{});
    case dtype::q8_0: return f(type_tag<t_q8_0>{});
    case dtype::q4_0: return f(type_tag<t_q4_0>{});
    case dtype::q4_k: return f(type_tag<t_q4_k>{});
    case dtype::q5_k: return f(type_tag<t_q5_k>{});
    case dtype::q6_k: return f(type_tag<t_q6_k>{});
    default: throw kernel_error("tensor type " + std::string(name(t)) + " has no CUDA kernel");
  }
}

} // namespace

void matvec(const dweight& w, const float* x, int n_tok, float* y, cudaStream_t s) {
  constexpr int warps = 4;
  dim3 grid((w.rows + warps - 1) / warps), threads(32 * warps);
  for (int done = 0; done < n_tok; done += max_tok) {
    int n = std::min(max_tok, n_tok - done);
    const float* xs = x + static_cast<size_t>(done) * w.cols;
    float* ys = y + static_cast<size_t>(done) * w.rows;
    by_type(w.type, [&](auto tag) {
      constexpr int T = decltype(tag)::value;
      if constexpr (block<T>::elems == 1) {  // quantized rows are whole blocks, hence whole units
        if (w.cols % unit<T>::elems != 0) {
          for (int t = 0; t < n; ++t)
            matvec_any_k<T><<<grid, threads, 0, s>>>(w.data, w.row_bytes, w.rows, w.cols, xs + static_cast<size_t>(t) * w.cols,
                                                     ys + static_cast<size_t>(t) * w.rows);
          return;
        }
      }
      switch (n) {
        case 1: matvec_k<T, 1><<<grid, threads, 0, s>>>(w.data, w.row_bytes, w.rows, w.cols, xs, ys); break;
        case 2: matvec_k<T, 2><<<grid, threads, 0, s>>>(w.data, w.row_bytes, w.rows, w.cols, xs, ys); break;
        case 3: matvec_k<T, 3><<<grid, threads, 0, s>>>(w.data, w.row_bytes, w.rows, w.cols, xs, ys); break;
        case 4: matvec_k<T, 4><<<grid, threads, 0, s>>>(w.data, w.row_bytes, w.rows, w.cols, xs, ys); break;
        default: matvec_k<T, max_tok><<<grid, threads, 0, s>>>(w.data, w.row_bytes, w.rows, w.cols, xs, ys); break;
      }
    });
  }
}

void dequantize_f16(const dweight& w, __half* out, cudaStream_t s) {
  by_type(w.type, [&](auto tag) {
    constexpr int T = decltype(tag)::value;
    size_t n = static_cast<size_t>(w.rows) * (w.cols / block<T>::elems);
    dequant_f16_k<T><<<blocks_of(n), 256, 0, s>>>(w.data, w.row_bytes, w.rows, w.cols, out);
  });
}

void embed(const dweight& w, const int* tokens, int n_tok, float* x, cudaStream_t s) {
  by_type(w.type, [&](auto tag) {
    constexpr int T = decltype(tag)::value;
    unsigned nb = static_cast<unsigned>(w.cols / block<T>::elems);
    embed_k<T><<<dim3(blocks_of(nb, 128), n_tok), 128, 0, s>>>(w.data, w.row_bytes, w.cols, tokens, x);
  });
}

} // namespace rbee::kernels::cuda
