// The portable kernel set (no instruction-set flags).
#define RBEE_ISA generic_isa
#define RBEE_ISA_NAME "generic"
#include "kernels/cpu/kernel_set_impl.hpp"

namespace rbee::kernels::cpu {
const kernel_set& kernels_generic() {
  return generic_isa::set;
}
} // namespace rbee::kernels::cpu
