// The backend registry: the device name of a context picks its forward pass.
// The only place that knows whether this build has CUDA.
#include "kernels/forward.hpp"

#include <cctype>

namespace rbee::kernels {

std::optional<int> cuda_index(const std::string& device) {
  if (device.empty() || device == "cpu") return -1;
  if (device == "cuda") return 0;
  if (device.rfind("cuda:", 0) != 0 || device.size() == 5 || device.size() > 8) return std::nullopt;
  int index = 0;
  for (char c : device.substr(5)) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    index = index * 10 + (c - '0');
  }
  return index;
}

std::unique_ptr<forward_pass> make_forward(std::shared_ptr<const model> m, const forward_shape& s, const std::string& device) {
  auto index = cuda_index(device);
  if (!index) throw kernel_error("unknown device '" + device.substr(0, 32) + "' (cpu, cuda or cuda:N)");
  if (*index < 0) return make_cpu_forward(std::move(m), s);
#ifdef RBEE_HAVE_CUDA
  if (s.reference) throw kernel_error("the scalar reference ops run on the CPU only");
  return make_cuda_forward(std::move(m), s, *index);
#else
  throw kernel_error("device '" + device + "' is not available: this rbee was built without CUDA (no nvcc at build time)");
#endif
}

} // namespace rbee::kernels
