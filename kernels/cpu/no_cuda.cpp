// detect_cuda() of a build without the CUDA backend.
#include "kernels/cpu_features.hpp"

namespace rbee::kernels {

std::vector<cuda_device> detect_cuda(std::string& note) {
  note = "this build has no CUDA backend (nvcc was not found at build time)";
  return {};
}

} // namespace rbee::kernels
