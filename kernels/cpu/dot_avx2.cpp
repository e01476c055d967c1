// The AVX2 + FMA + F16C kernel set (compiled with those flags; chosen at run time).
#define RBEE_ISA avx2_isa
#define RBEE_ISA_NAME "avx2"
#include "kernels/cpu/kernel_set_impl.hpp"

namespace rbee::kernels::cpu {
const kernel_set& kernels_avx2() {
  return avx2_isa::set;
}
} // namespace rbee::kernels::cpu
