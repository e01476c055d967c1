#pragma once
// What a hive's machine can do: CPU, SIMD, memory, GPUs.

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace rbee {

struct gpu_info {
  int32_t index = 0;
  std::string name;
  uint64_t memory_total = 0; ///< bytes
  uint64_t memory_free = 0;  ///< bytes
  int32_t cc_major = 0;      ///< compute capability
  int32_t cc_minor = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, gpu_info& x) {
  return f(caf::meta::type_name("rbee_gpu_info"), x.index, x.name, x.memory_total, x.memory_free,
           x.cc_major, x.cc_minor);
}

struct capabilities {
  std::string hostname;
  std::string os;             ///< linux, macos
  std::string arch;           ///< x86_64, aarch64
  std::string cpu_model;
  int32_t cores = 0;          ///< logical CPUs usable by this process
  std::vector<std::string> simd; ///< avx2, avx512f, avx512_vnni, neon ...
  uint64_t ram_total = 0;     ///< bytes
  uint64_t ram_available = 0; ///< bytes
  std::vector<gpu_info> gpus;
  std::string cuda_note;      ///< why there are no GPUs, when there are none
  uint64_t read_bandwidth = 0; ///< measured memory read bytes/s (0: not yet): what decode runs against
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, capabilities& x) {
  return f(caf::meta::type_name("rbee_capabilities"), x.hostname, x.os, x.arch, x.cpu_model,
           x.cores, x.simd, x.ram_total, x.ram_available, x.gpus, x.cuda_note, x.read_bandwidth);
}

} // namespace rbee
