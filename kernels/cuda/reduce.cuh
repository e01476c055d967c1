#pragma once
// Warp- and block-wide reductions for the CUDA kernels.

#include <cuda_runtime.h>

#include <cmath>

namespace rbee::kernels::cuda {

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

/// Sum over the block (blockDim.x a multiple of 32, at most 1024).
__device__ __forceinline__ float block_sum(float v, float* shared) {
  v = warp_sum(v);
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  int warps = blockDim.x >> 5;
  v = threadIdx.x < warps ? shared[threadIdx.x] : 0.f;
  if (warp == 0) v = warp_sum(v);
  if (threadIdx.x == 0) shared[0] = v;
  __syncthreads();
  float r = shared[0];
  __syncthreads();
  return r;
}

__device__ __forceinline__ float block_max(float v, float* shared) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  int warps = blockDim.x >> 5;
  v = threadIdx.x < warps ? shared[threadIdx.x] : -INFINITY;
  if (warp == 0)
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  if (threadIdx.x == 0) shared[0] = v;
  __syncthreads();
  float r = shared[0];
  __syncthreads();
  return r;
}

/// v[i] = exp(v[i] - max(v)) over n values shared by the block; returns their sum
/// (the caller divides: softmax, or attention's weighted sum).
__device__ __forceinline__ float block_exp_sum(float* v, int n, float* shared) {
  float m = -INFINITY;
  for (int i = threadIdx.x; i < n; i += blockDim.x) m = fmaxf(m, v[i]);
  m = block_max(m, shared);
  float sum = 0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    v[i] = __expf(v[i] - m);
    sum += v[i];
  }
  return block_sum(sum, shared);
}

} // namespace rbee::kernels::cuda
