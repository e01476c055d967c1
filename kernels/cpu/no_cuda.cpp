// The CUDA entry points of a build without the CUDA backend: detect_cuda()
// finds nothing and says why; cuda_check says the ops cannot run.
#include "kernels/cpu_features.hpp"
#include "kernels/cuda/check.hpp"

namespace rbee::kernels {

std::vector<cuda_device> detect_cuda(std::string& note) {
  note = "this build has no CUDA backend (nvcc was not found at build time)";
  return {};
}

namespace cuda_check {

namespace {
[[noreturn]] void none() {
  throw kernel_error("this build has no CUDA backend");
}
} // namespace

bool built() {
  return false;
}
void host_dequantize(dtype, const void*, float*, size_t, bool) { none(); }
void host_matvec(const weight&, const float*, int, float*) { none(); }

bool available(std::string& why) {
  why = "this build has no CUDA backend (nvcc was not found at build time)";
  return false;
}
void rmsnorm(float*, const float*, const float*, int, int, float) { none(); }
void softmax(float*, int, int) { none(); }
void swiglu(float*, const float*, int) { none(); }
void rope(float*, int, int, int, const int*, float, rope_style, float, const float*) { none(); }
void matmul(const weight&, const float*, int, float*, bool) { none(); }
void matvec_add(const weight&, const float*, int, float*) { none(); }
void matvec_swiglu(const weight&, const weight&, const float*, int, float*) { none(); }
void matvec_parts(const weight* const*, int, const float*, int, float* const*) { none(); }
void attend(const float*, const float*, const float*, int, int, float, float*) { none(); }
void embed(const weight&, int, float*) { none(); }
double copy_bandwidth(int) { return 0; }

} // namespace cuda_check

} // namespace rbee::kernels
