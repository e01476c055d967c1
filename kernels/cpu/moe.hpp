#pragma once
// The feed-forward of a mixture of experts on the CPU (qwen3moe): a router picks each
// token's experts; each expert runs once over the tokens that chose it, so decode
// reads the chosen experts' rows only. Private to kernels/.

#include "kernels/model.hpp"

#include <vector>

namespace rbee::kernels::cpu {

using matmul_fn = void (*)(const weight&, const float*, int, float*);

class moe_ffn {
public:
  /// out (n, n_embd) = for each token, Σ over its chosen experts e of
  /// weight_e × down_e(silu(gate_e x) * up_e x), x (n, n_embd) the normed input.
  void run(const layer_weights& L, const hparams& h, const float* x, int n, float* out, matmul_fn matmul,
           bool reference);

private:
  std::vector<float> logits_, weights_, in_, gate_, up_, down_;
  std::vector<int> chosen_, rows_;
};

} // namespace rbee::kernels::cpu
