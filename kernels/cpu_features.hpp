#pragma once
// What the CPU this process runs on can do: model name, logical CPUs, SIMD
// extensions. The engine dispatches on these at run time; the hive reports them.

#include <string>
#include <vector>

namespace rbee::kernels {

struct cpu_features {
  std::string model;
  std::string arch;          ///< x86_64, aarch64, ...
  int logical_cpus = 0;      ///< usable by this process (affinity mask)
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  bool neon = false;

  /// The flags that are set, by name (avx2, fma, avx512f, ...).
  std::vector<std::string> simd_names() const;
};

/// Detects the features once (cpuid on x86, /proc/cpuinfo for the model name).
const cpu_features& detect_cpu();

/// Total and available physical memory in bytes (0 when unknown).
struct memory_info {
  unsigned long long total = 0;
  unsigned long long available = 0;
};
memory_info detect_memory();

/// A CUDA device as the runtime reports it.
struct cuda_device {
  int index = 0;
  std::string name;
  unsigned long long memory_total = 0;
  unsigned long long memory_free = 0;
  int cc_major = 0;
  int cc_minor = 0;
};

/// The CUDA devices of this machine. `note` says why there are none (a build
/// without CUDA, no driver, no device).
std::vector<cuda_device> detect_cuda(std::string& note);

/// Why the CUDA runtime gave no device, in a user's words: "no NVIDIA GPU found"
/// when the machine has none (no /dev/nvidia0, no /proc/driver/nvidia/gpus
/// entry), else the runtime's own `runtime_error` (a driver problem worth reading).
std::string cuda_absence(const std::string& runtime_error);

} // namespace rbee::kernels
