#include "kernels/cpu_features.hpp"

#include <gtest/gtest.h>

using namespace rbee::kernels;

TEST(CpuFeatures, DetectsThisMachine) {
  const auto& f = detect_cpu();
  EXPECT_GT(f.logical_cpus, 0);
  EXPECT_FALSE(f.arch.empty());
  EXPECT_FALSE(f.model.empty());
#if defined(__x86_64__)
  // AVX-512 implies AVX2 on every CPU that has it.
  if (f.avx512f) EXPECT_TRUE(f.avx2);
#endif
  for (auto& n : f.simd_names()) EXPECT_FALSE(n.empty());
}

TEST(CpuFeatures, MemoryIsReported) {
  auto m = detect_memory();
  EXPECT_GT(m.total, 0u);
  EXPECT_LE(m.available, m.total);
}

TEST(CpuFeatures, CudaDetectionExplainsAnAbsence) {
  std::string note;
  auto devices = detect_cuda(note);
  if (devices.empty())
    EXPECT_FALSE(note.empty());
  for (auto& d : devices) {
    EXPECT_FALSE(d.name.empty());
    EXPECT_GT(d.memory_total, 0u);
    EXPECT_GE(d.cc_major, 3);
  }
}
