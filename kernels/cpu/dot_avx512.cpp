// The AVX-512 (F, BW, VL, VNNI) kernel set (compiled with those flags; chosen at run time).
#define RBEE_ISA avx512_isa
#define RBEE_ISA_NAME "avx512"
#include "kernels/cpu/kernel_set_impl.hpp"

namespace rbee::kernels::cpu {
const kernel_set& kernels_avx512() {
  return avx512_isa::set;
}
} // namespace rbee::kernels::cpu
