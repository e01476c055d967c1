// The CUDA kernels of the engine's element-wise, normalising and attention
// operations (the weight-reading ones are in matvec.cu). Scalar-simple and
// checked against the CPU references (tests/kernels/cuda_ops_test.cpp).
#include "kernels/cuda/ops.hpp"
#include "kernels/cuda/reduce.cuh"

#include <string>

namespace rbee::kernels::cuda {

void check(cudaError_t rc, const char* what) {
  if (rc != cudaSuccess) throw kernel_error(std::string(what) + ": " + cudaGetErrorString(rc));
}

namespace {

__global__ void rmsnorm_k(float* out, const float* x, const float* w, int d, float eps) {
  __shared__ float sh[32];
  const float* xr = x + static_cast<size_t>(blockIdx.x) * d;
  float* o = out + static_cast<size_t>(blockIdx.x) * d;
  float ss = 0;
  for (int i = threadIdx.x; i < d; i += blockDim.x) ss += xr[i] * xr[i];
  ss = block_sum(ss, sh);
  float scale = rsqrtf(ss / d + eps);
  for (int i = threadIdx.x; i < d; i += blockDim.x) o[i] = xr[i] * scale * w[i];
}

__global__ void softmax_k(float* x, int d) {
  __shared__ float sh[32];
  float* r = x + static_cast<size_t>(blockIdx.x) * d;
  float sum = block_exp_sum(r, d, sh);
  for (int i = threadIdx.x; i < d; i += blockDim.x) r[i] /= sum;
}

__global__ void swiglu_k(float* g, const float* u, size_t n) {
  size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < n) g[i] = g[i] / (1.f + __expf(-g[i])) * u[i];
}

__global__ void rope_k(float* x, int n_heads, int hd, const int* pos, float pos_scale, int neox, float base,
                       const float* ff) {
  int t = blockIdx.x, h = blockIdx.y, half = hd / 2;
  float p = static_cast<float>(pos[t]) * pos_scale;
  float* v = x + (static_cast<size_t>(t) * n_heads + h) * hd;
  for (int i = threadIdx.x; i < half; i += blockDim.x) {
    float theta = p * powf(base, -2.f * i / hd);
    if (ff) theta /= ff[i];
    float c, s;
    sincosf(theta, &s, &c);
    int a = neox ? i : 2 * i, b = neox ? i + half : 2 * i + 1;
    float x0 = v[a], x1 = v[b];
    v[a] = x0 * c - x1 * s;
    v[b] = x0 * s + x1 * c;
  }
}

__global__ void to_f16_k(const float* x, __half* out, size_t n) {
  size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < n) out[i] = __float2half(x[i]);
}

__global__ void add_bias_k(float* x, const float* b, int d, size_t n) {
  size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < n) x[i] += b[i % d];
}

__global__ void add_k(float* x, const float* y, size_t n) {
  size_t i = blockIdx.x * static_cast<size_t>(blockDim.x) + threadIdx.x;
  if (i < n) x[i] += y[i];
}

__global__ void kv_store_k(const float* k, const float* v, int kv_dim, const int* slot, const int* pos, int n_ctx,
                           __half* kc, __half* vc) {
  int t = blockIdx.x;
  size_t at = (static_cast<size_t>(slot[t]) * n_ctx + pos[t]) * kv_dim;
  for (int i = threadIdx.x; i < kv_dim; i += blockDim.x) {
    kc[at + i] = __float2half(k[static_cast<size_t>(t) * kv_dim + i]);
    vc[at + i] = __float2half(v[static_cast<size_t>(t) * kv_dim + i]);
  }
}

/// One block per (token, head): scores in shared memory, softmax, weighted sum of V.
__global__ void attend_k(const float* q, const __half* kc, const __half* vc, int n_head, int n_head_kv, int hd,
                         const int* slot, const int* pos, int n_ctx, float scale, float* out) {
  extern __shared__ float score[];
  __shared__ float sh[32];
  int t = blockIdx.x, h = blockIdx.y, kvh = h / (n_head / n_head_kv), kv_dim = n_head_kv * hd;
  int n_pos = pos[t] + 1;
  const float* qh = q + (static_cast<size_t>(t) * n_head + h) * hd;
  size_t base = static_cast<size_t>(slot[t]) * n_ctx * kv_dim + static_cast<size_t>(kvh) * hd;
  for (int p = threadIdx.x; p < n_pos; p += blockDim.x) {
    const __half* kp = kc + base + static_cast<size_t>(p) * kv_dim;
    float dot = 0;
    for (int i = 0; i < hd; ++i) dot += qh[i] * __half2float(kp[i]);
    score[p] = dot * scale;
  }
  __syncthreads();
  float sum = block_exp_sum(score, n_pos, sh); // its barriers also publish the weights to every thread
  float* o = out + (static_cast<size_t>(t) * n_head + h) * hd;
  for (int i = threadIdx.x; i < hd; i += blockDim.x) {
    float acc = 0;
    for (int p = 0; p < n_pos; ++p) acc += score[p] * __half2float(vc[base + static_cast<size_t>(p) * kv_dim + i]);
    o[i] = acc / sum;
  }
}

__global__ void gather_k(const float* src, const int* rows, int d, float* dst) {
  const float* s = src + static_cast<size_t>(rows[blockIdx.x]) * d;
  float* o = dst + static_cast<size_t>(blockIdx.x) * d;
  for (int i = threadIdx.x; i < d; i += blockDim.x) o[i] = s[i];
}

unsigned blocks_for(size_t n, unsigned per = 256) {
  return static_cast<unsigned>((n + per - 1) / per);
}

} // namespace

void rmsnorm(float* out, const float* x, const float* w, int n, int d, float eps, cudaStream_t s) {
  rmsnorm_k<<<n, 256, 0, s>>>(out, x, w, d, eps);
}

void softmax(float* x, int n, int d, cudaStream_t s) {
  softmax_k<<<n, 256, 0, s>>>(x, d);
}

void swiglu(float* gate, const float* up, size_t n, cudaStream_t s) {
  swiglu_k<<<blocks_for(n), 256, 0, s>>>(gate, up, n);
}

void rope(float* x, int n_tok, int n_heads, int head_dim, const int* pos, float pos_scale, rope_style style, float base,
          const float* ff, cudaStream_t s) {
  rope_k<<<dim3(n_tok, n_heads), 64, 0, s>>>(x, n_heads, head_dim, pos, pos_scale, style == rope_style::neox, base, ff);
}

void to_f16(const float* x, __half* out, size_t n, cudaStream_t s) {
  to_f16_k<<<blocks_for(n), 256, 0, s>>>(x, out, n);
}

void add_bias(float* x, const float* b, int n, int d, cudaStream_t s) {
  size_t total = static_cast<size_t>(n) * d;
  add_bias_k<<<blocks_for(total), 256, 0, s>>>(x, b, d, total);
}

void add(float* x, const float* y, size_t n, cudaStream_t s) {
  add_k<<<blocks_for(n), 256, 0, s>>>(x, y, n);
}

void kv_store(const float* k, const float* v, int n_tok, int kv_dim, const int* slot, const int* pos, int n_ctx,
              __half* kc, __half* vc, cudaStream_t s) {
  kv_store_k<<<n_tok, 128, 0, s>>>(k, v, kv_dim, slot, pos, n_ctx, kc, vc);
}

void attend(const float* q, const __half* kc, const __half* vc, int n_tok, int n_head, int n_head_kv, int hd,
            const int* slot, const int* pos, int n_ctx, float scale, float* out, cudaStream_t s) {
  size_t shared = static_cast<size_t>(n_ctx) * sizeof(float);
  attend_k<<<dim3(n_tok, n_head), 128, shared, s>>>(q, kc, vc, n_head, n_head_kv, hd, slot, pos, n_ctx, scale, out);
}

void attend_prepare(int n_ctx) {
  int dev = 0, most = 0;
  check(cudaGetDevice(&dev), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&most, cudaDevAttrMaxSharedMemoryPerBlockOptin, dev), "cudaDeviceGetAttribute");
  size_t want = static_cast<size_t>(n_ctx) * sizeof(float) + 32 * sizeof(float);
  if (want > static_cast<size_t>(most))
    throw kernel_error("a context of " + std::to_string(n_ctx) + " positions needs " + std::to_string(want >> 10) +
                       " KiB of shared memory per block for attention; this GPU has " + std::to_string(most >> 10) + " KiB");
  check(cudaFuncSetAttribute(attend_k, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(want - 32 * sizeof(float))),
        "cudaFuncSetAttribute");
}

void gather_rows(const float* src, const int* rows, int n, int d, float* dst, cudaStream_t s) {
  gather_k<<<n, 256, 0, s>>>(src, rows, d, dst);
}

} // namespace rbee::kernels::cuda
