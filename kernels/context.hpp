#pragma once
// An inference context: one sequence's KV cache and scratch buffers over a
// shared model. decode() runs a batch of tokens (prompt processing uses
// matrix-matrix products) and returns the logits of the last one.

#include "kernels/model.hpp"

#include <memory>
#include <vector>

namespace rbee::kernels {

struct context_params {
  int n_ctx = 0;     ///< 0: the model's training context, at most 4096
  int n_batch = 256; ///< tokens per forward step during prompt processing
  bool reference = false; ///< use the scalar reference ops (tests)
};

class context {
public:
  static result<std::unique_ptr<context>> create(std::shared_ptr<const model> m, context_params p = {});

  /// Appends `n` tokens at positions n_past()..; the logits of the last one
  /// (n_vocab floats, valid until the next call). Overflowing the context is an
  /// error that changes nothing; so is a token outside the vocabulary.
  result<const float*> decode(const int32_t* tokens, int n);

  int n_past() const { return n_past_; }
  int n_ctx() const { return n_ctx_; }
  void reset() { n_past_ = 0; }
  const model& get_model() const { return *model_; }

private:
  context() = default;
  void forward(const int32_t* tokens, int n); ///< one batch, n <= n_batch

  std::shared_ptr<const model> model_;
  void (*matmul_)(const weight&, const float*, int, float*) = nullptr;
  bool reference_ = false;
  int n_ctx_ = 0, n_batch_ = 0, n_past_ = 0;
  std::vector<float> k_cache_, v_cache_; ///< (layer, pos, kv_dim)
  std::vector<float> x_, xb_, q_, k_, v_, att_, ff_gate_, ff_up_, logits_;
};

} // namespace rbee::kernels
