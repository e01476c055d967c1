// The dispatching entry points: the fastest implementation for this CPU.
#include "kernels/cpu/quant_act.hpp"
#include "kernels/ops.hpp"

namespace rbee::kernels::ops {

void rmsnorm(float* out, const float* x, const float* w, int n, float eps) {
  ref_rmsnorm(out, x, w, n, eps);
}

void softmax(float* x, int n) {
  ref_softmax(x, n);
}

void swiglu(float* gate, const float* up, int n) {
  cpu::best_kernels().swiglu(gate, up, n);
}

void geglu(float* gate, const float* up, int n) {
  cpu::best_kernels().geglu(gate, up, n);
}

void attend(const float* q, const float* k, const float* v, int n_pos, int hd, size_t stride, float scale,
            float* scratch, float* out) {
  cpu::best_kernels().attend(q, k, v, n_pos, hd, stride, scale, scratch, out);
}

void attend_f16(const float* q, const uint16_t* k, const uint16_t* v, int n_pos, int hd, size_t stride, float scale,
                float* scratch, float* out) {
  cpu::best_kernels().attend_f16(q, k, v, n_pos, hd, stride, scale, scratch, out);
}

void rope(float* x, int n_heads, int head_dim, float pos, const rope_spec& r) {
  ref_rope(x, n_heads, head_dim, pos, r);
}


} // namespace rbee::kernels::ops
