#include "kernels/cpu_features.hpp"

#include <filesystem>

#include <sched.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace rbee::kernels {

std::vector<std::string> cpu_features::simd_names() const {
  std::vector<std::string> out;
  if (avx2) out.emplace_back("avx2");
  if (fma) out.emplace_back("fma");
  if (avx512f) out.emplace_back("avx512f");
  if (avx512bw) out.emplace_back("avx512bw");
  if (avx512vnni) out.emplace_back("avx512_vnni");
  if (avx512bf16) out.emplace_back("avx512_bf16");
  if (neon) out.emplace_back("neon");
  return out;
}

namespace {

std::string cpuinfo_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0 ||
        line.rfind("Hardware", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos && colon + 2 <= line.size()) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

cpu_features probe() {
  cpu_features f;
  f.model = cpuinfo_model();
  utsname u{};
  if (uname(&u) == 0) f.arch = u.machine;
  cpu_set_t set;
  CPU_ZERO(&set);
  f.logical_cpus = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set)
                                                                : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
#if defined(__x86_64__) || defined(__i386__)
  unsigned a = 0, b = 0, c = 0, d = 0;
  bool os_avx = false, os_avx512 = false;
  if (__get_cpuid(1, &a, &b, &c, &d)) {
    f.fma = (c >> 12) & 1;
    bool osxsave = (c >> 27) & 1;
    if (osxsave) {
      unsigned lo = 0, hi = 0;
      __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
      os_avx = (lo & 0x6) == 0x6;
      os_avx512 = (lo & 0xe6) == 0xe6;
    }
  }
  if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
    f.avx2 = os_avx && ((b >> 5) & 1);
    f.avx512f = os_avx512 && ((b >> 16) & 1);
    f.avx512bw = os_avx512 && ((b >> 30) & 1);
    f.avx512vnni = os_avx512 && ((c >> 11) & 1);
  }
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) f.avx512bf16 = os_avx512 && ((a >> 5) & 1);
  f.fma = f.fma && os_avx;
#elif defined(__aarch64__)
  f.neon = true;
#endif
  return f;
}

} // namespace

const cpu_features& detect_cpu() {
  static const cpu_features f = probe();
  return f;
}

std::string cuda_absence(const std::string& runtime_error) {
  std::error_code ec;
  bool device = std::filesystem::exists("/dev/nvidia0", ec);
  if (!device && std::filesystem::is_directory("/proc/driver/nvidia/gpus", ec))
    device = !std::filesystem::is_empty("/proc/driver/nvidia/gpus", ec);
  return device ? runtime_error : "no NVIDIA GPU found";
}

memory_info detect_memory() {
  memory_info m;
  std::ifstream in("/proc/meminfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream ls(line);
    std::string key;
    unsigned long long kb = 0;
    ls >> key >> kb;
    if (key == "MemTotal:") m.total = kb * 1024;
    if (key == "MemAvailable:") m.available = kb * 1024;
  }
  return m;
}

} // namespace rbee::kernels
