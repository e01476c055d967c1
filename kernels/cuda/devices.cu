// detect_cuda(): the CUDA devices, as the CUDA runtime reports them.
#include "kernels/cpu_features.hpp"

#include <cuda_runtime.h>

namespace rbee::kernels {

std::vector<cuda_device> detect_cuda(std::string& note) {
  std::vector<cuda_device> out;
  int n = 0;
  cudaError_t rc = cudaGetDeviceCount(&n);
  if (rc != cudaSuccess) {
    note = cuda_absence(std::string("CUDA runtime: ") + cudaGetErrorString(rc));
    return out;
  }
  if (n == 0) note = "no CUDA device found";
  for (int i = 0; i < n; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    cuda_device d;
    d.index = i;
    d.name = p.name;
    d.memory_total = p.totalGlobalMem;
    d.cc_major = p.major;
    d.cc_minor = p.minor;
    size_t free_b = 0, total_b = 0;
    if (cudaSetDevice(i) == cudaSuccess && cudaMemGetInfo(&free_b, &total_b) == cudaSuccess)
      d.memory_free = free_b;
    out.push_back(d);
  }
  return out;
}

} // namespace rbee::kernels
