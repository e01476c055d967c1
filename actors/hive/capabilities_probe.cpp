#include "actors/hive/hive.hpp"

#include "kernels/cpu_features.hpp"

#include <unistd.h>

namespace rbee {

capabilities probe_capabilities() {
  capabilities c;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) c.hostname = host;
#if defined(__APPLE__)
  c.os = "macos";
#else
  c.os = "linux";
#endif
  const auto& cpu = kernels::detect_cpu();
  c.arch = cpu.arch;
  c.cpu_model = cpu.model;
  c.cores = cpu.logical_cpus;
  c.simd = cpu.simd_names();
  auto mem = kernels::detect_memory();
  c.ram_total = mem.total;
  c.ram_available = mem.available;
  for (auto& d : kernels::detect_cuda(c.cuda_note))
    c.gpus.push_back(gpu_info{d.index, d.name, d.memory_total, d.memory_free, d.cc_major, d.cc_minor});
  return c;
}

} // namespace rbee
