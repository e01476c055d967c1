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

enum mv_mode : int { mv_set, mv_add, mv_glu };

/// One launch's matrix-vector products of the same x: up to three parts (Q, K, V) of one type.
struct mv_args {
  const uint8_t* w[3];
  size_t row_bytes[3];
  int rows[3];
  float* y[3];
  int cols;
  const float* x;
  int mode;
};

/// a[p] with constant indices only: a runtime index into a kernel parameter copies the whole
/// parameter block to local memory (112 bytes of stack per thread, ptxas says).
template <class T>
__device__ __forceinline__ T pick(const T (&a)[3], int p) {
  return p == 0 ? a[0] : p == 1 ? a[1] : a[2];
}

/// One warp per output row of part blockIdx.y; lanes take consecutive chunks of the row
/// (chunks.cuh). Modes: y = Wx, y += Wx, or (two weights, one part) y = silu(Wx) * (W2 x).
template <int T, int NT>
__global__ void matvec_k(mv_args a) {
  const int p = blockIdx.y, rows = pick(a.rows, p);
  int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  int lane = threadIdx.x & 31;
  if (row >= rows) return;
  float acc[NT], acc2[NT];
#pragma unroll
  for (int t = 0; t < NT; ++t) acc[t] = acc2[t] = 0.f;
  lane_dot<T, NT>(pick(a.w, p) + static_cast<size_t>(row) * pick(a.row_bytes, p), a.cols, a.x, lane, acc);
  if (a.mode == mv_glu) lane_dot<T, NT>(a.w[1] + static_cast<size_t>(row) * a.row_bytes[1], a.cols, a.x, lane, acc2);
#pragma unroll
  for (int t = 0; t < NT; ++t) {
    float v = warp_sum(acc[t]);
    if (a.mode == mv_glu) v = v / (1.f + __expf(-v)) * warp_sum(acc2[t]);
    float* y = pick(a.y, p) + static_cast<size_t>(t) * rows + row;
    if (lane == 0) *y = a.mode == mv_add ? *y + v : v;
  }
}

/// For rows of a plain type whose length is no multiple of 4: lanes take the row's values in turn.
template <int T>
__global__ void matvec_any_k(const uint8_t* w, size_t row_bytes, int rows, int cols, const float* x, float* y, bool add) {
  int row = blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  int lane = threadIdx.x & 31;
  if (row >= rows) return;
  const uint8_t* r = w + static_cast<size_t>(row) * row_bytes;
  float acc = 0.f;
  for (int i = lane; i < cols; i += 32) each<T>(r + static_cast<size_t>(i) * block<T>::bytes, [&](int, float v) { acc += v * x[i]; });
  float s = warp_sum(acc);
  if (lane == 0) y[row] = add ? y[row] + s : s;
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

void matvec(const mv_args& args, int parts, int n_tok, dtype type, cudaStream_t s) {
  constexpr int warps = 4;
  int most = 0;
  for (int p = 0; p < parts; ++p) most = std::max(most, args.rows[p]);
  dim3 grid((most + warps - 1) / warps, parts), threads(32 * warps);
  for (int done = 0; done < n_tok; done += max_tok) {
    mv_args a = args;
    int n = std::min(max_tok, n_tok - done);
    a.x += static_cast<size_t>(done) * a.cols;
    for (int p = 0; p < parts; ++p) a.y[p] += static_cast<size_t>(done) * a.rows[p];
    by_type(type, [&](auto tag) {
      constexpr int T = decltype(tag)::value;
      switch (n) {
        case 1: matvec_k<T, 1><<<grid, threads, 0, s>>>(a); break;
        case 2: matvec_k<T, 2><<<grid, threads, 0, s>>>(a); break;
        case 3: matvec_k<T, 3><<<grid, threads, 0, s>>>(a); break;
        case 4: matvec_k<T, 4><<<grid, threads, 0, s>>>(a); break;
        default: matvec_k<T, max_tok><<<grid, threads, 0, s>>>(a); break;
      }
    });
  }
}

/// Whether the chunked kernels can read w (rows of plain types need a multiple of 4 values).
bool chunked(const dweight& w) {
  bool ok = true;
  by_type(w.type, [&](auto tag) { ok = w.cols % unit<decltype(tag)::value>::elems == 0; });
  return ok;
}

} // namespace

void matvec(const dweight& w, const float* x, int n_tok, float* y, cudaStream_t s, bool accumulate) {
  if (!chunked(w)) {  // a plain type's odd row length: token by token, then the sum
    by_type(w.type, [&](auto tag) {
      constexpr int T = decltype(tag)::value;
      if constexpr (block<T>::elems == 1) {
        constexpr int warps = 4;
        for (int t = 0; t < n_tok; ++t)
          matvec_any_k<T><<<(w.rows + warps - 1) / warps, 32 * warps, 0, s>>>(
              w.data, w.row_bytes, w.rows, w.cols, x + static_cast<size_t>(t) * w.cols, y + static_cast<size_t>(t) * w.rows,
              accumulate);
      }
    });
    return;
  }
  mv_args a{};
  a.w[0] = w.data, a.row_bytes[0] = w.row_bytes, a.rows[0] = w.rows, a.y[0] = y;
  a.cols = w.cols, a.x = x, a.mode = accumulate ? mv_add : mv_set;
  matvec(a, 1, n_tok, w.type, s);
}

void matvec_parts(const dweight* const* w, float* const* y, int parts, const float* x, int n_tok, cudaStream_t s) {
  for (int p = 0; p < parts;) {  // runs of one type (Q4_K_M: Q and K together, V in Q6_K on its own)
    int e = p + 1;
    while (e < parts && e - p < 3 && w[e]->type == w[p]->type && w[e]->cols == w[p]->cols && chunked(*w[p])) ++e;
    if (e - p == 1) {
      matvec(*w[p], x, n_tok, y[p], s);
    } else {
      mv_args a{};
      for (int i = p; i < e; ++i)
        a.w[i - p] = w[i]->data, a.row_bytes[i - p] = w[i]->row_bytes, a.rows[i - p] = w[i]->rows, a.y[i - p] = y[i];
      a.cols = w[p]->cols, a.x = x, a.mode = mv_set;
      matvec(a, e - p, n_tok, w[p]->type, s);
    }
    p = e;
  }
}

void matvec_swiglu(const dweight& gate, const dweight& up, const float* x, int n_tok, float* out, float* scratch,
                   cudaStream_t s) {
  if (gate.type != up.type || gate.rows != up.rows || gate.cols != up.cols || !chunked(gate)) {
    matvec(gate, x, n_tok, out, s);
    matvec(up, x, n_tok, scratch, s);
    swiglu(out, scratch, static_cast<size_t>(n_tok) * gate.rows, s);
    return;
  }
  mv_args a{};
  a.w[0] = gate.data, a.row_bytes[0] = gate.row_bytes, a.rows[0] = gate.rows, a.y[0] = out;
  a.w[1] = up.data, a.row_bytes[1] = up.row_bytes, a.rows[1] = up.rows;
  a.cols = gate.cols, a.x = x, a.mode = mv_glu;
  matvec(a, 1, n_tok, gate.type, s);
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
